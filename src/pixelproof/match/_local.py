"""Local features and geometric verification: SIFT keypoints, ratio-test matching, RANSAC.

A candidate found by the global descriptors is confirmed when enough keypoint matches
agree on one affine transform from the query to the reference (rotation, scale,
translation, aspect stretch and shear; the whole query or a part of it). The
transform also places the copied region in the reference. SIFT is invariant to
rotation but not to mirroring, so a query is also verified through its mirrored
features, which covers horizontal and vertical flips alike (a vertical flip is a
horizontal flip plus a half turn).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ._common import missing_extra

_FORMAT_VERSION = 1
_HEADER = struct.Struct("<BHHH")  # version, count, width, height


def _cv2() -> Any:
    try:
        import cv2
    except ImportError as exc:
        raise missing_extra("opencv-python-headless") from exc
    cv2.setNumThreads(1)
    return cv2


def single_threaded_opencv() -> None:
    """Make OpenCV single-threaded in this process, before worker processes are forked.

    A process forked while OpenCV's thread pool exists can deadlock when the child
    reconfigures that pool, so the parent drops the pool first (workers parallelize).
    """
    _cv2()


@cache
def _sift(n_features: int) -> Any:
    return _cv2().SIFT_create(nfeatures=n_features, contrastThreshold=0.02)


@dataclass(frozen=True)
class LocalFeatures:
    """Keypoints and descriptors of one image.

    Attributes
    ----------
    points : (N, 2) float32 ndarray
        Keypoint positions as (column, row) in the image's own pixel frame.
    descriptors : (N, 128) uint8 ndarray
        SIFT descriptors.
    width, height : int
        Size of the image the points refer to.
    """

    points: NDArray[np.float32]
    descriptors: NDArray[np.uint8]
    width: int
    height: int

    def __len__(self) -> int:
        return int(self.points.shape[0])

    def to_bytes(self) -> bytes:
        """Compact serialization: a header, float16 points, uint8 descriptors."""
        header = _HEADER.pack(_FORMAT_VERSION, len(self), self.width, self.height)
        return (
            header
            + self.points.astype(np.float16).tobytes()
            + np.ascontiguousarray(self.descriptors).tobytes()
        )

    @classmethod
    def from_bytes(cls, data: bytes) -> LocalFeatures:
        version, count, width, height = _HEADER.unpack_from(data)
        if version != _FORMAT_VERSION:
            raise ValueError(f"local features: unknown format version {version}")
        offset = _HEADER.size
        points = np.frombuffer(data, np.float16, count * 2, offset).reshape(count, 2)
        offset += count * 4
        descriptors = np.frombuffer(data, np.uint8, count * 128, offset).reshape(count, 128)
        return cls(points.astype(np.float32), descriptors, width, height)


def extract_local(
    rgb: NDArray[np.uint8], *, max_side: int = 512, n_features: int = 400
) -> LocalFeatures:
    """SIFT features of an RGB image, computed at most ``max_side`` pixels long.

    Parameters
    ----------
    rgb : (H, W, 3) uint8 ndarray
        The image; not modified.
    max_side : int
        The image is shrunk so that its longest side is at most this long.
    n_features : int
        Keep at most this many keypoints (the strongest).

    Returns
    -------
    LocalFeatures
        Points in the frame of the shrunk image (``width`` x ``height``).
    """
    cv2 = _cv2()
    gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    height, width = gray.shape
    scale = min(1.0, max_side / max(height, width))
    if scale < 1.0:
        size = (max(1, round(width * scale)), max(1, round(height * scale)))
        gray = cv2.resize(gray, size, interpolation=cv2.INTER_AREA)
    keypoints, descriptors = _sift(n_features).detectAndCompute(gray, None)
    if descriptors is None or not keypoints:
        points = np.zeros((0, 2), np.float32)
        codes = np.zeros((0, 128), np.uint8)
    else:
        keypoints, descriptors = keypoints[:n_features], descriptors[:n_features]
        points = np.array([k.pt for k in keypoints], dtype=np.float32).reshape(-1, 2)
        codes = np.clip(np.rint(descriptors), 0, 255).astype(np.uint8)
    return LocalFeatures(points, codes, int(gray.shape[1]), int(gray.shape[0]))


def mirror_image(rgb: NDArray[np.uint8]) -> NDArray[np.uint8]:
    """The left-right mirror of ``rgb`` (a copy)."""
    return np.ascontiguousarray(rgb[:, ::-1])


@dataclass(frozen=True)
class Verification:
    """The outcome of matching a query's local features against one reference.

    Attributes
    ----------
    inliers : int
        Keypoint matches consistent with the fitted transform.
    matches : int
        Matches that passed the ratio test.
    mirrored : bool
        Whether the query matched through its mirrored features.
    transform : (2, 3) float64 ndarray or None
        Affine map from query to reference coordinates, both normalized to [0, 1].
    region : tuple of 4 floats or None
        Bounding box of the query's footprint in the reference, as fractions of the
        reference width and height: (left, top, right, bottom), clipped to [0, 1].
    query_region : tuple of 4 floats or None
        Bounding box of the matched part of the query, as fractions of its size.
    """

    inliers: int
    matches: int
    mirrored: bool = False
    transform: NDArray[np.float64] | None = None
    region: tuple[float, float, float, float] | None = None
    query_region: tuple[float, float, float, float] | None = None


NO_MATCH = Verification(0, 0)


def _root_sift(descriptors: NDArray[np.uint8]) -> NDArray[np.float32]:
    values = descriptors.astype(np.float32)
    values /= np.maximum(values.sum(axis=1, keepdims=True), 1e-6)
    return np.sqrt(values)


def verify(
    query: LocalFeatures,
    reference: LocalFeatures,
    *,
    ratio: float = 0.85,
    threshold: float = 0.012,
    mirrored: bool = False,
) -> Verification:
    """Match ``query`` against ``reference`` and fit an affine transform with RANSAC.

    Parameters
    ----------
    query, reference : LocalFeatures
        Features of the two images. For a mirrored query pass the features of the
        mirrored image and ``mirrored=True``; the returned region is the same.
    ratio : float
        Lowe's ratio test on RootSIFT distances.
    threshold : float
        RANSAC reprojection threshold as a fraction of the reference's longest side.
    mirrored : bool
        Recorded in the result; the query's query-region is mirrored back.
    """
    if len(query) < 3 or len(reference) < 3:
        return NO_MATCH
    cv2 = _cv2()
    q_desc, r_desc = _root_sift(query.descriptors), _root_sift(reference.descriptors)
    matcher = cv2.BFMatcher(cv2.NORM_L2)
    pairs = matcher.knnMatch(q_desc, r_desc, k=2)
    good_q, good_r = [], []
    for pair in pairs:
        if len(pair) == 2 and pair[0].distance < ratio * pair[1].distance:
            good_q.append(pair[0].queryIdx)
            good_r.append(pair[0].trainIdx)
    # one reference keypoint may absorb several query keypoints: keep the first
    _, unique = np.unique(np.asarray(good_r, dtype=np.int64), return_index=True)
    good_q = [good_q[i] for i in sorted(unique)]
    good_r = [good_r[i] for i in sorted(unique)]
    count = len(good_q)
    if count < 4:
        return Verification(0, count, mirrored)
    src = query.points[good_q].astype(np.float64)
    dst = reference.points[good_r].astype(np.float64)
    longest = float(max(reference.width, reference.height))
    matrix, mask = cv2.estimateAffine2D(
        src,
        dst,
        method=cv2.RANSAC,
        ransacReprojThreshold=threshold * longest,
        maxIters=2000,
        confidence=0.995,
        refineIters=10,
    )
    if matrix is None or mask is None:
        return Verification(0, count, mirrored)
    inlier_mask = mask.ravel().astype(bool)
    inliers = int(inlier_mask.sum())
    if not _plausible(matrix):
        return Verification(0, count, mirrored)
    if inliers >= 4 and _collapsed(dst[inlier_mask], longest):
        inliers = min(inliers, 3)
    region = _footprint(matrix, query, reference)
    q_in = src[inlier_mask]
    query_region = _bbox(q_in, query.width, query.height)
    if mirrored and query_region is not None:
        left, top, right, bottom = query_region
        query_region = (1.0 - right, top, 1.0 - left, bottom)
    normalized = _normalize(matrix, query, reference)
    return Verification(inliers, count, mirrored, normalized, region, query_region)


def _plausible(matrix: NDArray[np.float64]) -> bool:
    """Reject degenerate fits: tiny or huge scales, strong anisotropy, mirror images."""
    linear = matrix[:, :2]
    singular = np.linalg.svd(linear, compute_uv=False)
    if singular[1] <= 1e-9:
        return False
    if not 0.05 <= float(np.sqrt(singular[0] * singular[1])) <= 20.0:
        return False
    return float(singular[0] / singular[1]) <= 4.0 and float(np.linalg.det(linear)) > 0


def _collapsed(points: NDArray[np.float64], longest: float) -> bool:
    """Whether the inliers crowd into a tiny spot (a repeated texture, not a copy)."""
    spread = points.max(axis=0) - points.min(axis=0)
    return bool(float(spread.max()) < 0.03 * longest)


def _bbox(
    points: NDArray[np.float64], width: int, height: int
) -> tuple[float, float, float, float] | None:
    if points.size == 0:
        return None
    low = points.min(axis=0) / (width, height)
    high = points.max(axis=0) / (width, height)
    box = np.clip(np.concatenate([low, high]), 0.0, 1.0)
    return (float(box[0]), float(box[1]), float(box[2]), float(box[3]))


def _footprint(
    matrix: NDArray[np.float64], query: LocalFeatures, reference: LocalFeatures
) -> tuple[float, float, float, float] | None:
    corners = np.array(
        [[0, 0], [query.width, 0], [query.width, query.height], [0, query.height]],
        dtype=np.float64,
    )
    mapped = corners @ matrix[:, :2].T + matrix[:, 2]
    return _bbox(mapped, reference.width, reference.height)


def _normalize(
    matrix: NDArray[np.float64], query: LocalFeatures, reference: LocalFeatures
) -> NDArray[np.float64]:
    to_unit = np.diag([1.0 / reference.width, 1.0 / reference.height, 1.0])
    from_unit = np.diag([float(query.width), float(query.height), 1.0])
    full = to_unit @ np.vstack([matrix, [0.0, 0.0, 1.0]]) @ from_unit
    return np.asarray(full[:2], dtype=np.float64)
