"""Fitting a probe: L2-penalized logistic regression, Platt calibration, thresholds.

Plain NumPy (Newton's method on the penalized log-likelihood), deterministic to the
bit for the same inputs, so a refit reproduces the shipped files.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]


def _sigmoid(x: FloatArray) -> FloatArray:
    return np.asarray(0.5 * (1.0 + np.tanh(0.5 * x)), np.float64)


def logistic_regression(
    x: FloatArray,
    y: NDArray[np.int_],
    *,
    penalty: float,
    weights: FloatArray | None = None,
    iterations: int = 50,
) -> tuple[FloatArray, float]:
    """Coefficients and intercept minimizing weighted log-loss + ``penalty/2 * |coef|^2``.

    The intercept is not penalized. Newton steps with a line search; stops when the
    step is negligible.
    """
    n, d = x.shape
    w = np.ones(n) if weights is None else np.asarray(weights, np.float64)
    w = w * (n / w.sum())
    design = np.hstack([x, np.ones((n, 1))])
    ridge = np.full(d + 1, penalty)
    ridge[-1] = 0.0
    beta = np.zeros(d + 1)
    target = np.asarray(y, np.float64)

    def loss(b: FloatArray) -> float:
        z = design @ b
        return float(np.sum(w * (np.logaddexp(0.0, z) - target * z)) + 0.5 * np.sum(ridge * b * b))

    current = loss(beta)
    for _ in range(iterations):
        p = _sigmoid(design @ beta)
        gradient = design.T @ (w * (p - target)) + ridge * beta
        hessian = (design * (w * p * (1 - p))[:, None]).T @ design + np.diag(ridge + 1e-9)
        step = np.linalg.solve(hessian, gradient)
        scale = 1.0
        while scale > 1e-4:
            candidate = beta - scale * step
            value = loss(candidate)
            if value <= current:
                break
            scale *= 0.5
        beta, previous, current = candidate, current, value
        if previous - current < 1e-10 * max(1.0, abs(current)):
            break
    return beta[:-1], float(beta[-1])


@dataclass(frozen=True)
class Standardizer:
    """Per-feature centring and scaling fitted on the training rows."""

    mean: FloatArray
    scale: FloatArray

    @classmethod
    def fit(cls, x: FloatArray) -> Standardizer:
        scale = x.std(axis=0)
        return cls(x.mean(axis=0), np.where(scale > 1e-9, scale, 1.0))

    def __call__(self, x: FloatArray) -> FloatArray:
        return np.asarray((x - self.mean) / self.scale, np.float64)


def balanced_weights(y: NDArray[np.int_]) -> FloatArray:
    """Row weights under which both classes weigh the same (half the total each)."""
    share = float(np.clip(np.mean(y), 1e-9, 1.0 - 1e-9))
    return np.where(np.asarray(y) == 1, 0.5 / share, 0.5 / (1.0 - share))


def platt(raw: FloatArray, y: NDArray[np.int_]) -> tuple[float, float]:
    """Platt scaling ``(a, b)``: calibrated log-odds = a * raw + b (lightly penalized).

    Both classes weigh the same, so the probability is the odds at an even prior: how
    many fakes and reals a calibration folder happens to hold is not the prevalence
    the detector will meet (the forensic fusion is fitted the same way).
    """
    coef, intercept = logistic_regression(
        raw.reshape(-1, 1), y, penalty=1e-3, weights=balanced_weights(y)
    )
    return float(coef[0]), intercept
