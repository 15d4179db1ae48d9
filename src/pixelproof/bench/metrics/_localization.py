"""Pixel-level localisation metrics for forensic heat-maps."""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._classification import _operating_points, roc_auc
from ._validate import binary_labels, same_shape


def _mask_and_map(
    mask: ArrayLike, heatmap: ArrayLike
) -> tuple[NDArray[np.bool_], NDArray[np.float64]]:
    truth = np.asarray(mask)
    values = np.asarray(heatmap)
    same_shape(truth, values, "mask and heatmap")
    flat = np.asarray(values, dtype=np.float64).ravel()
    if not np.all(np.isfinite(flat)):
        raise ValueError("heatmap must be finite (no NaN or inf)")
    return binary_labels(truth, "mask"), flat


def _f1(true_positives: int, positives: int, predicted: int) -> float:
    # 2 TP / (2 TP + FP + FN) = 2 TP / (positives + predicted)
    total = positives + predicted
    return 1.0 if total == 0 else 2.0 * true_positives / total


def pixel_f1(mask: ArrayLike, heatmap: ArrayLike, threshold: float = 0.5) -> float:
    """F1 score of the pixels where ``heatmap >= threshold`` against a ground-truth mask.

    Parameters
    ----------
    mask : (H, W) array_like of bool or {0, 1}
        Manipulated pixels.
    heatmap : (H, W) array_like of float
        Per-pixel scores (a boolean prediction mask also works).
    threshold : float
        Pixels scoring at or above it are predicted manipulated.

    Returns
    -------
    float
        ``2 TP / (2 TP + FP + FN)``; 1.0 when the mask and the prediction are both
        empty (nothing to find and nothing found).

    Raises
    ------
    ValueError
        On mismatched shapes, a non-binary mask or a non-finite heatmap.

    Examples
    --------
    >>> pixel_f1([[1, 1], [0, 0]], [[0.9, 0.2], [0.7, 0.1]])
    0.5
    """
    truth, scores = _mask_and_map(mask, heatmap)
    predicted = scores >= threshold
    return _f1(int(np.count_nonzero(predicted & truth)), int(truth.sum()), int(predicted.sum()))


class ThresholdF1(NamedTuple):
    """Result of :func:`best_threshold_f1`."""

    f1: float
    """The best F1 over all thresholds."""
    threshold: float
    """A threshold reaching it (``heatmap >= threshold``); ``inf`` for predicting nothing."""


def best_threshold_f1(mask: ArrayLike, heatmap: ArrayLike) -> ThresholdF1:
    """The best pixel F1 over every threshold, and the highest threshold reaching it.

    Parameters
    ----------
    mask : (H, W) array_like of bool or {0, 1}
        Manipulated pixels.
    heatmap : (H, W) array_like of float
        Per-pixel scores.

    Returns
    -------
    ThresholdF1
        ``(f1, threshold)``. Every distinct heat-map value is tried as a threshold,
        plus ``inf`` (predict nothing, F1 1.0 for an empty mask and 0 otherwise).

    Raises
    ------
    ValueError
        On mismatched shapes, a non-binary mask or a non-finite heatmap.

    Notes
    -----
    An oracle: the threshold is chosen per image with the answer in hand, so this
    is an upper bound on what a fixed threshold achieves ("F1-best" in the image
    forensics literature). Report it next to :func:`pixel_f1` at a fixed threshold.

    Examples
    --------
    >>> best_threshold_f1([[1, 1], [0, 0]], [[0.9, 0.8], [0.7, 0.1]])
    ThresholdF1(f1=1.0, threshold=0.8)
    """
    truth, scores = _mask_and_map(mask, heatmap)
    positives = int(truth.sum())
    best = ThresholdF1(_f1(0, positives, 0), math.inf)
    thresholds, tp, fp = _operating_points(truth, scores)
    f1 = 2.0 * tp / (positives + tp + fp)
    index = int(np.argmax(f1))  # first maximum: the highest threshold reaching it
    if f1[index] > best.f1:
        best = ThresholdF1(float(f1[index]), float(thresholds[index]))
    return best


def pixel_auc(mask: ArrayLike, heatmap: ArrayLike) -> float:
    """Area under the ROC curve of the heat-map as a per-pixel classifier.

    Parameters
    ----------
    mask : (H, W) array_like of bool or {0, 1}
        Manipulated pixels; both classes must be present.
    heatmap : (H, W) array_like of float
        Per-pixel scores.

    Returns
    -------
    float
        :func:`roc_auc` of the flattened mask and heat-map (ties count half).

    Raises
    ------
    ValueError
        On mismatched shapes, or a mask that is all 0 or all 1.

    Examples
    --------
    >>> pixel_auc([[1, 0], [0, 0]], [[0.9, 0.2], [0.95, 0.1]])
    0.6666666666666666
    """
    truth, scores = _mask_and_map(mask, heatmap)
    return roc_auc(truth, scores)


def iou(mask: ArrayLike, heatmap: ArrayLike, threshold: float = 0.5) -> float:
    """Intersection over union of the mask and the pixels where ``heatmap >= threshold``.

    Parameters
    ----------
    mask : (H, W) array_like of bool or {0, 1}
        Manipulated pixels.
    heatmap : (H, W) array_like of float
        Per-pixel scores or a boolean prediction mask.
    threshold : float
        Pixels scoring at or above it are predicted manipulated.

    Returns
    -------
    float
        ``|A & B| / |A | B|``; 1.0 when both are empty.

    Raises
    ------
    ValueError
        On mismatched shapes, a non-binary mask or a non-finite heatmap.

    Examples
    --------
    >>> iou([[1, 1], [0, 0]], [[0.9, 0.2], [0.7, 0.1]])
    0.3333333333333333
    """
    truth, scores = _mask_and_map(mask, heatmap)
    predicted = scores >= threshold
    union = int(np.count_nonzero(predicted | truth))
    if union == 0:
        return 1.0
    return int(np.count_nonzero(predicted & truth)) / union
