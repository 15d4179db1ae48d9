"""Tile features: layout, and the traces they are meant to see."""

from __future__ import annotations

import numpy as np
import pytest

from pixelproof.synthetic._features import (
    RESIDUAL_GAIN,
    TILE,
    _npr_features,
    _spectral_features,
    residual_image,
    tile_boxes,
    tiles_features,
    working_copy,
)
from pixelproof.synthetic._parity import centre_square, parity_copy, protocol_copy


def natural(height: int, width: int, seed: int = 0) -> np.ndarray:
    """Smooth structure plus fine noise, like a photo."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width]
    base = 128 + 60 * np.sin(x / 17.0) * np.cos(y / 23.0)
    rgb = base[..., None] + rng.normal(scale=6.0, size=(height, width, 3))
    return np.clip(rgb, 0, 255).astype(np.uint8)


def test_working_copy_bounds_the_area_and_the_smallest_side() -> None:
    assert working_copy(natural(1000, 2000)).shape[:2] == (362, 724)
    assert working_copy(natural(100, 300)).shape[:2] == (256, 768)
    small = natural(300, 400)
    assert working_copy(small) is small
    assert working_copy(natural(2, 3000)).shape[:2] == (256, 2048)  # hostile strip


@pytest.mark.parametrize(
    ("shape", "boxes"),
    [
        ((256, 256), [(0, 0)]),
        ((512, 512), [(0, 0), (0, 256), (256, 0), (256, 256)]),
        ((256, 600), [(0, 0), (0, 172), (0, 344)]),
    ],
)
def test_tiles_cover_the_working_copy(shape: tuple[int, int], boxes: list) -> None:
    assert tile_boxes(shape) == boxes


def test_features_are_finite_and_one_row_per_tile() -> None:
    features, boxes, shape = tiles_features(natural(400, 640))
    assert features.shape[0] == len(boxes) == 6 and shape == (400, 640)
    assert np.isfinite(features).all()
    flat, _, _ = tiles_features(np.full((300, 300, 3), 90, np.uint8))
    assert np.isfinite(flat).all()


def test_npr_sees_nearest_neighbour_upsampling() -> None:
    photo = natural(TILE, TILE).astype(np.float64).transpose(2, 0, 1)
    upsampled = np.repeat(np.repeat(photo[:, ::2, ::2], 2, axis=1), 2, axis=2)
    # inside every 2x2 block the upsampled image is flat: log ratio far below the photo's
    assert _npr_features(upsampled)[:3].max() < -4
    assert _npr_features(photo)[:3].min() > -1


def test_spectrum_shows_a_period_two_peak() -> None:
    rng = np.random.default_rng(1)
    residual = rng.normal(size=(TILE, TILE))
    checker = residual + 2.0 * (np.indices((TILE, TILE)).sum(axis=0) % 2)
    plain_peak = _spectral_features(residual)[24]  # strongest period-2 peak
    assert _spectral_features(checker)[24] > plain_peak + 3


def test_parity_copies_share_no_size_or_quality_with_the_source() -> None:
    rng = np.random.default_rng(0)
    source = natural(512, 512)
    sizes = {parity_copy(source, rng).shape[:2] for _ in range(6)}
    assert len(sizes) == 6
    assert protocol_copy(natural(300, 500)).shape == (512, 512, 3)
    assert centre_square(natural(300, 500)).shape == (300, 300, 3)


def test_the_residual_image_keeps_fine_structure_and_drops_the_scene() -> None:
    photo = natural(TILE, TILE)
    residual = residual_image(photo).astype(float)
    # a smooth gradient of the scene is gone: mid-grey, away from the reflected border
    ramp = np.broadcast_to(np.arange(TILE, dtype=np.uint8)[None, :, None], (TILE, TILE, 3))
    assert np.abs(residual_image(ramp)[:, 2:-2].astype(float) - 128).max() <= 1
    # the photo's fine noise (sd 6, so about 6 * sqrt(8/9) after its 3x3 mean is taken
    # away) is amplified around mid-grey: at least half of the expected spread
    assert abs(residual.mean() - 128) < 2
    assert residual.std() > 0.5 * RESIDUAL_GAIN * 6.0 * (8 / 9) ** 0.5
