"""The banded and element-wise block helpers give exactly what the plain NumPy forms give."""

from __future__ import annotations

import numpy as np
import pytest

from pixelproof.forensics._common import block_fold, block_std


@pytest.mark.parametrize("shape", [(37, 45), (1030, 77), (7, 9), (3, 3)])
def test_block_helpers_match_numpy(shape: tuple[int, int]) -> None:
    rng = np.random.default_rng(sum(shape))
    plane = rng.integers(0, 256, size=shape, dtype=np.uint8)
    rows, cols = shape[0] // 8, shape[1] // 8
    cells = plane[: rows * 8, : cols * 8].reshape(rows, 8, cols, 8)
    assert np.array_equal(block_fold(plane, 8, np.maximum), cells.max(axis=(1, 3)))
    assert np.array_equal(block_fold(plane, 8, np.minimum), cells.min(axis=(1, 3)))
    full_rows, full_cols = -(-shape[0] // 8), -(-shape[1] // 8)
    pad = ((0, full_rows * 8 - shape[0]), (0, full_cols * 8 - shape[1]))
    edged = np.pad(plane, pad, mode="edge").reshape(full_rows, 8, full_cols, 8)
    assert np.array_equal(block_fold(plane, 8, np.maximum, partial=True), edged.max(axis=(1, 3)))
    zeroed = np.pad(plane.astype(np.int64), pad).reshape(full_rows, 8, full_cols, 8)
    sums = block_fold(plane, 8, np.add, partial=True, dtype=np.int32)
    assert np.array_equal(sums, zeroed.sum(axis=(1, 3)))
    luma = (plane * np.float32(0.7)).astype(np.float32)
    expected = luma[: rows * 8, : cols * 8].reshape(rows, 8, cols, 8).std(axis=(1, 3))
    assert np.array_equal(block_std(luma, 8), expected)  # bit for bit, band by band
