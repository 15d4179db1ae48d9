"""Local features and geometric verification."""

from __future__ import annotations

import cv2
import numpy as np

from pixelproof.match import LocalFeatures, extract_local, verify
from pixelproof.match._local import mirror_image

from .conftest import scene


def _rotate_crop(rgb: np.ndarray, degrees: float) -> np.ndarray:
    height, width = rgb.shape[:2]
    matrix = cv2.getRotationMatrix2D((width / 2, height / 2), degrees, 1.0)
    rotated = cv2.warpAffine(rgb, matrix, (width, height))
    return np.ascontiguousarray(rotated[height // 5 : -height // 5, width // 5 : -width // 5])


def test_serialization_round_trips() -> None:
    features = extract_local(scene(1))
    again = LocalFeatures.from_bytes(features.to_bytes())
    assert len(again) == len(features) > 50
    assert np.array_equal(again.descriptors, features.descriptors)
    assert np.allclose(again.points, features.points, atol=0.25)
    assert (again.width, again.height) == (features.width, features.height)


def test_rotated_crop_verifies_and_is_located() -> None:
    reference = scene(2)
    query = _rotate_crop(reference, 12.0)
    result = verify(extract_local(query), extract_local(reference))
    assert result.inliers >= 30
    assert result.region is not None
    left, top, right, bottom = result.region
    # the crop keeps the middle 60% of each side (rotation widens the box a little)
    assert 0.05 < left < 0.3 and 0.05 < top < 0.3
    assert 0.7 < right < 0.95 and 0.7 < bottom < 0.95


def test_unrelated_images_do_not_verify() -> None:
    result = verify(extract_local(scene(3)), extract_local(scene(4)))
    assert result.inliers < 8


def test_mirror_matches_only_through_mirrored_features() -> None:
    reference = scene(5)
    flipped = mirror_image(reference)
    direct = verify(extract_local(flipped), extract_local(reference))
    through_mirror = verify(
        extract_local(mirror_image(flipped)), extract_local(reference), mirrored=True
    )
    assert through_mirror.inliers > 50 > direct.inliers
    assert through_mirror.mirrored


def test_blank_image_has_no_features() -> None:
    features = extract_local(np.full((64, 64, 3), 128, np.uint8))
    assert len(features) == 0
    assert verify(features, extract_local(scene(6))).inliers == 0
