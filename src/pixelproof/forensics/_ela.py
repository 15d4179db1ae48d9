"""Error level analysis (ELA): how differently each region reacts to one more JPEG save.

Regions pasted from another source, or retouched after the last save, often carry a
different compression history from their surroundings, so recompressing the image at a
known quality changes them by a different amount. ELA shows the amount; it does not by
itself decide anything (textured areas and sharp edges also recompress with larger
errors), which is why the fused forensic score, not ELA alone, labels images.

References
----------
N. Krawetz, "A Picture's Worth...", Black Hat 2007.
"""

from __future__ import annotations

import io
from typing import Any

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from ..io import open_with_pixel_limit
from ._common import (
    box_mean,
    cells_to_map,
    channel_max,
    clipped_blocks,
    luma,
    robust_center_scale,
    sigmoid,
)
from ._context import ImageContext
from ._result import ForensicResult, empty_result

NAME = "ela"
# Qualities of the extra saves; the quality of the file's own last save is added.
ELA_QUALITIES = (75, 85, 95)
_Z_START = 3.5
_Z_SCALE = 1.0
_MIN_BLOCKS = 256

BLOCK = 8
# Mean absolute error (0..255 scale) shown at full brightness: a fixed scale, so a
# clean image stays dark instead of being stretched until something looks bright.
FULL_SCALE_ERROR = 16.0
_ROWS_PER_CHUNK = 512


def ela_map(pixels: NDArray[np.uint8], *, quality: int = 90) -> NDArray[np.float32]:
    """Per-8x8-block ELA error of an RGB image, on a fixed 0..1 scale.

    Parameters
    ----------
    pixels : (H, W, 3) uint8 ndarray
        The image.
    quality : int
        JPEG quality of the recompression (1-100).

    Returns
    -------
    (ceil(H/8), ceil(W/8)) float32 ndarray
        Mean over each block of the largest per-channel absolute difference,
        divided by ``FULL_SCALE_ERROR`` and clipped to [0, 1].
    """
    if not 1 <= quality <= 100:
        raise ValueError(f"quality must be in 1..100, got {quality}")
    buffer = io.BytesIO()
    Image.fromarray(pixels, "RGB").save(buffer, format="JPEG", quality=quality)
    height, width = pixels.shape[:2]
    rows, cols = -(-height // BLOCK), -(-width // BLOCK)
    block_sum = np.zeros((rows, cols), dtype=np.float64)
    with open_with_pixel_limit(buffer.getvalue(), height * width, formats=["JPEG"]) as opened:
        resaved_image = opened if opened.mode == "RGB" else opened.convert("RGB")
        for top in range(0, height, _ROWS_PER_CHUNK):
            bottom = min(height, top + _ROWS_PER_CHUNK)
            # A band at a time out of Pillow: no second full-size copy of the image.
            resaved = np.asarray(resaved_image.crop((0, top, width, bottom)))
            diff = channel_max(np.abs(pixels[top:bottom].astype(np.int16) - resaved))
            padded = np.zeros((-(-diff.shape[0] // BLOCK) * BLOCK, cols * BLOCK), np.float64)
            padded[: diff.shape[0], :width] = diff
            sums = padded.reshape(padded.shape[0] // BLOCK, BLOCK, cols, BLOCK).sum(axis=(1, 3))
            block_sum[top // BLOCK : top // BLOCK + sums.shape[0]] += sums
    counts = _block_counts(height, rows, BLOCK)[:, None] * _block_counts(width, cols, BLOCK)
    mean_error = block_sum / counts
    return np.clip(mean_error / FULL_SCALE_ERROR, 0.0, 1.0).astype(np.float32)


def _block_counts(length: int, blocks: int, size: int) -> NDArray[np.float64]:
    counts = np.full(blocks, float(size))
    counts[-1] = length - size * (blocks - 1)
    return counts


def ela_analysis(
    context: ImageContext, *, qualities: tuple[int, ...] = ELA_QUALITIES
) -> ForensicResult:
    """Error level analysis at several qualities, judged against local texture.

    Each 8x8 block's recompression error is compared with what blocks of the same
    texture show elsewhere in the image (a robust line fitted in log-log space), so
    detailed areas do not light up merely for being detailed. The map marks blocks
    whose error is several robust standard deviations above that line at some
    quality.

    Returns
    -------
    ForensicResult
        ``heatmap`` per 8x8 block; ``details``: ``qualities``, ``median_level`` and
        ``p99_level`` (the raw ELA levels at the file's own quality or 90, on the fixed
        scale of :func:`ela_map`), ``flagged_fraction``.
    """
    y = context.luma
    height, width = y.shape
    rows, cols = height // BLOCK, width // BLOCK
    if rows * cols < _MIN_BLOCKS:
        return empty_result(NAME, context.size, "Too small for error level analysis.")
    levels = set(qualities)
    own = context.jpeg_quality
    if own is not None:
        levels.add(int(min(max(own, 50), 100)))
    y_blocks = y[: rows * BLOCK, : cols * BLOCK].reshape(rows, BLOCK, cols, BLOCK)
    texture = y_blocks.std(axis=(1, 3))
    log_texture = np.log(texture + 1.0)
    best = np.full((rows, cols), -np.inf, dtype=np.float64)
    raw_levels: dict[int, float] = {}
    for quality in sorted(levels):
        again = luma(context.recompress(quality))
        error = np.abs(y - again)[: rows * BLOCK, : cols * BLOCK]
        block_error = error.reshape(rows, BLOCK, cols, BLOCK).mean(axis=(1, 3))
        raw_levels[quality] = float(np.median(block_error))
        log_error = np.log(block_error + 0.25)
        z = _texture_residual_z(log_texture, log_error)
        best = np.maximum(best, box_mean(z, 3).astype(np.float64))
    cells = np.asarray(sigmoid((best - _Z_START) / _Z_SCALE), dtype=np.float32)
    cells[clipped_blocks(context.pixels, BLOCK)[:rows, :cols]] = 0.0
    heatmap = cells_to_map(cells, BLOCK, context.size)
    flagged = float(np.mean(heatmap >= 0.5))
    # ELA is a weak cue: only a sizeable flagged area counts at the image level.
    score = float(min(1.0, flagged / 0.05))
    reference = own if own is not None else 90
    text = f"Recompressed at qualities {', '.join(str(q) for q in sorted(levels))}: " + (
        f"{flagged:.1%} of the image reacts more strongly than areas of the same texture "
        "(a different compression history)."
        if flagged >= 0.003
        else "every area reacts like others of the same texture."
    )
    details: dict[str, Any] = {
        "qualities": sorted(levels),
        "reference_quality": reference,
        "median_error": {str(k): round(v, 3) for k, v in raw_levels.items()},
        "flagged_fraction": round(flagged, 4),
    }
    return ForensicResult(NAME, heatmap, context.size, score, text, details)


def _texture_residual_z(
    log_texture: NDArray[np.float64], log_error: NDArray[np.float64]
) -> NDArray[np.float64]:
    """Robust z-score of ``log_error`` after removing its trend with ``log_texture``.

    The trend is a piecewise-constant median over texture deciles, which bends with
    the data where a straight line would not.
    """
    edges = np.unique(np.percentile(log_texture, np.linspace(0, 100, 11)))
    which = np.clip(
        np.searchsorted(edges, log_texture, side="right") - 1, 0, max(len(edges) - 2, 0)
    )
    trend = np.zeros_like(log_error)
    spread = np.zeros_like(log_error)
    for index in range(max(len(edges) - 1, 1)):
        members = which == index
        if not members.any():
            continue
        center, scale = robust_center_scale(log_error[members])
        trend[members] = center
        spread[members] = max(scale, 0.1)
    out: NDArray[np.float64] = (log_error - trend) / np.maximum(spread, 0.1)
    return out
