"""Fusion of the analyses into one localization map and one calibrated score.

Map: each informative analysis's map is turned into log-odds and centred on its own
median over the image, so that it says how much more suspicious a place is than the
rest of *this* image (an analysis that fires everywhere, or nowhere, contributes
nothing). A logistic model combines these centred maps and their neighbourhood means
(manipulated regions are compact, isolated flagged cells are mostly noise) into the
log-odds that a pixel belongs to the manipulated region of a manipulated image.

Score: a logistic model over the analyses' image-level scores and how strongly the
fused map singles out a region (its top percentile over its median), fitted with
non-negative weights so that more evidence never lowers the score; its output is a
probability of manipulation under the calibration set's prior (even odds). The
analyses mean different things in an image that shows an earlier JPEG compression
(the aligned double-quantization analysis is informative) and in one that does not:
in a recompressed image, a region without the double-quantization trace is strong
evidence, while block-grid and resampling cues also fire on untouched recompressed
photos. So the model has one set of weights per regime (:data:`SCORE_MODELS`),
fitted jointly with one intercept: the regime alone says nothing about manipulation
(authentic photos are recompressed as often as edited ones). The pixel model has one
per regime too (:data:`PIXEL_MODELS`): in a recompressed image the double-quantization
map locates edits best, so there it counts for more against the learned appearance
map (about half as much as the learned map for the same evidence, against under a
third in a model pooled over both regimes), whose false alarms (defocused backgrounds
look like an inpainting's smear to it) would otherwise dominate the map.

The map shown is the pixel probability times the image score: where to look, scaled
by whether there is anything to see, so an image without evidence stays dark.

Label: "manipulated" at or above :data:`MANIPULATED_AT`, "authentic" (no evidence
found) below :data:`AUTHENTIC_BELOW`, "inconclusive" between.

Calibration: :func:`pixelproof.training.forensics.calibrate_fusion` on forgeries
generated from the Kodak and BSDS photos (tuning set), with authentic photos after
publishing chains (resized, sharpened, tone-adjusted, cropped, recompressed: the
``fit`` photo split of :mod:`pixelproof.forensics._benign`) among the authentic
cases, fits the weights; the label thresholds are set on the ``select`` split's
chains (the ``report`` split is kept for the benchmark). The constants live in
``_data/fusion.json`` (``python -m pixelproof.training forensics-fusion --out DIR``
writes that file).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ._common import Float64Array, box_mean, resize_map, sigmoid
from ._result import ForensicResult

# Analyses with a map in the fusion. CFA is left out: no photo of the calibration set
# kept its demosaicing traces, so it has no fitted weight (its own result still shows).
MAP_ANALYSES = (
    "ela",
    "noise",
    "dq",
    "grid",
    "ghost",
    "copymove",
    "resampling",
    "recolor",
    "appearance",
)


# Regime of an image: "recompressed" when the aligned double-quantization analysis is
# informative (an earlier JPEG compression shows), "single" otherwise.
@dataclass(frozen=True)
class PixelModel:
    """Logistic pixel model of one regime: log-odds = intercept + sum over analyses of
    ``weights[name][0]`` x centred map + ``weights[name][1]`` x its neighbourhood mean."""

    intercept: float
    weights: dict[str, tuple[float, float]]


@dataclass(frozen=True)
class ScoreModel:
    """Logistic score model of one regime: intercept, weight of the map's peak (top
    percentile of the pixel log-odds over their median) and weights of the analyses'
    own scores."""

    intercept: float
    peak_weight: float
    weights: dict[str, float]


REGIMES = ("recompressed", "single")
FUSION_FILE = "fusion.json"  # in pixelproof/forensics/_data/


def parse_constants(
    data: Mapping[str, Any],
) -> tuple[dict[str, PixelModel], dict[str, ScoreModel], float, float]:
    """The pixel models, score models, :data:`MANIPULATED_AT` and :data:`AUTHENTIC_BELOW`
    of the fusion constants ``data`` (the JSON object of ``_data/fusion.json``).

    Raises
    ------
    ValueError
        When a regime or an analysis of :data:`MAP_ANALYSES` is missing.
    """
    pixel: dict[str, PixelModel] = {}
    score: dict[str, ScoreModel] = {}
    for regime_name in REGIMES:
        if regime_name not in data["pixel_models"] or regime_name not in data["score_models"]:
            raise ValueError(f"fusion constants: no model for the {regime_name!r} regime")
        p, s = data["pixel_models"][regime_name], data["score_models"][regime_name]
        for weights in (p["weights"], s["weights"]):
            missing = [n for n in MAP_ANALYSES if n not in weights]
            if missing:
                raise ValueError(f"fusion constants: no weight for {', '.join(missing)}")
        pixel[regime_name] = PixelModel(
            float(p["intercept"]),
            {n: (float(w[0]), float(w[1])) for n, w in p["weights"].items()},
        )
        score[regime_name] = ScoreModel(
            float(s["intercept"]),
            float(s["peak_weight"]),
            {n: float(w) for n, w in s["weights"].items()},
        )
    return pixel, score, float(data["manipulated_at"]), float(data["authentic_below"])


def _load_constants() -> tuple[dict[str, PixelModel], dict[str, ScoreModel], float, float]:
    text = resources.files(__package__).joinpath("_data", FUSION_FILE).read_text("utf-8")
    return parse_constants(json.loads(text))


# The fitted constants: one pixel model and one score model per regime, and the label
# thresholds (set on authentic photos after publishing chains of the select photo
# split: at most 1% of them score above MANIPULATED_AT, 60% below AUTHENTIC_BELOW).
PIXEL_MODELS, SCORE_MODELS, MANIPULATED_AT, AUTHENTIC_BELOW = _load_constants()

_FUSION_AREA = 40_000  # fuse at most at this many pixels
_NEIGHBOURHOOD = 0.04  # side of the neighbourhood window, relative to sqrt(area)
_LOGIT_CLIP = 1e-3  # maps are clipped to [c, 1 - c] before taking log-odds
_PEAK_PERCENTILE = 99.5


def fusion_size(size: tuple[int, int]) -> tuple[int, int]:
    """``(width, height)`` of the grid the fusion works on for an image of ``size``."""
    width, height = size
    factor = min(1.0, float(np.sqrt(_FUSION_AREA / max(1, width * height))))
    return max(1, round(width * factor)), max(1, round(height * factor))


def centred_maps(
    results: Mapping[str, ForensicResult], size: tuple[int, int]
) -> dict[str, tuple[Float64Array, Float64Array]]:
    """Per analysis of :data:`MAP_ANALYSES`: its centred log-odds map and neighbourhood mean.

    Both are on the :func:`fusion_size` grid; an absent or uninformative analysis
    gives zeros (no difference between places).
    """
    work = fusion_size(size)
    side = max(3, round(_NEIGHBOURHOOD * float(np.sqrt(work[0] * work[1]))) | 1)
    zeros = np.zeros((work[1], work[0]), dtype=np.float64)
    planes: dict[str, tuple[Float64Array, Float64Array]] = {}
    for name in MAP_ANALYSES:
        result = results.get(name)
        if result is None or not result.informative:
            planes[name] = (zeros, zeros)
            continue
        values = np.clip(resize_map(result.heatmap, work), _LOGIT_CLIP, 1.0 - _LOGIT_CLIP)
        logit = np.log(values / (1.0 - values)).astype(np.float64)
        logit -= float(np.median(logit))
        planes[name] = (logit, box_mean(logit, side).astype(np.float64))
    return planes


def pixel_logit(
    planes: Mapping[str, tuple[Float64Array, Float64Array]], model: PixelModel
) -> Float64Array:
    """Log-odds per pixel of belonging to a manipulated region under ``model`` (the
    image's regime's entry of :data:`PIXEL_MODELS`, see the module doc)."""
    first = next(iter(planes.values()))[0]
    out = np.full(first.shape, model.intercept, dtype=np.float64)
    for name, (own, neighbourhood) in planes.items():
        weight_own, weight_around = model.weights.get(name, (0.0, 0.0))
        out += weight_own * own + weight_around * neighbourhood
    return out


def map_peak(logit: Float64Array) -> float:
    """How strongly a pixel log-odds map singles out a region: top percentile over median."""
    if logit.size == 0:
        return 0.0
    top, middle = np.percentile(logit, [_PEAK_PERCENTILE, 50.0])
    return float(top - middle)


def regime(results: Mapping[str, ForensicResult]) -> str:
    """The score model's regime of an image (see :data:`SCORE_MODELS`)."""
    dq = results.get("dq")
    return "recompressed" if dq is not None and dq.informative else "single"


def score_features(results: Mapping[str, ForensicResult], logit: Float64Array) -> dict[str, float]:
    """The inputs of the score model: the map's peak, the analyses' scores (0 when
    absent or uninformative) and ``recompressed`` (1 in that regime, else 0)."""
    features = {"peak": map_peak(logit), "recompressed": float(regime(results) == "recompressed")}
    for name in MAP_ANALYSES:
        result = results.get(name)
        features[name] = float(result.score) if result is not None and result.informative else 0.0
    return features


def score_model(features: Mapping[str, float]) -> ScoreModel:
    """The score model of the regime that ``features`` (from :func:`score_features`) name."""
    return SCORE_MODELS["recompressed" if features.get("recompressed", 0.0) else "single"]


def manipulation_score(features: Mapping[str, float]) -> float:
    """Calibrated probability of manipulation from :func:`score_features`."""
    model = score_model(features)
    logit = model.intercept + model.peak_weight * features.get("peak", 0.0)
    for name, weight in model.weights.items():
        logit += weight * features.get(name, 0.0)
    return float(sigmoid(logit))


def fused_map(logit: Float64Array, score: float) -> NDArray[np.float32]:
    """The map shown: pixel probability scaled by the image's probability of manipulation."""
    out: NDArray[np.float32] = (np.asarray(sigmoid(logit)) * score).astype(np.float32)
    return np.clip(out, 0.0, 1.0)


def within_calibration(results: Mapping[str, ForensicResult]) -> bool:
    """Whether the score's calibration covers this image.

    The score model was fitted on JPEG photos. Other files (a PNG drawing, a render,
    a generated image, a screenshot) lie outside it, except for a verified copy-move,
    whose evidence does not depend on compression. (An 8x8 grid in the pixels is no
    proof of a JPEG past: generators that upsample their latents 8x leave one too.)
    """
    quality = results.get("quality")
    copymove = results.get("copymove")
    if quality is not None and "quality" in quality.details:
        return True
    return copymove is not None and copymove.informative and copymove.score >= 0.5


def label_for(score: float, *, calibrated: bool = True) -> str:
    """The label of a score; an uncalibrated image is at most inconclusive."""
    from ..evidence import Label

    if score >= MANIPULATED_AT:
        return Label.MANIPULATED if calibrated else Label.INCONCLUSIVE
    if score < AUTHENTIC_BELOW:
        return Label.AUTHENTIC
    return Label.INCONCLUSIVE
