"""Small numpy kernels of the transforms (the Gaussian ones live with the metrics).

Everything here works on float64 arrays whose first two axes are rows and columns;
extra trailing axes (channels) are carried along. Nothing depends on scipy.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

from .metrics._gaussian import FloatArray, correlate_axis, gaussian_filter, gaussian_kernel

__all__ = [
    "INTERPOLATIONS",
    "FloatArray",
    "correlate_axis",
    "gaussian_filter",
    "gaussian_kernel",
    "resample",
    "to_uint8",
]

INTERPOLATIONS = ("nearest", "bilinear", "bicubic", "lanczos", "area")
# Enlarging steps compound (three 10x resizes of a small image ask for 30 GB): a
# benchmark image is refused above the loader's default pixel limit.
MAX_OUTPUT_PIXELS = 100_000_000


def to_uint8(array: FloatArray) -> NDArray[np.uint8]:
    """Round to the nearest integer and clip to 0..255."""
    return np.clip(np.rint(array), 0, 255).astype(np.uint8)


# --- resampling -------------------------------------------------------------------


def _triangle(x: FloatArray) -> FloatArray:
    return np.clip(1.0 - np.abs(x), 0.0, None)


def _cubic(x: FloatArray) -> FloatArray:
    # Keys' cubic convolution with a = -0.5 (the choice of Pillow and of Keys' paper).
    a = -0.5
    ax = np.abs(x)
    near = ((a + 2.0) * ax - (a + 3.0)) * ax * ax + 1.0
    far = ((ax - 5.0) * ax + 8.0) * ax * a - 4.0 * a
    return np.where(ax < 1.0, near, np.where(ax < 2.0, far, 0.0))


def _lanczos3(x: FloatArray) -> FloatArray:
    return np.where(np.abs(x) < 3.0, np.sinc(x) * np.sinc(x / 3.0), 0.0)


def _box(x: FloatArray) -> FloatArray:
    return ((x > -0.5) & (x <= 0.5)).astype(np.float64)


_KERNELS: dict[str, tuple[float, Callable[[FloatArray], FloatArray]]] = {
    "bilinear": (1.0, _triangle),
    "bicubic": (2.0, _cubic),
    "lanczos": (3.0, _lanczos3),
    "area": (0.5, _box),
}


def _taps(
    in_len: int, out_len: int, interp: str, antialias: bool
) -> tuple[NDArray[np.intp], FloatArray]:
    """Input indices and weights of every output sample along one axis.

    Pixel ``j`` covers ``[j, j + 1)``, so output sample ``i`` sits at input coordinate
    ``(i + 0.5) * in_len / out_len``. When shrinking with ``antialias``, the kernel is
    stretched by ``in_len / out_len`` so that it integrates over each output pixel's
    footprint (what Pillow always does); without it, the kernel keeps its natural width
    and the input is point-sampled (what OpenCV's ``resize`` does, aliasing included).
    Taps that fall outside the image are dropped and the rest renormalised.
    """
    ratio = in_len / out_len
    centers = (np.arange(out_len, dtype=np.float64) + 0.5) * ratio
    if interp == "nearest":
        # floor((i + 0.5) * in_len / out_len) in exact integer arithmetic
        index = (2 * np.arange(out_len, dtype=np.intp) + 1) * in_len // (2 * out_len)
        return np.minimum(index, in_len - 1)[:, None], np.ones((out_len, 1))
    support, kernel = _KERNELS[interp]
    stretch = max(ratio, 1.0) if antialias else 1.0
    reach = support * stretch
    n_taps = math.ceil(2 * reach) + 2
    first = np.floor(centers - reach).astype(np.intp)
    index = first[:, None] + np.arange(n_taps)[None, :]
    weights = kernel((index + 0.5 - centers[:, None]) / stretch)
    inside = (index >= 0) & (index < in_len)
    weights = np.where(inside, weights, 0.0)
    totals = weights.sum(axis=1, keepdims=True)
    if np.any(totals == 0):  # a box narrower than the sample spacing: fall back to nearest
        nearest = np.minimum(np.floor(centers).astype(np.intp), in_len - 1)
        empty = totals[:, 0] == 0
        weights[empty] = (index[empty] == nearest[empty, None]).astype(np.float64)
        totals = weights.sum(axis=1, keepdims=True)
    return np.clip(index, 0, in_len - 1), weights / totals


def _resample_axis(
    array: FloatArray, out_len: int, axis: int, interp: str, antialias: bool
) -> FloatArray:
    moved = np.moveaxis(array, axis, 0)
    index, weights = _taps(moved.shape[0], out_len, interp, antialias)
    extra = (1,) * (moved.ndim - 1)
    out = np.zeros((out_len, *moved.shape[1:]), dtype=np.float64)
    for k in range(index.shape[1]):
        out += weights[:, k].reshape(out_len, *extra) * moved[index[:, k]]
    return np.moveaxis(out, 0, axis)


def resample(
    image: NDArray[np.uint8], height: int, width: int, *, interp: str, antialias: bool
) -> NDArray[np.uint8]:
    """Resize an ``(H, W, C)`` uint8 image to ``(height, width)`` with a separable filter.

    ``interp`` is one of :data:`INTERPOLATIONS`. Bicubic is Keys' kernel with
    ``a = -0.5``, Lanczos has three lobes, and ``area`` is a box filter: with
    ``antialias`` it averages over each output pixel's footprint (OpenCV's
    ``INTER_AREA`` when shrinking); without it, it degenerates to nearest sampling.
    """
    if interp not in INTERPOLATIONS:
        raise ValueError(f"interp must be one of {', '.join(INTERPOLATIONS)}, got {interp!r}")
    if height < 1 or width < 1:
        raise ValueError(f"target size must be at least 1x1, got {height}x{width}")
    if height * width > MAX_OUTPUT_PIXELS:
        raise ValueError(
            f"target size {width}x{height} is {height * width / 1e6:.0f} megapixels, above "
            f"the limit of {MAX_OUTPUT_PIXELS / 1e6:.0f}"
        )
    # Columns first, then rows, rounding to 8 bits in between, as Pillow does.
    out = image
    if width != image.shape[1]:
        out = to_uint8(_resample_axis(out.astype(np.float64), width, 1, interp, antialias))
    if height != image.shape[0]:
        out = to_uint8(_resample_axis(out.astype(np.float64), height, 0, interp, antialias))
    return out.copy() if out is image else out
