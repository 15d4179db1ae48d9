"""Training a pixel-level detector on labelled folders, under format parity.

``pixelproof train detect`` and ``python -m pixelproof.training synthetic`` both come
here. The images of each class are split at random (a fixed seed) into a *fit* part,
on which the probe is fitted, and a *select* part, on which the L2 penalty is chosen
and the probabilities are calibrated; nothing of the select part is fitted on.

With format parity (the default) every image of both classes goes through the same
random crop, resize and JPEG save (:func:`._parity.parity_copy`) before its features
are taken, ``copies`` times for the fit part and once for the select part; the select
part also contributes a JPEG-75 and a half-size version of each copy, so that the
calibration covers degraded inputs. Each select input is scored as the detector scores
an image (the mean raw log-odds over the copy and its two degraded versions,
:mod:`._pixels`), so the calibration fits what ``detect`` computes.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..bench.metrics import expected_calibration_error, roc_auc
from ._features import tiles_features, working_copy
from ._fit import Standardizer, logistic_regression, platt
from ._model import ProbeModel
from ._parity import jpeg_round_trip, parity_copy, resize
from ._pixels import DEGRADED_QUALITY, DEGRADED_SCALE, degraded_copies

PENALTIES = (1.0, 10.0, 100.0, 1000.0)
REAL_FOLDER, FAKE_FOLDER = "0_real", "1_fake"
SELECT_SHARE = 0.25
SYNTHETIC_THRESHOLD = 0.7
REAL_THRESHOLD = 0.3

FloatArray = NDArray[np.float64]
Progress = Callable[[str, int, int], None]


def labelled_folders(root: str | Path) -> tuple[list[Path], list[Path]]:
    """CNNDetection's layout: every ``0_real`` and ``1_fake`` folder under ``root``."""
    root = Path(root)
    reals = sorted(p for p in root.rglob(REAL_FOLDER) if p.is_dir())
    fakes = sorted(p for p in root.rglob(FAKE_FOLDER) if p.is_dir())
    if root.name == REAL_FOLDER:
        reals.insert(0, root)
    return reals, fakes


def image_files(folders: Sequence[str | Path]) -> list[Path]:
    """Image files under ``folders`` (recursively, sorted, symbolic links not followed)."""
    from ..io import IMAGE_EXTENSIONS

    found: list[Path] = []
    for folder in folders:
        for base, _, names in os.walk(folder):
            for name in names:
                path = Path(base) / name
                if path.suffix.lower() in IMAGE_EXTENSIONS and not path.is_symlink():
                    found.append(path)
    return sorted(set(found))


def _split(n: int, share: float, rng: np.random.Generator) -> tuple[list[int], list[int]]:
    order = [int(i) for i in rng.permutation(n)]
    count = min(n - 1, max(1, round(n * share))) if n >= 2 else 0
    return sorted(order[count:]), sorted(order[:count])


def image_features(rgb: NDArray[np.uint8]) -> FloatArray:
    """The mean tile features of an image's working copy (what the probe scores)."""
    return np.asarray(tiles_features(rgb)[0].mean(axis=0), np.float64)


def detector_copy_features(rgb: NDArray[np.uint8]) -> FloatArray:
    """Mean tile features of the copies ``detect`` scores: ``(3, d)``."""
    copies = degraded_copies(working_copy(rgb))
    return np.stack([image_features(copy) for copy in copies.values()])


@dataclass
class _Collected:
    fit: list[FloatArray] = field(default_factory=list)
    fit_y: list[int] = field(default_factory=list)
    select: list[FloatArray] = field(default_factory=list)  # (3, d) per input
    select_y: list[int] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def _collect(
    files: Sequence[Path],
    label: int,
    *,
    parity: bool,
    copies: int,
    rng: np.random.Generator,
    into: _Collected,
    progress: Progress | None,
) -> None:
    from ..io import ImageLoadError, load_image

    fit_part, select_part = _split(len(files), SELECT_SHARE, rng)
    chosen = set(select_part)
    name = "fake" if label else "real"
    for done, index in enumerate(sorted(fit_part + select_part), start=1):
        try:
            rgb = load_image(files[index]).pixels
        except (ImageLoadError, OSError) as exc:
            into.skipped.append(f"{files[index]}: {exc}")
            continue
        if index in chosen:
            copy = parity_copy(rgb, rng) if parity else rgb
            height, width = copy.shape[:2]
            half = (max(8, round(width * DEGRADED_SCALE)), max(8, round(height * DEGRADED_SCALE)))
            for variant in (copy, jpeg_round_trip(copy, DEGRADED_QUALITY), resize(copy, half)):
                into.select.append(detector_copy_features(variant))
                into.select_y.append(label)
        else:
            for _ in range(copies if parity else 1):
                into.fit.append(image_features(parity_copy(rgb, rng) if parity else rgb))
                into.fit_y.append(label)
        if progress is not None:
            progress(name, done, len(files))


def fit_probe(
    fit_x: FloatArray,
    fit_y: NDArray[np.int_],
    select_x: FloatArray,
    select_y: NDArray[np.int_],
    *,
    penalties: Sequence[float] = PENALTIES,
) -> tuple[ProbeModel, dict[str, Any]]:
    """Fit on ``fit``, choose the penalty and calibrate on ``select`` (``(n, 3, d)``)."""
    standard = Standardizer.fit(fit_x)
    scores: dict[str, float] = {}
    best: tuple[float, float, FloatArray, float] | None = None
    for penalty in penalties:
        coef, intercept = logistic_regression(standard(fit_x), fit_y, penalty=penalty)
        raw = (standard(select_x) @ coef + intercept).mean(axis=1)
        auc = roc_auc(select_y, raw)
        scores[str(penalty)] = round(auc, 4)
        if best is None or auc > best[0] + 1e-9:
            best = (auc, penalty, coef, intercept)
    assert best is not None
    auc, penalty, coef, intercept = best
    raw = (standard(select_x) @ coef + intercept).mean(axis=1)
    a, b = platt(raw, select_y)
    probability = 0.5 * (1.0 + np.tanh(0.5 * (a * raw + b)))
    model = ProbeModel(
        mean=standard.mean,
        scale=standard.scale,
        coef=coef,
        intercept=intercept,
        platt_a=a,
        platt_b=b,
        synthetic_threshold=SYNTHETIC_THRESHOLD,
        real_threshold=REAL_THRESHOLD,
    )
    summary = {
        "penalty": penalty,
        "select_auc_by_penalty": scores,
        "select_auc": round(auc, 4),
        "select_ece": round(expected_calibration_error(select_y, probability, n_bins=10), 4),
        "fit_rows": int(fit_x.shape[0]),
        "select_rows": int(select_x.shape[0]),
    }
    return model, summary


def train_model(
    real: Sequence[Path],
    fake: Sequence[Path],
    *,
    parity: bool = True,
    copies: int = 2,
    seed: int = 0,
    progress: Progress | None = None,
) -> tuple[ProbeModel, dict[str, Any]]:
    """Fit a detector on real and fake image files.

    Parameters
    ----------
    real, fake : sequence of Path
        Image files of each class (at least 2 readable ones each).
    parity : bool
        Re-encode both classes identically (random crop, resize, JPEG); turn off only
        when both classes already share their whole processing history.
    copies : int
        Parity copies of each fit image.
    seed : int
        Seeds the split and the parity copies: the same inputs give the same model.

    Returns
    -------
    (ProbeModel, dict)
        The model and a summary of the fit (also stored in the model's ``training``).
    """
    if len(real) < 2 or len(fake) < 2:
        raise ValueError("training needs at least 2 real and 2 fake images")
    rng = np.random.default_rng(seed)
    collected = _Collected()
    for files, label in ((real, 0), (fake, 1)):
        _collect(
            files,
            label,
            parity=parity,
            copies=copies,
            rng=rng,
            into=collected,
            progress=progress,
        )
    fit_y = np.array(collected.fit_y)
    select_y = np.array(collected.select_y)
    if len(set(fit_y.tolist())) < 2 or len(set(select_y.tolist())) < 2:
        raise ValueError("too few readable images of one class to fit and calibrate")
    model, summary = fit_probe(np.stack(collected.fit), fit_y, np.stack(collected.select), select_y)
    summary.update(
        {
            "real_images": len(real),
            "fake_images": len(fake),
            "skipped": collected.skipped[:20],
            "format_parity": parity,
            "copies": copies,
            "seed": seed,
        }
    )
    return ProbeModel(**{**model.__dict__, "training": summary}), summary
