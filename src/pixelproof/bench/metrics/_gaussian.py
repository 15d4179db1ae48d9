"""Separable Gaussian filtering in plain numpy (the SSIM window; also used by the blur
transform through :mod:`pixelproof.bench._filters`).

It works on float64 arrays whose first two axes are rows and columns; extra trailing
axes (channels) are carried along. Nothing depends on scipy, nor on the rest of
:mod:`pixelproof.bench`: the metrics are a leaf package.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]


def gaussian_kernel(sigma: float, *, truncate: float = 4.0) -> FloatArray:
    """Normalised 1-D Gaussian of standard deviation ``sigma``.

    The radius is ``int(truncate * sigma + 0.5)``, the rule scipy's ``gaussian_filter``
    uses, so filtering with this kernel reproduces scipy's output exactly.
    """
    radius = int(truncate * sigma + 0.5)
    offsets = np.arange(-radius, radius + 1, dtype=np.float64)
    weights: FloatArray = np.exp(-0.5 * (offsets / sigma) ** 2)
    return weights / float(weights.sum())


def correlate_axis(array: FloatArray, weights: FloatArray, axis: int) -> FloatArray:
    """Correlate ``array`` with an odd-length 1-D kernel along ``axis``.

    Borders are extended by mirror reflection including the edge sample
    (``d c b a | a b c d | d c b a``), which is scipy.ndimage's ``mode="reflect"``.
    """
    radius = len(weights) // 2
    moved = np.moveaxis(array, axis, 0)
    length = moved.shape[0]
    pad = [(radius, radius)] + [(0, 0)] * (moved.ndim - 1)
    padded = np.pad(moved, pad, mode="symmetric")
    out = np.zeros_like(moved)
    for k, weight in enumerate(weights):
        out += weight * padded[k : k + length]
    return np.moveaxis(out, 0, axis)


def gaussian_filter(array: FloatArray, sigma: float, *, truncate: float = 4.0) -> FloatArray:
    """Separable Gaussian blur over the first two axes (rows and columns)."""
    if sigma <= 0:
        return array.copy()
    kernel = gaussian_kernel(sigma, truncate=truncate)
    return correlate_axis(correlate_axis(array, kernel, 0), kernel, 1)
