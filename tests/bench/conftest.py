"""Fixtures for the benchmark tests: small generated images, never downloaded."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.typing import NDArray

from pixelproof.bench.transforms import random_background


def textured_image(height: int = 96, width: int = 128, seed: int = 7) -> NDArray[np.uint8]:
    """Shapes over a gradient with fine texture: every filter and codec has work to do."""
    base = random_background(height, width, rng=seed).astype(np.float64)
    rows, cols = np.mgrid[0:height, 0:width]
    stripes = 20.0 * np.sin(cols / 2.5) * np.cos(rows / 3.5)
    return np.clip(base + stripes[:, :, None], 0, 255).astype(np.uint8)


@pytest.fixture(scope="session")
def photo() -> NDArray[np.uint8]:
    image = textured_image()
    image.setflags(write=False)  # a transform that writes into its input fails loudly
    return image
