"""Input checks shared by the metrics."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
from numpy.typing import ArrayLike, NDArray


def binary_labels(labels: ArrayLike | Iterable[object], name: str = "labels") -> NDArray[np.bool_]:
    """Flatten ``labels`` and check that they are 0/1 or booleans."""
    array = np.asarray(labels)
    if array.size == 0:
        raise ValueError(f"{name} is empty")
    if array.dtype == np.bool_:
        return array.ravel()
    if not np.issubdtype(array.dtype, np.number):
        raise TypeError(f"{name} must be booleans or 0/1 numbers, got dtype {array.dtype}")
    flat = array.ravel()
    if not np.all((flat == 0) | (flat == 1)):
        raise ValueError(f"{name} must contain only 0 and 1 (or booleans)")
    return flat.astype(bool)


def finite_scores(
    scores: ArrayLike | Iterable[object], size: int, name: str = "scores"
) -> NDArray[np.float64]:
    """Flatten ``scores`` to float64, checking their count and finiteness."""
    array = np.asarray(scores, dtype=np.float64).ravel()
    if array.size != size:
        raise ValueError(f"{name} has {array.size} values but labels has {size}")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} must be finite (no NaN or inf)")
    return array


def both_classes(labels: NDArray[np.bool_], what: str) -> tuple[int, int]:
    """Counts of positives and negatives; raise when either is zero."""
    positives = int(labels.sum())
    negatives = int(labels.size - positives)
    if positives == 0 or negatives == 0:
        raise ValueError(f"{what} needs both positive and negative labels")
    return positives, negatives


def same_shape(a: NDArray[np.generic], b: NDArray[np.generic], names: str) -> None:
    if a.shape != b.shape:
        raise ValueError(f"{names} must have the same shape, got {a.shape} and {b.shape}")
