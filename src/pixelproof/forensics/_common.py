"""Small numeric helpers shared by the forensic analyses."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

Float32Array = NDArray[np.float32]
Float64Array = NDArray[np.float64]


_BAND_ROWS = 512  # pixel rows per step of the banded helpers, bounding their temporaries
_DCT_BAND_ROWS = _BAND_ROWS // 8  # block rows per step of block_dct


def require_cv2() -> Any:
    """Import OpenCV, or say which extra installs it."""
    try:
        import cv2
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "this forensic analysis needs OpenCV: pip install 'pixelproof[forensics]'"
        ) from exc
    return cv2


def luma(pixels: NDArray[np.uint8]) -> Float32Array:
    """JPEG (BT.601 full-range) luma of an RGB image, 0..255 float32."""
    result: Float32Array = np.empty(pixels.shape[:2], dtype=np.float32)
    # A band of rows at a time: no float temporaries as large as the image.
    for top in range(0, pixels.shape[0], _BAND_ROWS):
        band = pixels[top : top + _BAND_ROWS]
        out = result[top : top + _BAND_ROWS]
        np.multiply(band[..., 0], np.float32(0.299), out=out, dtype=np.float32)
        out += band[..., 1].astype(np.float32) * np.float32(0.587)
        out += band[..., 2].astype(np.float32) * np.float32(0.114)
    return result


def colour_counts(pixels: NDArray[np.uint8], bits: int) -> NDArray[np.int64]:
    """How many pixels of an RGB image have each colour, with ``bits`` (1-8) per
    channel: index ``(r << 2 * bits) | (g << bits) | b`` of the quantized channels."""
    shift = 8 - bits
    counts = np.zeros(1 << (3 * bits), dtype=np.int64)
    for top in range(0, pixels.shape[0], _BAND_ROWS):
        band = pixels[top : top + _BAND_ROWS]
        codes = (band[..., 0] >> shift).astype(np.uint32) << (2 * bits)
        codes |= (band[..., 1] >> shift).astype(np.uint32) << bits
        codes |= band[..., 2] >> shift
        counts += np.bincount(codes.ravel(), minlength=counts.size)
    return counts


def luma_uint8(luma: Float32Array) -> NDArray[np.uint8]:
    """Luma rounded to 8-bit levels (for OpenCV's 8-bit feature detectors)."""
    result = np.empty(luma.shape, dtype=np.uint8)
    for top in range(0, luma.shape[0], _BAND_ROWS):
        result[top : top + _BAND_ROWS] = np.clip(np.rint(luma[top : top + _BAND_ROWS]), 0, 255)
    return result


def channel_max(values: NDArray[Any]) -> NDArray[Any]:
    """The largest of the three channels of every pixel of an (H, W, 3) array."""
    # Element-wise over the three planes: a NumPy reduction along a last axis of
    # length 3 is several times slower on large images.
    largest: NDArray[Any] = np.maximum(np.maximum(values[..., 0], values[..., 1]), values[..., 2])
    return largest


def channel_extremes(pixels: NDArray[np.uint8]) -> tuple[NDArray[np.uint8], NDArray[np.uint8]]:
    """The brightest and the darkest channel of every pixel of an RGB image."""
    darkest = np.minimum(np.minimum(pixels[..., 0], pixels[..., 1]), pixels[..., 2])
    return channel_max(pixels), darkest


def box_mean(values: NDArray[Any], size: int) -> Float32Array:
    """Mean over a ``size`` x ``size`` window around every element (edges reflected)."""
    cv2 = require_cv2()
    src = np.ascontiguousarray(values, dtype=np.float32)
    out: Float32Array = cv2.blur(src, (size, size), borderType=cv2.BORDER_REFLECT)
    return out


def resize_map(values: NDArray[Any], size: tuple[int, int]) -> Float32Array:
    """Resample a 2-D map to ``size = (width, height)`` with bilinear interpolation."""
    cv2 = require_cv2()
    src = np.ascontiguousarray(values, dtype=np.float32)
    width, height = size
    if src.shape == (height, width):
        return src.copy()
    if src.size == 1:
        return np.full((height, width), float(src.reshape(-1)[0]), dtype=np.float32)
    out: Float32Array = cv2.resize(src, (width, height), interpolation=cv2.INTER_LINEAR)
    return np.clip(out, 0.0, 1.0)


def cells_to_map(cells: NDArray[Any], cell: int, size: tuple[int, int]) -> Float32Array:
    """Turn a map of ``cell``-pixel cells (covering the top-left) into a full-size map.

    Cells are placed at their pixel positions; the uncovered right and bottom edges
    repeat the last cell, so the map covers exactly ``size = (width, height)``.
    """
    width, height = size
    src = np.asarray(cells, dtype=np.float32)
    if src.size == 0:
        return np.zeros((height, width), dtype=np.float32)
    full = np.repeat(np.repeat(src, cell, axis=0), cell, axis=1)[:height, :width]
    pad_rows, pad_cols = height - full.shape[0], width - full.shape[1]
    if pad_rows or pad_cols:
        full = np.pad(full, ((0, pad_rows), (0, pad_cols)), mode="edge")
    return np.ascontiguousarray(full, dtype=np.float32)


def robust_center_scale(values: NDArray[Any], *, floor: float = 1e-6) -> tuple[float, float]:
    """Median and MAD-based standard deviation (1.4826 MAD) of the finite values."""
    finite = np.asarray(values, dtype=np.float64)
    finite = finite[np.isfinite(finite)]
    if finite.size == 0:
        return 0.0, 1.0
    center = float(np.median(finite))
    scale = 1.4826 * float(np.median(np.abs(finite - center)))
    return center, max(scale, floor)


def sigmoid(values: NDArray[Any] | float) -> Any:
    """Logistic function, numerically safe."""
    return 1.0 / (1.0 + np.exp(-np.clip(values, -60.0, 60.0)))


def area_score(heatmap: NDArray[Any], *, level: float = 0.5, full_area: float = 0.02) -> float:
    """Image score from a map: how much of the image is above ``level``, on a fixed scale.

    ``full_area`` (a fraction of the image) or more above the level scores 1; the
    strength of the strongest evidence also counts, so a small but certain region
    is not lost.
    """
    values = np.asarray(heatmap, dtype=np.float64)
    if values.size == 0:
        return 0.0
    fraction = float(np.mean(values >= level))
    top = float(np.percentile(values, 99.5))
    return float(np.clip(max(min(1.0, fraction / full_area) * top, 0.5 * top), 0.0, 1.0))


def orient(values: NDArray[Any], orientation: int) -> NDArray[Any]:
    """Apply an EXIF orientation (1-8) to a 2-D map, the way the loader orients pixels."""
    if orientation == 1:
        return values
    swapped = np.swapaxes(values, 0, 1)
    table = {
        2: values[:, ::-1],
        3: values[::-1, ::-1],
        4: values[::-1, :],
        5: swapped,
        6: swapped[:, ::-1],
        7: swapped[::-1, ::-1],
        8: swapped[::-1, :],
    }
    return table.get(orientation, values)


def unorient(values: NDArray[Any], orientation: int) -> NDArray[Any]:
    """Undo :func:`orient`: back to the order in which the file stores the pixels."""
    inverse = {6: 8, 8: 6}.get(orientation, orientation)
    return orient(values, inverse)


def dct_matrix() -> Float64Array:
    """The orthonormal 8-point DCT-II matrix (JPEG's transform, same scaling)."""
    k = np.arange(8)
    matrix = np.cos((2 * k[None, :] + 1) * k[:, None] * np.pi / 16.0)
    matrix[0] *= np.sqrt(1.0 / 8.0)
    matrix[1:] *= np.sqrt(2.0 / 8.0)
    out: Float64Array = matrix.astype(np.float64)
    return out


def block_dct(plane: NDArray[Any], size: tuple[int, int] = (8, 8)) -> Float64Array:
    """8x8 block DCT of a plane (level-shifted by 128), shape ``(rows, cols, *size)``.

    ``size`` keeps only the lowest vertical x horizontal frequencies, for callers that
    use a few. Computed a band of block rows at a time, so the float copies stay small.
    """
    rows, cols = plane.shape[0] // 8, plane.shape[1] // 8
    matrix = dct_matrix()
    left, right = matrix[: size[0]], matrix[: size[1]].T
    out: Float64Array = np.empty((rows, cols, *size), dtype=np.float64)
    for top in range(0, rows, _DCT_BAND_ROWS):
        bottom = min(rows, top + _DCT_BAND_ROWS)
        band = np.asarray(plane[top * 8 : bottom * 8, : cols * 8], dtype=np.float64) - 128.0
        blocks = band.reshape(bottom - top, 8, cols, 8).transpose(0, 2, 1, 3)
        out[top:bottom] = left @ blocks @ right
    return out


def block_std(plane: NDArray[Any], block: int = 8) -> Float32Array:
    """Standard deviation of every ``block`` x ``block`` cell of a 2-D plane (partial
    edge cells dropped), as ``plane``'s cells ``.std(axis=(1, 3))`` gives it.

    Computed a band of cell rows at a time: NumPy's ``std`` of the whole plane makes
    three full-size float temporaries (about 300 MB on a 24-megapixel image).
    """
    rows, cols = plane.shape[0] // block, plane.shape[1] // block
    band_rows = max(1, _BAND_ROWS // block)
    out: Float32Array = np.empty((rows, cols), dtype=np.float32)
    for top in range(0, rows, band_rows):
        bottom = min(rows, top + band_rows)
        band = plane[top * block : bottom * block, : cols * block]
        out[top:bottom] = band.reshape(bottom - top, block, cols, block).std(axis=(1, 3))
    return out


def block_fold(
    values: NDArray[Any],
    block: int,
    fold: np.ufunc,
    *,
    partial: bool = False,
    dtype: Any = None,
) -> NDArray[Any]:
    """Fold every ``block`` x ``block`` cell of a 2-D array with a binary ufunc
    (``np.maximum``, ``np.minimum``, ``np.add``), in ``dtype`` (default: the input's);
    partial edge cells are dropped, or folded over the pixels they have with
    ``partial``.

    Element-wise over the ``block`` phases of the rows, then of the columns: NumPy's
    ``reshape(...).max(axis=(1, 3))`` is about 15 times slower on large images. Exact
    for extremes and integer sums (the order of the fold does not matter there).
    """
    if not partial:
        values = values[: values.shape[0] // block * block, : values.shape[1] // block * block]
    rows: NDArray[Any] = values[0::block].astype(dtype or values.dtype)
    for phase in range(1, block):
        part = values[phase::block]
        fold(rows[: len(part)], part, out=rows[: len(part)])
    out: NDArray[Any] = rows[:, 0::block].copy()
    for phase in range(1, block):
        part = rows[:, phase::block]
        fold(out[:, : part.shape[1]], part, out=out[:, : part.shape[1]])
    return out


def clipped_blocks(pixels: NDArray[np.uint8], block: int) -> NDArray[np.bool_]:
    """Cells of ``block`` pixels where some colour channel clips (>= 253 or <= 2).

    Shape ``(H // block, W // block)`` (partial edge cells dropped).
    """
    rows, cols = pixels.shape[0] // block, pixels.shape[1] // block
    brightest, darkest = channel_extremes(pixels[: rows * block, : cols * block])
    high = block_fold(brightest, block, np.maximum)
    low = block_fold(darkest, block, np.minimum)
    out: NDArray[np.bool_] = (high >= 253) | (low <= 2)
    return out
