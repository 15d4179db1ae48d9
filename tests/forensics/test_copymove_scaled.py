"""Scaled copies with few keypoint matches are found; weak matches must agree densely."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.typing import NDArray

from pixelproof.bench import best_threshold_f1
from pixelproof.forensics import _copymove, get_analysis

from .test_forensics import context_of, jpeg, photo

cv2 = pytest.importorskip("cv2")


@pytest.mark.parametrize(("seed", "scale"), [(0, 0.85), (5, 0.85), (5, 1.15)])
def test_a_small_scaled_copy_after_jpeg_80_is_found(seed: int, scale: float) -> None:
    # A 40x40 patch yields only 4-6 SIFT matches after scaling and JPEG: below the
    # seven RANSAC inliers the search used to require (it found none of these).
    pixels = photo(seed=seed)
    height, width = pixels.shape[:2]
    source = np.zeros((height, width), dtype=np.uint8)
    source[40:80, 50:90] = 1
    matrix = cv2.getRotationMatrix2D((70.0, 60.0), 0.0, scale)
    matrix[:, 2] += (220.0, 120.0)
    warped = cv2.warpAffine(pixels, matrix, (width, height), flags=cv2.INTER_LINEAR)
    target = cv2.warpAffine(source * 255, matrix, (width, height)) >= 128
    forged = pixels.copy()
    forged[target] = warped[target]
    result = get_analysis("copymove")(context_of(jpeg(forged, 80)))
    assert best_threshold_f1(target | (source > 0), result.full_heatmap()).f1 > 0.85
    (region,) = result.details["regions"]
    assert region["matches"] < _copymove._STRONG_INLIERS
    assert region["scale"] in (pytest.approx(scale, abs=0.04), pytest.approx(1 / scale, abs=0.04))


def _noisy_copy(noise: float) -> tuple[NDArray[np.uint8], NDArray[np.float64]]:
    """Texture whose 60x60 patch repeats 170 px right, 60 px down, plus noise."""
    rng = np.random.default_rng(0)
    image = cv2.GaussianBlur(rng.normal(128.0, 30.0, (200, 320)).astype(np.float32), (0, 0), 1.2)
    patch = image[40:100, 30:90]
    image[100:160, 200:260] = patch + rng.normal(0.0, noise, patch.shape).astype(np.float32)
    matrix = np.array([[1.0, 0.0, 170.0], [0.0, 1.0, 60.0]])
    return np.clip(image, 0, 255).astype(np.uint8), matrix


def _verified_area(gray: NDArray[np.uint8], matrix: NDArray[np.float64], votes: int) -> int:
    ys, xs = np.mgrid[45:95:10, 35:85:10]
    sources = np.stack([xs.ravel(), ys.ravel()], axis=1).astype(np.float64)
    candidate = _copymove._Candidate(matrix, sources + matrix[:, 2], sources, "keypoints", votes)
    stats = _copymove._local_stats(gray.astype(np.float32), cv2)
    found = _copymove._verify(gray, stats, candidate, cv2)
    return 0 if found is None else int(found[0].sum())


def test_a_weak_transform_needs_dense_agreement_over_most_of_the_region() -> None:
    # The exact copy is confirmed on four matches as on eight.
    exact, matrix = _noisy_copy(0.0)
    assert _verified_area(exact, matrix, votes=4) > 3000
    assert _verified_area(exact, matrix, votes=8) > 3000
    # A near-repeat (about two thirds of its textured pixels correlate): eight
    # matches still confirm it, four (what chance gives on a facade) do not.
    similar, matrix = _noisy_copy(5.0)
    assert _verified_area(similar, matrix, votes=8) > 3000
    assert _verified_area(similar, matrix, votes=4) == 0
