"""Calibrated match scores: from (global similarity, verified inliers) to [0, 1].

A logistic model combines the evidence of one (query, reference) pair::

    z = b + w1 * normalized + w2 * min(n, 40) / 10 + w3 * log(1 + n),  n = max(0, inliers - 8)

where ``normalized`` is the global similarity minus the query's resemblance to a bank
of unrelated images (:func:`pixelproof.match._descriptors.bank_similarity`): the score
normalization of the Image Similarity Challenge, which keeps scores comparable across
queries (a plain-looking query resembles everything).

Its weights are fitted on pairs made from a calibration set of photos that is
disjoint from every evaluation set (edited copies against their originals, and
edited images against unrelated references). The score is then shifted so that
0.5 sits where, on that calibration set, 1% of the queries with no copy in the index
get a best match that high (the 99th percentile of their top-1 ``z``)::

    score = 1 / (1 + exp(-(z - z_99)))

so ``score > 0.5`` means "edited copy" at a false-match rate of at most 1% per query
on unrelated images. A stricter threshold (``strict``, 0.1% on the same data) is kept
for de-duplication, where one wrong link merges two groups. The numbers live in
``_data/calibration.json``, one entry per descriptor spec, written by
:mod:`pixelproof.training.match`.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

import numpy as np
from numpy.typing import NDArray

INLIER_CAP = 40
CHANCE_INLIERS = 8  # RANSAC can find this many agreeing matches between unrelated images


def pair_features(similarity: float, inliers: int) -> NDArray[np.float64]:
    """The model's inputs for one pair (without the intercept).

    Inliers count only beyond :data:`CHANCE_INLIERS`: an affine fit is found among a
    few random matches often enough (repeated shapes, text) to be no evidence.
    """
    n = max(0, int(inliers) - CHANCE_INLIERS)
    return np.array([similarity, min(n, INLIER_CAP) / 10.0, math.log1p(n)], dtype=np.float64)


@dataclass(frozen=True)
class Calibration:
    """Weights and thresholds of the score model for one descriptor."""

    weights: tuple[float, float, float]
    bias: float
    threshold: float
    strict: float
    info: dict[str, Any] = field(default_factory=dict)

    def logit(self, similarity: float, inliers: int) -> float:
        z = float(np.dot(self.weights, pair_features(similarity, inliers)) + self.bias)
        return z - self.threshold

    def score(self, similarity: float, inliers: int) -> float:
        """Calibrated score in [0, 1]; 0.5 is the 1%-false-match threshold."""
        return _sigmoid(self.logit(similarity, inliers))

    @property
    def calibrated(self) -> bool:
        """False for :data:`FALLBACK`: scores that were never fitted, so 0.5 promises no
        false-match rate."""
        return not self.info.get("fallback", False)

    @property
    def strict_score(self) -> float:
        """The score at the stricter (0.1%) threshold."""
        return _sigmoid(self.strict - self.threshold)

    def to_dict(self) -> dict[str, Any]:
        return {
            "weights": list(self.weights),
            "bias": self.bias,
            "threshold": self.threshold,
            "strict": self.strict,
            "info": self.info,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Calibration:
        w = [float(v) for v in data["weights"]]
        return cls(
            (w[0], w[1], w[2]),
            float(data["bias"]),
            float(data["threshold"]),
            float(data["strict"]),
            dict(data.get("info", {})),
        )


def _sigmoid(z: float) -> float:
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


# Used when no calibration was fitted for a descriptor (today pdq and sscd): inliers
# dominate, and the global similarity breaks ties. Conservative rather than calibrated:
# rows searched with it say `"calibrated": false` and the command line warns.
FALLBACK = Calibration((4.0, 1.5, 0.0), -4.0, 2.5, 4.0, {"fallback": True})


@cache
def _table() -> dict[str, Any]:
    try:
        text = resources.files(__package__).joinpath("_data", "calibration.json").read_text()
    except FileNotFoundError:
        return {}
    return dict(json.loads(text))


def calibration_for(descriptor_spec: str) -> Calibration:
    """The shipped calibration of ``descriptor_spec``, or the uncalibrated
    :data:`FALLBACK` (its ``calibrated`` is false) when none was fitted for it."""
    entry = _table().get(descriptor_spec)
    return FALLBACK if entry is None else Calibration.from_dict(entry)


def fit_logistic(
    x: NDArray[np.float64], y: NDArray[np.float64], *, l2: float = 1e-3, iterations: int = 50
) -> tuple[NDArray[np.float64], float]:
    """Weights and intercept of an L2-regularized logistic regression (Newton steps)."""
    design = np.hstack([x, np.ones((x.shape[0], 1))])
    beta = np.zeros(design.shape[1])
    penalty = np.full(design.shape[1], l2)
    penalty[-1] = 0.0
    for _ in range(iterations):
        z = np.clip(design @ beta, -30, 30)
        p = 1.0 / (1.0 + np.exp(-z))
        gradient = design.T @ (p - y) + penalty * beta
        hessian = (design * (p * (1 - p))[:, None]).T @ design + np.diag(penalty + 1e-9)
        step = np.linalg.solve(hessian, gradient)
        beta -= step
        if float(np.abs(step).max()) < 1e-8:
            break
    return beta[:-1], float(beta[-1])
