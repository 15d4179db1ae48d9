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


def test_densify_reaches_the_smooth_rim_of_a_copy_within_the_margin() -> None:
    rng = np.random.default_rng(1)
    image = rng.normal(128.0, 20.0, (160, 320)).astype(np.float32)
    patch = np.full((70, 70), 90.0, dtype=np.float32)  # smooth rim ...
    patch[12:58, 12:58] = rng.normal(128.0, 20.0, (46, 46))  # ... around a textured core
    image[40:110, 20:90] = patch
    image[40:110, 170:240] = patch  # the copy, 150 px to the right
    matrix = np.array([[1.0, 0.0, 150.0], [0.0, 1.0, 0.0]])
    core = np.zeros(image.shape, dtype=np.uint8)
    core[52:98, 182:228] = 1  # only the textured core was confirmed
    filled = _copymove._densify(image, matrix, core, cv2)
    # the rim lies 12 px outside the confirmed core, within the fill margin
    assert filled[42:108, 172:238].mean() > 0.97
    assert not filled[:, :150].any()
    assert filled[:, 250:].sum() == 0 and filled[:30].sum() == 0
