"""The shared building blocks of the forensic analyses."""

from __future__ import annotations

import numpy as np
import pytest

from pixelproof.forensics._common import block_dct, channel_extremes, luma


def test_block_dct_is_jpeg_s_transform_and_keeps_the_low_frequencies_asked_for() -> None:
    scipy_fft = pytest.importorskip("scipy.fft")
    rng = np.random.default_rng(5)
    plane = rng.integers(0, 256, size=(8 * 70 + 5, 8 * 3 + 7)).astype(np.float32)
    full = block_dct(plane)
    assert full.shape == (70, 3, 8, 8)  # partial blocks dropped, 70 rows span two bands
    blocks = (plane[:560, :24].astype(np.float64) - 128.0).reshape(70, 8, 3, 8)
    expected = scipy_fft.dctn(blocks.transpose(0, 2, 1, 3), axes=(2, 3), norm="ortho")
    np.testing.assert_allclose(full, expected, atol=1e-9)
    low = block_dct(plane, size=(5, 6))
    assert low.shape == (70, 3, 5, 6)
    np.testing.assert_allclose(low, full[..., :5, :6], atol=1e-9)


def test_luma_and_channel_extremes_per_pixel() -> None:
    pixels = np.array([[[255, 0, 10], [3, 200, 100]]], dtype=np.uint8)
    np.testing.assert_allclose(luma(pixels), [[77.385, 129.697]], atol=1e-3)
    brightest, darkest = channel_extremes(pixels)
    assert brightest.tolist() == [[255, 200]] and darkest.tolist() == [[0, 3]]
    assert brightest.dtype == np.uint8
