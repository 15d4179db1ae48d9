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

import numpy as np
from numpy.typing import NDArray
from PIL import Image

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
    buffer.seek(0)
    resaved = np.asarray(Image.open(buffer).convert("RGB"))
    height, width = pixels.shape[:2]
    rows, cols = -(-height // BLOCK), -(-width // BLOCK)
    block_sum = np.zeros((rows, cols), dtype=np.float64)
    for top in range(0, height, _ROWS_PER_CHUNK):
        bottom = min(height, top + _ROWS_PER_CHUNK)
        diff = np.abs(pixels[top:bottom].astype(np.int16) - resaved[top:bottom]).max(axis=2)
        padded = np.zeros((-(-diff.shape[0] // BLOCK) * BLOCK, cols * BLOCK), dtype=np.float64)
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
