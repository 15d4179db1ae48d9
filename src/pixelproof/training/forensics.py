"""Fitting the forensic models: the fusion constants and the ``appearance`` head.

Both are fitted on synthetic forgeries (:func:`pixelproof.forensics.make_forgeries`)
made from the *tuning* photos, the Kodak and BSDS sets of ``shared/data/photos``
(:data:`TUNE_SETS`); the held-out sets (:data:`HELDOUT_SETS`) are never used here.

``forensics-fusion`` (:func:`calibrate_fusion`, written by :func:`write_fusion`)
    300 cases (seed 1) are analysed with ``keep_maps=True``; a logistic pixel model per
    regime is fitted on the fusion's centred maps, then a score model with non-negative
    weights on the map's peak and the analyses' scores, with the benign-processing
    negatives of the ``fit`` photo split (:data:`BENIGN_N`, authentic photos of
    :data:`BENIGN_SETS` after random publishing chains, see
    :mod:`pixelproof.forensics._benign`) among the authentic cases. The label
    thresholds are set on the ``select`` split's negatives (:func:`label_thresholds`:
    at most 1% labelled manipulated, 60% authentic). The ``report`` split is left to
    ``benchmarks/benign_bench.py``. Output: ``fusion.json``, shipped as
    ``pixelproof/forensics/_data/fusion.json``.
``appearance`` (:func:`fit_appearance_head`)
    500 cases of every kind (seed 2026) and 200 more authentic controls (seed 2027) of
    their own, so that none of the benchmark's forgeries is a training example. Every
    manipulated cell (the mask covers at least half of it) is a positive; negatives are
    cells of the authentic controls and untouched cells of the forgeries. Up to 150
    positives and 50 untouched cells per forgery and 400 cells per authentic control
    are drawn, so that large images do not dominate while authentic scenery (defocus,
    saturated colours, fine texture) weighs enough to keep false alarms down. The
    model is an L2-penalised logistic regression on standardised features (penalty
    1/C with C = 0.001: strong, see the notes of ``pixelproof.forensics._appearance``).
    Output: ``appearance_head.npz``, shipped in ``pixelproof/forensics/_data/``. Refit
    the fusion afterwards: its weights depend on this analysis.

Commands (from the repository root; ``--work`` keeps the generated forgeries, so a
second run reuses them)::

    python -m pixelproof.training forensics-fusion --out DIR --work /tmp/fusion-work
    python -m pixelproof.training appearance --out DIR --work /tmp/appearance-work

The fits need OpenCV and the other ``forensics`` extras; the appearance fit also SciPy.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..forensics import KINDS, ForensicsEvaluation, ForgeryCase, load_cases, make_forgeries

FloatArray = NDArray[np.float64]

TUNE_SETS = ("kodak24", "bsds-cbsd68")
HELDOUT_SETS = ("set5-set14", "debian-wallpapers", "exif-samples")
DEFAULT_PHOTOS = Path("..") / "shared" / "data" / "photos"
FUSION_FILE = "fusion.json"
FUSION_ABOUT = (
    "Fusion constants of pixelproof.forensics (see its _fusion module); written by "
    "python -m pixelproof.training forensics-fusion"
)
# Benign-processing negatives (authentic photos after publishing chains, see
# pixelproof.forensics._benign): the camera photos they are made from, and how many
# of each photo split with which seed. "fit" joins the fit of the weights, "select"
# sets the label thresholds, "report" is only for the benchmark.
BENIGN_SETS = ("kodak24", "bsds-cbsd68", "exif-samples", "debian-wallpapers")
BENIGN_N = {"fit": 200, "select": 100, "report": 200}
BENIGN_SEEDS = {"fit": 11, "select": 12, "report": 13}
# Label thresholds on the select split: at most this share of authentic photos after
# publishing labelled manipulated, at least this share labelled authentic.
ACCUSED_AT_MOST = 0.01
AUTHENTIC_AT_LEAST = 0.6
APPEARANCE_FILE = "appearance_head.npz"
# Cells drawn per image for the appearance head (see the module doc).
APPEARANCE_PER_IMAGE = {"positive": 150, "untouched": 50, "authentic": 400}


def photo_list(photos: Path, sets: Iterable[str]) -> list[Path]:
    """The photos of ``sets`` (sub-folders of ``photos``), sorted, without the
    deliberately broken samples (folders named ``invalid`` or ``tests``)."""
    from ..io import IMAGE_EXTENSIONS

    found: list[Path] = []
    for name in sets:
        folder = photos / name
        for path in sorted(folder.rglob("*")):
            if not path.is_file() or path.suffix.lower() not in IMAGE_EXTENSIONS:
                continue
            if any(part in ("invalid", "tests") for part in path.parts):
                continue
            found.append(path)
    return found


def forgery_set(
    photos: Sequence[Path], folder: Path, *, n: int, seed: int, kinds: Sequence[str] = KINDS
) -> list[ForgeryCase]:
    """The cases of ``folder/cases.json`` when it exists, else ``n`` new ones made there."""
    manifest = folder / "cases.json"
    if manifest.exists():
        return load_cases(manifest)
    return make_forgeries(list(photos), folder, n=n, seed=seed, kinds=kinds)


# --- fusion ---------------------------------------------------------------------------


def benign_set(
    photos: Path, work: Path, split: str, *, n: int | None = None, seed: int | None = None
) -> list[ForgeryCase]:
    """The benign-processing negatives of one photo split (see
    :mod:`pixelproof.forensics._benign`): the cases of ``work/benign-SPLIT`` when they
    exist, else ``n`` new ones (default :data:`BENIGN_N`) made there from the split's
    photos of :data:`BENIGN_SETS`."""
    from ..forensics import make_benign
    from ..forensics._benign import split_photos

    folder = work / f"benign-{split}"
    manifest = folder / "cases.json"
    if manifest.exists():
        return load_cases(manifest)
    chosen = split_photos(photo_list(photos, BENIGN_SETS), split)
    return make_benign(
        chosen,
        folder,
        n=BENIGN_N[split] if n is None else n,
        seed=BENIGN_SEEDS[split] if seed is None else seed,
    )


def calibrate_fusion(
    maps: Sequence[Mapping[str, Any]], select: Sequence[Mapping[str, Any]] | None = None
) -> dict[str, Any]:
    """Fit the fusion constants on the kept maps of a tuning evaluation.

    Parameters
    ----------
    maps : sequence of dict
        :attr:`~pixelproof.forensics.ForensicsEvaluation.maps` of
        ``evaluate_forensics(cases, keep_maps=True)``: per case the fusion's centred
        maps (``planes``), the mask on the same grid (None for an authentic control),
        the analyses' scores, ``recompressed`` and ``kind``. Both regimes need
        manipulated cases, and the set needs authentic ones. The weights are fitted
        here.
    select : sequence of dict, optional
        Kept maps of authentic photos after publishing chains of the *select* split,
        on which the label thresholds are set (at most :data:`ACCUSED_AT_MOST` of them
        labelled manipulated, :data:`AUTHENTIC_AT_LEAST` labelled authentic). Without
        it, the thresholds come from the authentic cases of ``maps``.

    Returns
    -------
    dict
        The JSON object of ``fusion.json`` (``pixel_models``, ``score_models``,
        ``manipulated_at``, ``authentic_below``), rounded to 3 decimals like the
        shipped file.
    """
    from ..forensics import _fusion

    names = list(_fusion.MAP_ANALYSES)
    regimes = _fusion.REGIMES

    def regime_of(item: Mapping[str, Any]) -> str:
        return regimes[0] if item["recompressed"] else regimes[1]

    # Pixel model, one per regime: every manipulated image weighs the same, and within
    # it the manipulated and untouched pixels weigh the same (masks cover 1-10%).
    rng = np.random.default_rng(0)
    pixel_models: dict[str, _fusion.PixelModel] = {}
    for regime in regimes:
        rows, labels, weights = [], [], []
        for item in maps:
            mask = item["mask"]
            if regime_of(item) != regime or mask is None or not 0 < mask.sum() < mask.size:
                continue
            planes = [
                np.asarray(p, dtype=np.float64).ravel() for n in names for p in item["planes"][n]
            ]
            features = np.stack(planes, axis=1)
            for label, where in (
                (1.0, np.flatnonzero(mask.ravel())),
                (0.0, np.flatnonzero(~mask.ravel())),
            ):
                chosen = rng.choice(where, min(750, where.size), replace=False)
                rows.append(features[chosen])
                labels.append(np.full(chosen.size, label))
                weights.append(np.full(chosen.size, 0.5 / chosen.size))
        if not rows:
            raise ValueError(f"maps: no manipulated case in the {regime!r} regime")
        coef, intercept = weighted_logistic(
            np.concatenate(rows), np.concatenate(labels), np.concatenate(weights)
        )
        pixel_models[regime] = _fusion.PixelModel(
            intercept,
            {n: (float(coef[2 * i]), float(coef[2 * i + 1])) for i, n in enumerate(names)},
        )
    # Score model on the map's peak and the analyses' scores, non-negative weights, one
    # set per regime (recompressed or not), one intercept (see _fusion's module notes).

    def score_design(items: Sequence[Mapping[str, Any]]) -> tuple[FloatArray, FloatArray]:
        rows, flags = [], []
        for item in items:
            item_planes = {
                n: (np.asarray(own, np.float64), np.asarray(around, np.float64))
                for n, (own, around) in item["planes"].items()
            }
            logit = _fusion.pixel_logit(item_planes, pixel_models[regime_of(item)])
            rows.append(
                [_fusion.map_peak(logit)] + [float(item["scores"].get(n, 0.0)) for n in names]
            )
            flags.append(float(item["recompressed"]))
        x = np.asarray(rows, dtype=np.float64).reshape(len(rows), len(names) + 1)
        flag = np.asarray(flags)[:, None]
        return np.hstack([x * flag, x * (1.0 - flag), flag]), x

    design, x = score_design(maps)
    y = np.asarray([item["kind"] != "authentic" for item in maps], dtype=float)
    if not 0 < y.sum() < y.size:
        raise ValueError("maps: the score model needs manipulated and authentic cases")
    score_coef, score_intercept = nonnegative_logistic(design, y)

    def probability(matrix: FloatArray) -> FloatArray:
        out: FloatArray = 1.0 / (1.0 + np.exp(-(matrix @ score_coef + score_intercept)))
        return out

    authentic = probability(design)[y == 0] if not select else probability(score_design(select)[0])
    manipulated_at, authentic_below = label_thresholds(authentic)
    width = x.shape[1]
    models = {}
    for regime, part, offset in (("recompressed", 0, score_coef[-1]), ("single", 1, 0.0)):
        weights_of = score_coef[part * width : (part + 1) * width]
        models[regime] = {
            "intercept": round(float(score_intercept + offset), 3),
            "peak_weight": round(float(weights_of[0]), 3),
            "weights": {n: round(float(c), 3) for n, c in zip(names, weights_of[1:], strict=True)},
        }
    return {
        "about": FUSION_ABOUT,
        "pixel_models": {
            regime: {
                "intercept": round(model.intercept, 3),
                "weights": {n: [round(w, 3) for w in pair] for n, pair in model.weights.items()},
            }
            for regime, model in pixel_models.items()
        },
        "score_models": models,
        "manipulated_at": round(manipulated_at, 3),
        "authentic_below": round(authentic_below, 3),
    }


def label_thresholds(authentic: FloatArray) -> tuple[float, float]:
    """``manipulated_at`` and ``authentic_below`` from the scores of authentic photos.

    ``manipulated_at``: just above the score that :data:`ACCUSED_AT_MOST` of them
    reach (never below 0.6: an accusation needs the odds on its side).
    ``authentic_below``: the score under which :data:`AUTHENTIC_AT_LEAST` of them
    fall, kept within [0.1, 0.5] (a forgery with half the odds is never "authentic").
    """
    if authentic.size == 0:
        raise ValueError("no authentic photo to set the label thresholds on")
    manipulated_at = float(max(0.6, np.quantile(authentic, 1.0 - ACCUSED_AT_MOST) + 1e-3))
    authentic_below = float(np.clip(np.quantile(authentic, AUTHENTIC_AT_LEAST), 0.1, 0.5))
    return min(manipulated_at, 0.995), min(authentic_below, manipulated_at)


def fusion_json(constants: Mapping[str, Any]) -> str:
    """The text of ``fusion.json`` for ``constants`` (as :func:`calibrate_fusion` gives).

    Checked by the loader of the fusion first; the layout is the shipped file's, so
    that refitting to the same numbers leaves the file unchanged.
    """
    from ..forensics import _fusion

    _fusion.parse_constants(constants)
    text = json.dumps(constants, indent=1)
    # One line per [own, neighbourhood] pair of weights.
    return re.sub(r"\[\s+(\S+),\s+(\S+)\s+\]", r"[\1, \2]", text) + "\n"


def write_fusion(constants: Mapping[str, Any], out: Path) -> Path:
    """Write ``out/fusion.json`` (the folder is created); returns the file's path."""
    out.mkdir(parents=True, exist_ok=True)
    path = out / FUSION_FILE
    path.write_text(fusion_json(constants), encoding="utf-8")
    return path


def weighted_logistic(
    x: FloatArray, y: FloatArray, w: FloatArray, l2: float = 1e-4
) -> tuple[FloatArray, float]:
    """Weighted logistic regression by Newton's method (weights sum to the sample's weight)."""
    design = np.hstack([x, np.ones((len(x), 1))])
    beta = np.zeros(design.shape[1])
    penalty = l2 * np.eye(design.shape[1])
    penalty[-1, -1] = 0.0
    for _ in range(30):
        p = 1.0 / (1.0 + np.exp(-(design @ beta)))
        gradient = design.T @ (w * (p - y)) + penalty @ beta
        hessian = (design * (w * p * (1.0 - p))[:, None]).T @ design + penalty
        beta -= np.linalg.solve(hessian, gradient)
    return beta[:-1], float(beta[-1])


def nonnegative_logistic(
    x: FloatArray, y: FloatArray, l2: float = 1e-3, steps: int = 20000
) -> tuple[FloatArray, float]:
    """Logistic regression with non-negative weights and balanced classes.

    Balanced: both classes weigh the same in total, so the output is a probability
    under even odds of manipulation, whatever the set's own mix.
    """
    # Projected gradient descent on features scaled to unit root-mean-square (a fixed
    # step is then stable whatever the features' ranges); the weights are scaled back.
    scale = np.sqrt(np.mean(x * x, axis=0)) + 1e-9
    z = x / scale
    coef = np.zeros(x.shape[1])
    intercept = 0.0
    rate = 1.0
    weight = np.where(y > 0.5, 0.5 / max(1.0, y.sum()), 0.5 / max(1.0, (1 - y).sum()))
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(-(z @ coef + intercept)))
        residual = (p - y) * weight
        grad = z.T @ residual + l2 * coef
        coef = np.maximum(coef - rate * grad, 0.0)
        intercept -= rate * float(residual.sum())
    return coef / scale, intercept


def fit_fusion(
    photos: Path,
    work: Path,
    out: Path,
    *,
    n: int = 300,
    seed: int = 1,
    progress: Callable[[int, int], None] | None = None,
) -> Path:
    """The whole fusion fit: forgeries from the tuning photos into ``work/tune`` and
    the benign-processing negatives of the ``fit`` split (weights) and of the
    ``select`` split (thresholds), evaluated; :func:`calibrate_fusion`;
    ``out/fusion.json`` (its path is returned)."""
    from ..forensics import evaluate_forensics

    evaluation = tuning_evaluation(photos, work, n=n, seed=seed, progress=progress)
    fit = evaluate_forensics(benign_set(photos, work, "fit"), keep_maps=True, progress=progress)
    select = evaluate_forensics(
        benign_set(photos, work, "select"), keep_maps=True, progress=progress
    )
    return write_fusion(calibrate_fusion(evaluation.maps + fit.maps, select.maps), out)


def tuning_evaluation(
    photos: Path,
    work: Path,
    *,
    n: int = 300,
    seed: int = 1,
    progress: Callable[[int, int], None] | None = None,
) -> ForensicsEvaluation:
    """The tuning set (forgeries of :data:`TUNE_SETS` in ``work/tune``) evaluated with
    its maps kept, which is what :func:`calibrate_fusion` fits."""
    from ..forensics import evaluate_forensics

    cases = forgery_set(photo_list(photos, TUNE_SETS), work / "tune", n=n, seed=seed)
    return evaluate_forensics(cases, keep_maps=True, progress=progress)


# --- appearance head ------------------------------------------------------------------


def appearance_samples(
    case: ForgeryCase, rng: np.random.Generator
) -> tuple[NDArray[np.floating[Any]], FloatArray, int, int]:
    """Features and labels of the cells drawn from one forgery or control, and the
    numbers of its cells and of its edited cells."""
    import cv2

    from ..forensics._appearance import appearance_features
    from ..io import load_image

    features = appearance_features(load_image(case.image_path).pixels)
    flat = features.reshape(-1, features.shape[-1])
    mask = case.load_mask()
    per_image = APPEARANCE_PER_IMAGE
    if mask is None:
        chosen = rng.choice(len(flat), min(len(flat), per_image["authentic"]), replace=False)
        return flat[chosen], np.zeros(chosen.size), len(flat), 0
    cover = cv2.resize(
        mask.astype(np.float32), features.shape[1::-1], interpolation=cv2.INTER_AREA
    ).ravel()
    positive, untouched = np.flatnonzero(cover >= 0.5), np.flatnonzero(cover == 0.0)
    edited = positive.size
    positive = rng.choice(positive, min(positive.size, per_image["positive"]), replace=False)
    untouched = rng.choice(untouched, min(untouched.size, per_image["untouched"]), replace=False)
    chosen = np.concatenate([positive, untouched])
    return flat[chosen], np.r_[np.ones(positive.size), np.zeros(untouched.size)], len(flat), edited


def l2_logistic(x: FloatArray, y: FloatArray, c: float) -> tuple[FloatArray, float]:
    """Minimise sum of log-losses + ||w||^2 / (2c) (the intercept is not penalised)."""
    from scipy.optimize import minimize  # type: ignore[import-untyped]

    def loss(params: FloatArray) -> tuple[float, FloatArray]:
        w, b = params[:-1], params[-1]
        z = x @ w + b
        # log(1 + exp(-s z)) with s = +-1, computed stably.
        signed = np.where(y > 0.5, z, -z)
        value = float(np.logaddexp(0.0, -signed).sum() + w @ w / (2.0 * c))
        p = 1.0 / (1.0 + np.exp(-z))
        residual = p - y
        gradient = np.r_[x.T @ residual + w / c, residual.sum()]
        return value, gradient

    start = np.zeros(x.shape[1] + 1)
    result = minimize(loss, start, jac=True, method="L-BFGS-B", options={"maxiter": 2000})
    return result.x[:-1], float(result.x[-1])


def fit_appearance_head(
    cases: Sequence[ForgeryCase], *, seed: int = 2026, c: float = 0.001
) -> tuple[dict[str, Any], str]:
    """Fit the appearance head on ``cases``: the arrays of ``appearance_head.npz``
    (``mean``, ``scale``, ``coef``, ``intercept``) and a one-line report."""
    from ..bench.metrics import roc_auc

    rng = np.random.default_rng(seed)
    parts = [appearance_samples(case, rng) for case in cases]
    x = np.concatenate([p[0] for p in parts]).astype(np.float64)
    y = np.concatenate([p[1] for p in parts])
    if not 0 < y.sum() < y.size:
        raise ValueError("cases: the appearance head needs edited and untouched cells")
    mean, scale = x.mean(axis=0), x.std(axis=0) + 1e-6
    standardised = (x - mean) / scale
    coef, intercept = l2_logistic(standardised, y, c)
    fitted = standardised @ coef + intercept
    # The sample over-represents edited cells; shift the log-odds to their share among
    # all cells of the training images, so that the map reads as a probability per cell.
    share = sum(p[3] for p in parts) / sum(p[2] for p in parts)
    intercept += float(np.log(share / (1.0 - share)) - np.log(y.mean() / (1.0 - y.mean())))
    report = (
        f"{len(cases)} images, {len(y)} cells ({int(y.sum())} edited; {share:.1%} of all "
        f"cells); training cell AUC {roc_auc(y.astype(bool), fitted):.3f}"
    )
    head = {"mean": mean, "scale": scale, "coef": coef, "intercept": np.float64(intercept)}
    return head, report


def write_appearance_head(head: Mapping[str, Any], out: Path) -> Path:
    """Write ``out/appearance_head.npz`` (the folder is created); returns its path."""
    out.mkdir(parents=True, exist_ok=True)
    path = out / APPEARANCE_FILE
    np.savez(path, **head)
    return path


def fit_appearance(
    photos: Path,
    work: Path,
    out: Path,
    *,
    n: int = 500,
    authentic: int = 200,
    seed: int = 2026,
    c: float = 0.001,
) -> Path:
    """The whole appearance fit (see the module doc); returns the head's path."""
    tune = photo_list(photos, TUNE_SETS)
    cases = forgery_set(tune, work / "forgeries", n=n, seed=seed)
    cases += forgery_set(tune, work / "authentic", n=authentic, seed=seed + 1, kinds=("authentic",))
    head, report = fit_appearance_head(cases, seed=seed, c=c)
    print(report, file=sys.stderr)
    return write_appearance_head(head, out)
