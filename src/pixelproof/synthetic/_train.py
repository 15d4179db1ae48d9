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

The random copies of an image are drawn from a generator seeded by the training seed
and the image's content (its file's SHA-256, or a :class:`MadeImage`'s key), not by
its position: the same image gets the same copies whatever else is trained on, which
lets a feature cache (``cache``) serve every run. Training inputs are image files or
images made in memory (:class:`MadeImage`, e.g. the self-made fakes of
:mod:`pixelproof.training.synthetic_fakes`).
"""

from __future__ import annotations

import hashlib
import math
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from ..bench.metrics import expected_calibration_error, roc_auc
from ._features import tiles_features, working_copy
from ._fit import Standardizer, logistic_regression, platt
from ._model import FEATURE_SET, REAL_THRESHOLD, SYNTHETIC_THRESHOLD, ProbeModel
from ._parity import jpeg_round_trip, parity_copy, resize
from ._pixels import DEGRADED_QUALITY, DEGRADED_SCALE, degraded_copies

PENALTIES = (1.0, 10.0, 100.0, 1000.0)
REAL_FOLDER, FAKE_FOLDER = "0_real", "1_fake"
SELECT_SHARE = 0.25
# A larger penalty replaces a smaller one only when its select AUC is higher by more
# than this: a near tie must not be decided by the last bits of the features, which
# differ between processors.
SELECTION_MARGIN = 1e-4
# The share of the select split's reals a model may call synthetic (and of its fakes it
# may call real) at its thresholds, degraded copies included.
LABEL_ERROR_RATE = 0.05

FloatArray = NDArray[np.float64]
Progress = Callable[[str, int, int], None]


class MadeImage(Protocol):
    """A training image made in memory rather than read from a file."""

    @property
    def key(self) -> str:
        """A stable identity of the image (seeds its random copies, names its cache)."""
        ...

    def pixels(self) -> NDArray[np.uint8]:
        """The (H, W, 3) uint8 image."""
        ...


TrainingImage = Path | MadeImage


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


def _identity(item: TrainingImage) -> str:
    if isinstance(item, Path):
        return hashlib.sha256(item.read_bytes()).hexdigest()
    return hashlib.sha256(item.key.encode("utf-8")).hexdigest()


def _pixels(item: TrainingImage) -> NDArray[np.uint8]:
    if isinstance(item, Path):
        from ..io import load_image

        return load_image(item).pixels
    return item.pixels()


def _select_features(copy: NDArray[np.uint8]) -> FloatArray:
    """``(3, 3, d)``: the copy, its JPEG-75 save and its half-size version, each as
    ``detect`` scores it."""
    height, width = copy.shape[:2]
    half = (max(8, round(width * DEGRADED_SCALE)), max(8, round(height * DEGRADED_SCALE)))
    variants = (copy, jpeg_round_trip(copy, DEGRADED_QUALITY), resize(copy, half))
    return np.stack([detector_copy_features(variant) for variant in variants])


def _features(
    item: TrainingImage, *, select: bool, parity: bool, copies: int, seed: int, cache: Path | None
) -> FloatArray:
    """The fit rows (``(copies, d)``) or select rows (``(3, 3, d)``) of one image."""
    identity = _identity(item)
    role = "select" if select else f"fit{copies}"
    name = f"{identity}-{role}-{'parity' if parity else 'as-is'}-{seed}.npy"
    stored = None if cache is None else cache / FEATURE_SET.replace("/", "_") / name
    if stored is not None and stored.is_file():
        return np.asarray(np.load(stored, allow_pickle=False), np.float64)
    rgb = _pixels(item)
    rng = np.random.default_rng([seed, int(identity[:16], 16)])
    if select:
        rows = _select_features(parity_copy(rgb, rng) if parity else rgb)
    else:
        count = copies if parity else 1
        rows = np.stack(
            [image_features(parity_copy(rgb, rng) if parity else rgb) for _ in range(count)]
        )
    if stored is not None:
        stored.parent.mkdir(parents=True, exist_ok=True)
        partial = stored.with_suffix(f".{os.getpid()}.partial")
        with partial.open("wb") as handle:
            np.save(handle, rows, allow_pickle=False)
        os.replace(partial, stored)  # another run reading the cache never sees half a file
    return rows


def _collect(
    items: Sequence[TrainingImage],
    label: int,
    *,
    parity: bool,
    copies: Callable[[TrainingImage], int],
    seed: int,
    rng: np.random.Generator,
    into: _Collected,
    progress: Progress | None,
    cache: Path | None,
) -> None:
    from ..io import ImageLoadError

    fit_part, select_part = _split(len(items), SELECT_SHARE, rng)
    chosen = set(select_part)
    name = "fake" if label else "real"
    for done, index in enumerate(sorted(fit_part + select_part), start=1):
        select = index in chosen
        try:
            rows = _features(
                items[index],
                select=select,
                parity=parity,
                copies=copies(items[index]),
                seed=seed,
                cache=cache,
            )
        except (ImageLoadError, OSError) as exc:
            into.skipped.append(f"{items[index]}: {exc}")
            continue
        if select:
            into.select += list(rows)
            into.select_y += [label] * len(rows)
        else:
            into.fit += list(rows)
            into.fit_y += [label] * len(rows)
        if progress is not None:
            progress(name, done, len(items))


def label_thresholds(probability: FloatArray, y: NDArray[np.int_]) -> tuple[float, float]:
    """``(synthetic, real)`` thresholds: at least :data:`SYNTHETIC_THRESHOLD` and at
    most :data:`REAL_THRESHOLD`, moved outwards until at most :data:`LABEL_ERROR_RATE`
    of the reals (fakes) of the select split would be labelled synthetic (real).

    A calibrated probability of 0.7 is not a promise about photos unlike the training
    reals: on the shared photos the probe's scores run higher than on COCO's (issue 20),
    so the labels' error rates are bounded on held-out images, not only assumed from the
    calibration.
    """
    reals = np.sort(probability[np.asarray(y) == 0])[::-1]
    fakes = np.sort(probability[np.asarray(y) == 1])
    # Just past the first real (fake) that must not be labelled wrongly, on a 1e-4 grid.
    first_real = float(reals[math.floor(LABEL_ERROR_RATE * reals.size)])
    first_fake = float(fakes[math.floor(LABEL_ERROR_RATE * fakes.size)])
    synthetic = max(SYNTHETIC_THRESHOLD, (math.floor(first_real * 1e4) + 1) / 1e4)
    real = min(REAL_THRESHOLD, (math.ceil(first_fake * 1e4) - 1) / 1e4)
    return synthetic, real


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
        if best is None or auc > best[0] + SELECTION_MARGIN:
            best = (auc, penalty, coef, intercept)
    assert best is not None
    auc, penalty, coef, intercept = best
    raw = (standard(select_x) @ coef + intercept).mean(axis=1)
    a, b = platt(raw, select_y)
    probability = 0.5 * (1.0 + np.tanh(0.5 * (a * raw + b)))
    synthetic_threshold, real_threshold = label_thresholds(probability, select_y)
    model = ProbeModel(
        mean=standard.mean,
        scale=standard.scale,
        coef=coef,
        intercept=intercept,
        platt_a=a,
        platt_b=b,
        synthetic_threshold=synthetic_threshold,
        real_threshold=real_threshold,
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
    real: Sequence[TrainingImage],
    fake: Sequence[TrainingImage],
    *,
    parity: bool = True,
    copies: int = 2,
    copies_of: Callable[[TrainingImage], int] | None = None,
    seed: int = 0,
    progress: Progress | None = None,
    cache: Path | None = None,
) -> tuple[ProbeModel, dict[str, Any]]:
    """Fit a detector on real and fake images.

    Parameters
    ----------
    real, fake : sequence of Path or MadeImage
        Image files (or images made in memory) of each class (at least 2 readable ones
        each).
    parity : bool
        Re-encode both classes identically (random crop, resize, JPEG); turn off only
        when both classes already share their whole processing history.
    copies : int
        Parity copies of each fit image.
    copies_of : callable, optional
        Parity copies of one fit image, where some images should be seen in more random
        views than others (the shipped recipe's shared photos, few beside its other
        reals); ``copies`` for every image when not given.
    seed : int
        Seeds the split and the parity copies: the same inputs give the same model.
    cache : Path, optional
        Folder to keep each image's features in, by content, seed and feature set, so
        that a second run on overlapping data computes only what is new. The model is
        the same with or without it.

    Returns
    -------
    (ProbeModel, dict)
        The model and a summary of the fit (also stored in the model's ``training``).
    """
    if len(real) < 2 or len(fake) < 2:
        raise ValueError("training needs at least 2 real and 2 fake images")
    rng = np.random.default_rng(seed)
    collected = _Collected()

    def copies_per_image(item: TrainingImage) -> int:
        return copies if copies_of is None else copies_of(item)

    for files, label in ((real, 0), (fake, 1)):
        _collect(
            files,
            label,
            parity=parity,
            copies=copies_per_image,
            seed=seed,
            rng=rng,
            into=collected,
            progress=progress,
            cache=cache,
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
