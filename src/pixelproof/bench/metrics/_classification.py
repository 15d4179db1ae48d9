"""Binary detection metrics computed from labels and scores."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._validate import binary_labels, both_classes, finite_scores

Scores = ArrayLike | Iterable[float]
Labels = ArrayLike | Iterable[bool] | Iterable[int]


def _prepare(labels: Labels, scores: Scores) -> tuple[NDArray[np.bool_], NDArray[np.float64]]:
    y = binary_labels(labels)
    return y, finite_scores(scores, y.size)


def _average_ranks(values: NDArray[np.float64]) -> NDArray[np.float64]:
    """1-based ranks, tied values sharing the mean of the ranks they span."""
    _, inverse, counts = np.unique(values, return_inverse=True, return_counts=True)
    ends = np.cumsum(counts).astype(np.float64)
    return (ends - (counts - 1) / 2.0)[inverse]


def _operating_points(
    y: NDArray[np.bool_], s: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.int64], NDArray[np.int64]]:
    """Distinct thresholds (descending) with true and false positives of ``s >= t``."""
    order = np.argsort(-s, kind="stable")
    sorted_scores, sorted_labels = s[order], y[order]
    tp = np.cumsum(sorted_labels, dtype=np.int64)
    fp = np.cumsum(~sorted_labels, dtype=np.int64)
    last = np.r_[np.flatnonzero(np.diff(sorted_scores)), s.size - 1]
    return sorted_scores[last], tp[last], fp[last]


def roc_auc(labels: Labels, scores: Scores) -> float:
    """Area under the ROC curve, with ties counted as half.

    Parameters
    ----------
    labels : (N,) array_like of bool or {0, 1}
        Ground truth; 1 marks a positive.
    scores : (N,) array_like of float
        Higher means more likely positive.

    Returns
    -------
    float
        The probability that a random positive scores above a random negative,
        counting ties as one half, in [0, 1].

    Raises
    ------
    ValueError
        When only one class is present, the lengths differ or a score is not finite.

    Notes
    -----
    Computed with the Mann-Whitney statistic on average ranks:
    ``(sum of positive ranks - P (P + 1) / 2) / (P N)``, which equals the trapezoidal
    area under the ROC curve, ties included.

    References
    ----------
    J. A. Hanley and B. J. McNeil, "The meaning and use of the area under a receiver
    operating characteristic (ROC) curve", Radiology 143(1), 1982.
    https://doi.org/10.1148/radiology.143.1.7063747

    Examples
    --------
    >>> roc_auc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    0.75
    """
    y, s = _prepare(labels, scores)
    positives, negatives = both_classes(y, "roc_auc")
    ranks = _average_ranks(s)
    u = ranks[y].sum() - positives * (positives + 1) / 2.0
    return float(u / (positives * negatives))


def average_precision(labels: Labels, scores: Scores) -> float:
    """Average precision: the area under the step precision-recall curve.

    Parameters
    ----------
    labels : (N,) array_like of bool or {0, 1}
        Ground truth; at least one positive.
    scores : (N,) array_like of float
        Higher means more likely positive.

    Returns
    -------
    float
        ``sum_k (R_k - R_{k-1}) P_k`` over the distinct score thresholds taken in
        decreasing order, where ``P_k`` and ``R_k`` are the precision and recall of
        predicting ``score >= t_k`` (``R_0 = 0``).

    Raises
    ------
    ValueError
        When there is no positive, the lengths differ or a score is not finite.

    Notes
    -----
    Tied scores are one threshold: all of them enter together, so their order does
    not matter (the convention of scikit-learn's ``average_precision_score``).

    Examples
    --------
    >>> round(average_precision([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]), 6)
    0.833333
    """
    y, s = _prepare(labels, scores)
    positives = int(y.sum())
    if positives == 0:
        raise ValueError("average_precision needs at least one positive label")
    _, tp, fp = _operating_points(y, s)
    precision = tp / (tp + fp)
    recall = tp / positives
    gained = np.diff(np.r_[0.0, recall])
    return float(np.sum(gained * precision))


def balanced_accuracy(labels: Labels, scores: Scores, threshold: float) -> float:
    """Mean of the true-positive and true-negative rates of ``score >= threshold``.

    Parameters
    ----------
    labels : (N,) array_like of bool or {0, 1}
        Ground truth with both classes present.
    scores : (N,) array_like of float
        Detector scores (or 0/1 decisions with ``threshold=0.5``).
    threshold : float
        Scores at or above it are predicted positive.

    Returns
    -------
    float
        ``(TPR + TNR) / 2`` in [0, 1]; 0.5 for a constant prediction.

    Raises
    ------
    ValueError
        When only one class is present.

    Examples
    --------
    >>> balanced_accuracy([0, 0, 0, 1], [0.2, 0.6, 0.1, 0.9], threshold=0.5)
    0.8333333333333333
    """
    y, s = _prepare(labels, scores)
    positives, negatives = both_classes(y, "balanced_accuracy")
    predicted = s >= threshold
    tpr = np.count_nonzero(predicted & y) / positives
    tnr = np.count_nonzero(~predicted & ~y) / negatives
    return float((tpr + tnr) / 2.0)


def tpr_at_fpr(labels: Labels, scores: Scores, fpr: float) -> float:
    """The largest true-positive rate reachable with a false-positive rate <= ``fpr``.

    Parameters
    ----------
    labels : (N,) array_like of bool or {0, 1}
        Ground truth with both classes present.
    scores : (N,) array_like of float
        Higher means more likely positive.
    fpr : float
        Largest tolerated false-positive rate, in [0, 1] (0.01 and 0.001 are usual).

    Returns
    -------
    float
        ``max TPR(t)`` over every threshold ``t`` (deciding ``score >= t``) whose
        ``FPR(t) = #{negatives with score >= t} / N`` is at most ``fpr``. A threshold
        above every score (TPR 0, FPR 0) always qualifies, so the result is 0 when
        no other threshold does.

    Raises
    ------
    ValueError
        When only one class is present or ``fpr`` is outside [0, 1].

    Notes
    -----
    No interpolation between operating points: with ``N`` negatives the achievable
    FPRs are multiples of ``1 / N``, so TPR at FPR 0.001 needs at least 1000
    negatives to differ from TPR at FPR 0.

    Examples
    --------
    >>> tpr_at_fpr([0, 0, 0, 0, 1, 1], [0.1, 0.2, 0.3, 0.9, 0.8, 0.95], fpr=0.25)
    1.0
    >>> tpr_at_fpr([0, 0, 0, 0, 1, 1], [0.1, 0.2, 0.3, 0.9, 0.8, 0.95], fpr=0.2)
    0.5
    """
    if not 0.0 <= fpr <= 1.0:
        raise ValueError(f"fpr must be in [0, 1], got {fpr}")
    y, s = _prepare(labels, scores)
    positives, negatives = both_classes(y, "tpr_at_fpr")
    _, tp, fp = _operating_points(y, s)
    allowed = fp / negatives <= fpr
    if not np.any(allowed):
        return 0.0
    return float(np.max(tp[allowed]) / positives)


def expected_calibration_error(labels: Labels, probs: Scores, n_bins: int = 15) -> float:
    """Expected calibration error of predicted probabilities of the positive class.

    Parameters
    ----------
    labels : (N,) array_like of bool or {0, 1}
        Ground truth.
    probs : (N,) array_like of float
        Predicted probability that each sample is positive, in [0, 1].
    n_bins : int
        Number of equal-width bins on [0, 1]; bin ``b`` holds
        ``b / n_bins <= p < (b + 1) / n_bins`` and the last also holds ``p = 1``.

    Returns
    -------
    float
        ``sum_b |B_b| / N * |mean(labels in B_b) - mean(probs in B_b)|`` over the
        non-empty bins, in [0, 1].

    Raises
    ------
    ValueError
        When a probability is outside [0, 1] or ``n_bins < 1``.

    Notes
    -----
    This is the reliability-diagram gap of the positive class, the usual reading
    for a binary detector's probability. The multi-class "top-label" ECE of Guo et
    al. bins ``max(p, 1 - p)`` against the accuracy of the predicted label instead;
    the two differ for binary problems.

    References
    ----------
    M. P. Naeini, G. F. Cooper and M. Hauskrecht, "Obtaining well calibrated
    probabilities using Bayesian binning", AAAI 2015.
    C. Guo, G. Pleiss, Y. Sun and K. Q. Weinberger, "On calibration of modern
    neural networks", ICML 2017.

    Examples
    --------
    >>> round(expected_calibration_error([0, 1, 1, 1], [0.1, 0.9, 0.9, 0.6], n_bins=2), 6)
    0.175
    """
    if isinstance(n_bins, bool) or not isinstance(n_bins, int) or n_bins < 1:
        raise ValueError(f"n_bins must be a positive int, got {n_bins!r}")
    y, p = _prepare(labels, probs)
    if np.any((p < 0.0) | (p > 1.0)):
        raise ValueError("probs must lie in [0, 1]")
    bins = np.minimum((p * n_bins).astype(np.int64), n_bins - 1)
    positive = np.bincount(bins, weights=y.astype(np.float64), minlength=n_bins)
    confidence = np.bincount(bins, weights=p, minlength=n_bins)
    gaps = np.abs(positive - confidence)  # = count * |accuracy - confidence| per bin
    return float(gaps.sum() / y.size)
