"""Fusion of the analyses into one localization map and one calibrated score.

Map: every analysis's map is on an absolute scale (0 = nothing found), so they are
combined with a noisy-OR, each weighted by how often that analysis was right when it
flagged a pixel on the calibration set (its precision at 0.5):
``fused = 1 - prod_i (1 - w_i * map_i)``. A map that finds nothing contributes
nothing, so an image on which no analysis finds anything stays dark.

Score: a logistic model over the analyses' image-level scores and the strength of
the fused map, fitted on the calibration set with non-negative weights, so that more
evidence never lowers the score; its output is a probability of manipulation under
the calibration set's prior (half of its images are manipulated).

Label: "manipulated" at or above :data:`MANIPULATED_AT`, "authentic" (no evidence
found) below :data:`AUTHENTIC_BELOW`, "inconclusive" between.

Calibration: ``benchmarks/forensics_bench.py --calibrate`` on forgeries generated
from the Kodak and BSDS photos (tuning set); the numbers below are its output.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from numpy.typing import NDArray

from ._common import resize_map
from ._result import ForensicResult

# Precision of each analysis's map at 0.5 on the tuning set (noisy-OR weights).
MAP_WEIGHTS: dict[str, float] = {
    "copymove": 0.88,
    "dq": 0.83,
    "ghost": 0.18,
    "ela": 0.12,
    "noise": 0.12,
    "grid": 0.06,
    "cfa": 0.3,  # never informative on the tuning set: a prior, not a measurement
    "resampling": 0.05,
    "recolor": 0.29,
}
# Logistic model of the image score: intercept, weight of the fused map's strength
# (its 99.5th percentile), and weights of the analyses' own scores.
SCORE_INTERCEPT = -1.506
SCORE_FUSED_WEIGHT = 2.193
SCORE_WEIGHTS: dict[str, float] = {
    "copymove": 0.235,
    "dq": 1.322,
    "ghost": 0.061,
    "ela": 1.127,
    "noise": 0.0,
    "grid": 0.0,
    "cfa": 0.0,
    "resampling": 1.283,
    "recolor": 1.257,
}
# At most 5% of the tuning set's authentic controls score above MANIPULATED_AT.
MANIPULATED_AT = 0.687
AUTHENTIC_BELOW = 0.4
_FUSION_AREA = 250_000  # fuse at most at this many pixels


def fuse_maps(results: Mapping[str, ForensicResult], size: tuple[int, int]) -> NDArray[np.float32]:
    """Noisy-OR of the informative analyses' maps at (a reduced) image size.

    Returns an ``(h, w)`` float32 map covering ``size``; at most 250,000 pixels.
    """
    width, height = size
    factor = min(1.0, float(np.sqrt(_FUSION_AREA / max(1, width * height))))
    work = (max(1, round(width * factor)), max(1, round(height * factor)))
    keep = np.ones((work[1], work[0]), dtype=np.float64)
    for name, result in results.items():
        weight = MAP_WEIGHTS.get(name, 0.0)
        if not result.informative or weight <= 0.0:
            continue
        values = resize_map(result.heatmap, work).astype(np.float64)
        keep *= 1.0 - weight * values
    out: NDArray[np.float32] = np.clip(1.0 - keep, 0.0, 1.0).astype(np.float32)
    return out


def fused_strength(fused: NDArray[np.float32]) -> float:
    """Image-level strength of a fused map: its 99.5th percentile."""
    return float(np.percentile(fused, 99.5)) if fused.size else 0.0


def score_features(
    results: Mapping[str, ForensicResult], fused: NDArray[np.float32]
) -> dict[str, float]:
    """The inputs of the score model (analysis scores, 0 when absent or uninformative)."""
    features = {"fused": fused_strength(fused)}
    for name in SCORE_WEIGHTS:
        result = results.get(name)
        features[name] = float(result.score) if result is not None and result.informative else 0.0
    return features


def manipulation_score(features: Mapping[str, float]) -> float:
    """Calibrated probability of manipulation from :func:`score_features`."""
    logit = SCORE_INTERCEPT + SCORE_FUSED_WEIGHT * features.get("fused", 0.0)
    for name, weight in SCORE_WEIGHTS.items():
        logit += weight * features.get(name, 0.0)
    return float(1.0 / (1.0 + np.exp(-logit)))


def label_for(score: float) -> str:
    from ..evidence import Label

    if score >= MANIPULATED_AT:
        return Label.MANIPULATED
    if score < AUTHENTIC_BELOW:
        return Label.AUTHENTIC
    return Label.INCONCLUSIVE
