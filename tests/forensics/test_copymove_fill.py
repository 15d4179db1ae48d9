"""The verified copy is filled out over its smooth interior, not beyond."""

from __future__ import annotations

import numpy as np
import pytest

from pixelproof.forensics import _copymove

cv2 = pytest.importorskip("cv2")


def test_densify_fills_matching_interior_only() -> None:
    rng = np.random.default_rng(0)
    image = rng.normal(128.0, 20.0, (120, 200)).astype(np.float32)
    image[30:90, 20:80] = 100.0  # smooth patch ...
    image[30:90, 120:180] = 100.0  # ... and its copy 100 px to the right
    matrix = np.array([[1.0, 0.0, 100.0], [0.0, 1.0, 0.0]])
    ring = np.zeros(image.shape, dtype=np.uint8)
    ring[30:90, 120:180] = 1
    ring[36:84, 126:174] = 0  # only the border was confirmed
    filled = _copymove._densify(image, matrix, ring, cv2)
    assert filled[40:80, 130:170].all()
    assert not filled[:, :110].any()
    assert not filled[:25].any() and not filled[95:].any()
