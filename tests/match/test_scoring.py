"""The calibrated score model."""

from __future__ import annotations

import numpy as np

from pixelproof.match import Calibration, calibration_for, create_descriptor
from pixelproof.match._scoring import FALLBACK, fit_logistic


def test_default_descriptor_is_calibrated() -> None:
    calibration = calibration_for(create_descriptor("effnet").spec)
    assert calibration is not FALLBACK
    assert calibration.info["unrelated_queries"] > 100


def test_scores_are_monotonic_and_bounded() -> None:
    calibration = calibration_for(create_descriptor("effnet").spec)
    by_inliers = [calibration.score(0.3, n) for n in (0, 5, 10, 20, 40, 200)]
    by_similarity = [calibration.score(s, 0) for s in (-0.2, 0.2, 0.5, 0.8, 1.0)]
    assert by_inliers == sorted(by_inliers) and by_similarity == sorted(by_similarity)
    assert all(0.0 <= s <= 1.0 for s in by_inliers + by_similarity)
    assert calibration.score(0.9, 100) > 0.99 and calibration.score(-0.3, 0) < 0.1
    assert calibration.strict_score >= 0.5


def test_threshold_is_where_the_score_is_one_half() -> None:
    c = Calibration((1.0, 0.0, 0.0), 0.0, 0.7, 0.9)
    assert c.score(0.7, 0) == 0.5
    assert Calibration.from_dict(c.to_dict()) == c


def test_fit_logistic_separates_classes() -> None:
    rng = np.random.default_rng(0)
    x = np.vstack([rng.normal(1, 0.5, (200, 3)), rng.normal(-1, 0.5, (200, 3))])
    y = np.concatenate([np.ones(200), np.zeros(200)])
    weights, bias = fit_logistic(x, y)
    predicted = (x @ weights + bias) > 0
    assert np.mean(predicted == y.astype(bool)) > 0.97


def test_unknown_descriptor_falls_back() -> None:
    assert calibration_for("made-up") is FALLBACK
