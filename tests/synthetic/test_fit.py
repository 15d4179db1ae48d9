"""The probe's fitting: logistic regression, calibration and metrics, on known data."""

from __future__ import annotations

import numpy as np
import pytest

from pixelproof.synthetic._fit import Standardizer, logistic_regression, platt
from pixelproof.synthetic._train import fit_probe, label_thresholds


def test_logistic_regression_recovers_the_generating_weights() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(4000, 2))
    y = (rng.random(4000) < 1 / (1 + np.exp(-(2.0 * x[:, 0] - 1.0 * x[:, 1] + 0.5)))).astype(int)
    coef, intercept = logistic_regression(x, y, penalty=1e-6)
    assert coef == pytest.approx([2.0, -1.0], abs=0.15)
    assert intercept == pytest.approx(0.5, abs=0.1)


def test_penalty_shrinks_the_weights() -> None:
    rng = np.random.default_rng(1)
    x = rng.normal(size=(200, 3))
    y = (x[:, 0] > 0).astype(int)
    loose, _ = logistic_regression(x, y, penalty=0.1)
    tight, _ = logistic_regression(x, y, penalty=100.0)
    assert np.linalg.norm(tight) < 0.5 * np.linalg.norm(loose)


def test_platt_undoes_a_scaled_and_shifted_logit() -> None:
    rng = np.random.default_rng(2)
    true_logit = rng.normal(scale=2.0, size=5000)
    y = (rng.random(5000) < 1 / (1 + np.exp(-true_logit))).astype(int)
    a, b = platt(true_logit / 3.0 - 1.0, y)  # a raw score 3x too flat, shifted
    assert a == pytest.approx(3.0, rel=0.1)
    assert b == pytest.approx(3.0, abs=0.3)


def test_standardizer_keeps_constant_features_finite() -> None:
    x = np.array([[1.0, 5.0], [3.0, 5.0]])
    standard = Standardizer.fit(x)
    assert standard(x).tolist() == [[-1.0, 0.0], [1.0, 0.0]]


def test_fit_probe_is_deterministic_and_separates_held_out_rows() -> None:
    rng = np.random.default_rng(3)
    d = 12

    def rows(n: int, label: int, copies: int) -> np.ndarray:
        base = rng.normal(size=(n, d))
        base[:, 0] += 1.5 * label
        return np.repeat(base[:, None, :], copies, axis=1) if copies > 1 else base

    fit_x = np.vstack([rows(60, 0, 1), rows(60, 1, 1)])
    fit_y = np.array([0] * 60 + [1] * 60)
    select_x = np.vstack([rows(40, 0, 3), rows(40, 1, 3)])
    select_y = np.array([0] * 40 + [1] * 40)
    first, summary = fit_probe(fit_x, fit_y, select_x, select_y)
    second, _ = fit_probe(fit_x, fit_y, select_x, select_y)
    assert np.array_equal(first.coef, second.coef) and first.platt_a == second.platt_a
    assert summary["select_auc"] > 0.8
    assert abs(first.coef[0]) == np.abs(first.coef).max()


def test_label_thresholds_bound_the_select_splits_label_errors() -> None:
    # Reals spread up to 0.9 and fakes down to 0.1: the defaults 0.7 / 0.3 would call
    # 10% of each class wrongly, so both thresholds move outwards to 5%.
    reals = np.linspace(0.0, 0.9, 101)
    fakes = np.linspace(0.1, 1.0, 101)
    probability = np.r_[reals, fakes]
    y = np.r_[np.zeros(101, int), np.ones(101, int)]
    synthetic, real = label_thresholds(probability, y)
    assert synthetic == pytest.approx(0.855, abs=2e-4)
    assert real == pytest.approx(0.145, abs=2e-4)
    assert np.mean(reals >= synthetic) <= 0.05 and np.mean(fakes <= real) <= 0.05
    # Well-separated classes keep the defaults: a threshold never moves inwards.
    separated = np.r_[np.linspace(0.0, 0.2, 101), np.linspace(0.8, 1.0, 101)]
    assert label_thresholds(separated, y) == (0.7, 0.3)
