"""Copy-move detection: parts of the image duplicated elsewhere in the same image.

Two complementary searches propose geometric transforms that map one region onto
another, and a dense check keeps only pixels where the image really repeats itself:

* keypoints (SIFT): every keypoint's descriptor is matched against the others of
  the same image (generalized 2-nearest-neighbour test); the matched pairs are
  grouped by RANSAC into similarity transforms (shift, rotation, scale). This finds
  textured copies, also when rotated or rescaled.
* dense matching: the autocorrelation of the (tapered, partly whitened) image,
  computed with the FFT, scores every translation at once by how well the image
  matches itself under it: exhaustive block matching over all shifts, at the cost of
  two FFTs. Sharp peaks are copies; this finds copies of smooth areas with few
  keypoints, which keypoint matching misses.

Each proposed transform is verified by warping the image with it and computing the
local normalised cross-correlation with the original: the pixels where the two agree,
near the matches, are the copy (target) and their preimage is the source. A keypoint
transform may rest on as few as 4 matches (a small rescaled copy after JPEG keeps no
more); under 7 it must agree on half of the copy's textured pixels, and any keypoint
copy that matches the neighbourhood of its source nearly as well as the source itself
is one repeat of a pattern (windows, tiles, shutters), not a clone.

References
----------
I. Amerini, L. Ballan, R. Caldelli, A. Del Bimbo, G. Serra, "A SIFT-based forensic
method for copy-move attack detection and transformation recovery", IEEE TIFS 6(3),
2011. doi:10.1109/TIFS.2011.2129512
J. Fridrich, D. Soukal, J. Lukas, "Detection of copy-move forgery in digital
images", DFRWS 2003 (exhaustive block matching; autocorrelation as its fast form).
V. Christlein, C. Riess, J. Jordan, C. Riess, E. Angelopoulou, "An evaluation of
popular copy-move forgery detection approaches", IEEE TIFS 7(6), 2012.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ._common import luma_uint8, require_cv2
from ._context import ImageContext
from ._result import ForensicResult, empty_result

NAME = "copymove"
_WORK_AREA = 600_000  # pixels: larger images are analysed downscaled
_MAX_KEYPOINTS = 4000
_RATIO = 0.6  # g2NN ratio
_MIN_DISTANCE = 16.0  # work pixels between a point and its copy
_MIN_INLIERS = 4
# A scaled copy keeps few SIFT matches after JPEG (4-6 for a small one); fewer RANSAC
# inliers than this also fit repeated structure by chance now and then (a facade's
# windows under a slight rotation and scale): such a transform must also make the
# image agree with itself on at least this share of the copy's textured pixels.
_STRONG_INLIERS = 7
_WEAK_AGREEMENT = 0.5
# A copy that matches the neighbourhood of its source at least this well, relative to
# the source itself, is one repeat of a pattern (see _matches_elsewhere).
_REPEAT_SHARE = 0.7
_RANSAC_PX = 3.0
_MAX_CLUSTERS = 4
_CORRELATION_AREA = 300_000  # dense matching runs on at most this many pixels
_CORRELATION_PEAKS = 4
_MIN_CORRELATION_SHIFT = 64.0  # work pixels: smaller shifts are texture, not copies
_CORRELATION_MIN_Z = 20.0
_CORRELATION_LOWPASS = 0.2  # cycles per pixel
_WHITENING = 0.8
_TAPER = 24
_ZNCC_WINDOW = 7
_ZNCC_MIN = {"keypoints": 0.6, "correlation": 0.75}
_FLAT_STD = 1.2
_FLAT_DIFF = 2.0
_SUPPORT_RADIUS = 32
_MEAN_DIFF = 6.0
_TEXTURE_VAR = 4.0
_DETAIL_SIGMA = 2.0
_DETAIL_VAR = 1.0
_MIN_REGION = 0.0015
# Share of a translated copy that also matches at twice the shift, above which the
# content is a repeating pattern (tiles, windows, text, wallpaper) rather than a copy.
_PERIODIC_SHARE = 0.15
# A region whose central half matches itself this well (detail correlation) at a
# shift of at least _MIN_SELF_SHIFT work pixels repeats within itself (see _self_similar).
_SELF_SIMILAR = 0.75
_MIN_SELF_SHIFT = 6
# A "copy" whose bounding box covers more than this share (IoU) of its source's box
# is a pattern repeating at a shift shorter than itself (rows of windows), not a clone.
_MAX_BOX_OVERLAP = 0.4
_FILL_WINDOW = 5  # a copy is filled out where the image matches its warp over this window
_FILL_DIFF = 6.0  # mean absolute grey-level difference (JPEG noise, interpolation)
_FILL_MARGIN = 16  # work pixels: how far beyond the confirmed pixels a copy is filled out
_MIN_EXTENT = 12  # work pixels, both directions  # fraction of the image for a verified region


@dataclass(frozen=True)
class _Candidate:
    matrix: NDArray[np.float64]  # 2x3 forward transform source -> target (work pixels)
    points: NDArray[np.float64]  # (n, 2) target-side support points (x, y)
    sources: NDArray[np.float64]  # (n, 2) source-side support points
    kind: str  # "keypoints" or "correlation"
    votes: int


def copymove_analysis(context: ImageContext) -> ForensicResult:
    """Find regions copied within the image, with their source.

    Returns
    -------
    ForensicResult
        ``heatmap``: 1 on both the copied region and its source, 0 elsewhere (at a
        working resolution of at most 0.6 megapixels). ``details["regions"]``: one
        entry per copy with ``source_box`` and ``target_box`` (``[left, top, right,
        bottom]`` in image pixels), ``shift``, ``rotation_degrees``, ``scale``,
        ``method`` (``"keypoints"`` or ``"correlation"``), ``matches`` (RANSAC
        inliers, or the correlation peak's height in robust standard deviations) and
        ``confidence``.
    """
    cv2 = require_cv2()
    width, height = context.size
    if min(width, height) < 48:
        return empty_result(NAME, context.size, "Too small for copy-move detection.")
    gray_full = luma_uint8(context.luma)
    factor = min(1.0, math.sqrt(_WORK_AREA / float(width * height)))
    if factor < 1.0:
        work_size = (max(1, round(width * factor)), max(1, round(height * factor)))
        gray = cv2.resize(gray_full, work_size, interpolation=cv2.INTER_AREA)
    else:
        gray = gray_full
    candidates = _keypoint_candidates(gray, cv2)
    candidates += _correlation_candidates(gray, candidates)
    work_h, work_w = gray.shape
    union = np.zeros((work_h, work_w), dtype=np.float32)
    regions: list[dict[str, Any]] = []
    stats = _local_stats(gray.astype(np.float32), cv2)
    covered = np.zeros((work_h, work_w), dtype=bool)
    for candidate in candidates:
        found = _verify(gray, stats, candidate, cv2)
        if found is None:
            continue
        target, source = found
        if (covered & target).sum() > 0.5 * target.sum():
            continue  # the same copy found again (or its reverse)
        covered |= target | source
        confidence = _confidence(candidate, int(target.sum()), work_h * work_w)
        union = np.maximum(union, (target | source).astype(np.float32) * confidence)
        regions.append(_describe(candidate, target, source, confidence, 1.0 / factor))
    if not regions:
        heatmap = np.zeros((max(1, work_h // 8), max(1, work_w // 8)), dtype=np.float32)
        return ForensicResult(
            NAME,
            heatmap,
            context.size,
            0.0,
            "No region of the image is a copy of another.",
            {"regions": [], "keypoints_matched": 0},
        )
    score = float(max(r["confidence"] for r in regions))
    fraction = float(np.mean(union >= 0.5))
    strongest = max(regions, key=lambda r: float(r["confidence"]))
    text = (
        f"{len(regions)} region(s) of the image are near-exact copies of other regions "
        f"(source and copy cover {fraction:.1%} of the image); the strongest: the area "
        f"at {_box_text(strongest['source_box'])} repeats at "
        f"{_box_text(strongest['target_box'])} (both marked on the map), with no pattern "
        "repeating around them."
    )
    return ForensicResult(NAME, union, context.size, score, text, {"regions": regions})


def _keypoint_candidates(gray: NDArray[np.uint8], cv2: Any) -> list[_Candidate]:
    sift = cv2.SIFT_create(nfeatures=_MAX_KEYPOINTS, contrastThreshold=0.015)
    keypoints, descriptors = sift.detectAndCompute(gray, None)
    if descriptors is None or len(keypoints) < 2 * _MIN_INLIERS:
        return []
    points = np.array([k.pt for k in keypoints], dtype=np.float64)
    matcher = cv2.BFMatcher(cv2.NORM_L2)
    neighbours = matcher.knnMatch(descriptors, descriptors, k=min(6, len(keypoints)))
    first: list[int] = []
    second: list[int] = []
    for query, found in enumerate(neighbours):
        ranked = [m for m in found if m.trainIdx != query]
        for current, following in itertools.pairwise(ranked):
            if current.distance >= _RATIO * following.distance:
                break
            other = current.trainIdx
            if np.hypot(*(points[query] - points[other])) >= _MIN_DISTANCE:
                first.append(query)
                second.append(other)
    if len(first) < _MIN_INLIERS:
        return []
    pairs = {(min(a, b), max(a, b)) for a, b in zip(first, second, strict=True)}
    pair_array = np.array(sorted(pairs), dtype=np.int64)
    source = points[pair_array[:, 0]]
    target = points[pair_array[:, 1]]
    candidates: list[_Candidate] = []
    remaining = np.ones(len(pair_array), dtype=bool)
    for _ in range(_MAX_CLUSTERS):
        if remaining.sum() < _MIN_INLIERS:
            break
        # Both directions: a pair does not say which side is the copy.
        src = np.concatenate([source[remaining], target[remaining]])
        dst = np.concatenate([target[remaining], source[remaining]])
        matrix, inliers = cv2.estimateAffinePartial2D(
            src, dst, method=cv2.RANSAC, ransacReprojThreshold=_RANSAC_PX, maxIters=2000
        )
        if matrix is None or inliers is None:
            break
        inlier = inliers.ravel().astype(bool)
        if inlier.sum() < _MIN_INLIERS:
            break
        index = np.flatnonzero(remaining)
        hit = np.zeros(len(pair_array), dtype=bool)
        half = len(index)
        hit[index[inlier[:half]]] = True
        hit[index[inlier[half:]]] = True
        remaining &= ~hit
        scale = math.hypot(matrix[0, 0], matrix[1, 0])
        shift = math.hypot(matrix[0, 2], matrix[1, 2])
        if not 0.5 <= scale <= 2.0 or shift < _MIN_DISTANCE * 1.5:
            continue
        chosen_src = src[inlier]
        chosen_dst = dst[inlier]
        candidates.append(
            _Candidate(
                matrix.astype(np.float64), chosen_dst, chosen_src, "keypoints", int(inlier.sum())
            )
        )
    return candidates


def _correlation_candidates(
    gray: NDArray[np.uint8], existing: list[_Candidate]
) -> list[_Candidate]:
    """Translations under which large parts of the image repeat (dense matching).

    The autocorrelation of the (tapered, partly whitened, low-passed) image, computed
    with the FFT, scores every translation at once by how well the whole image
    matches itself under it, which is exhaustive block matching over all shifts. The
    slowly varying part of the correlation (smooth content) is removed so that only
    sharp peaks, i.e. exact repetitions, remain; each peak is verified later.
    """
    cv2 = require_cv2()
    factor = min(1.0, math.sqrt(_CORRELATION_AREA / float(gray.size)))
    image = gray.astype(np.float32)
    if factor < 1.0:
        size = (max(1, round(gray.shape[1] * factor)), max(1, round(gray.shape[0] * factor)))
        image = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
    height, width = image.shape
    if min(height, width) < 4 * _TAPER:
        return []
    image = (image - image.mean()) * (_taper(height)[:, None] * _taper(width)[None, :])
    padded = np.zeros(
        (cv2.getOptimalDFTSize(2 * height), cv2.getOptimalDFTSize(2 * width)), dtype=np.float32
    )
    padded[:height, :width] = image
    spectrum = np.fft.rfft2(padded)
    power = np.abs(spectrum) ** 2
    fy = np.fft.fftfreq(padded.shape[0])[:, None]
    fx = np.fft.rfftfreq(padded.shape[1])[None, :]
    weights = np.exp(-(fy**2 + fx**2) / (2.0 * _CORRELATION_LOWPASS**2))
    whitened = power / (power**_WHITENING + 1e-3) * weights
    correlation = np.fft.irfft2(whitened, s=padded.shape).astype(np.float32)
    correlation -= cv2.blur(correlation, (9, 9))
    rows, cols = correlation.shape
    dy = np.minimum(np.arange(rows), rows - np.arange(rows))[:, None]
    dx = np.minimum(np.arange(cols), cols - np.arange(cols))[None, :]
    min_shift = _MIN_CORRELATION_SHIFT * factor
    correlation[(dy**2 + dx**2) < min_shift**2] = 0.0
    center = float(np.median(correlation))
    scale = 1.4826 * float(np.median(np.abs(correlation - center))) + 1e-12
    candidates: list[_Candidate] = []
    for _ in range(_CORRELATION_PEAKS):
        index = np.unravel_index(int(np.argmax(correlation)), correlation.shape)
        z = (float(correlation[index]) - center) / scale
        if z < _CORRELATION_MIN_Z:
            break
        py, px = int(index[0]), int(index[1])
        sy = py - rows if py > rows // 2 else py
        sx = px - cols if px > cols // 2 else px
        for cy, cx in ((sy, sx), (-sy, -sx)):
            ys = np.arange(cy - 4, cy + 5) % rows
            xs = np.arange(cx - 4, cx + 5) % cols
            correlation[np.ix_(ys, xs)] = 0.0
        if abs(sx) >= width or abs(sy) >= height:
            continue
        shift = np.array([sx, sy], dtype=np.float64) / factor
        if any(_same_translation(c, shift) for c in existing + candidates):
            continue
        matrix = np.array([[1.0, 0.0, shift[0]], [0.0, 1.0, shift[1]]])
        empty = np.zeros((0, 2), dtype=np.float64)
        candidates.append(_Candidate(matrix, empty, empty, "correlation", round(z)))
    return candidates


def _taper(length: int) -> NDArray[np.float32]:
    ramp = 0.5 - 0.5 * np.cos(np.pi * np.arange(_TAPER) / _TAPER)
    out = np.ones(length, dtype=np.float32)
    out[:_TAPER] = ramp
    out[-_TAPER:] = ramp[::-1]
    return out


def _same_translation(candidate: _Candidate, shift: NDArray[np.float64]) -> bool:
    m = candidate.matrix
    if abs(m[0, 0] - 1.0) > 0.02 or abs(m[0, 1]) > 0.02:
        return False
    t = m[:, 2]
    return bool(np.hypot(*(t - shift)) < 4.0 or np.hypot(*(t + shift)) < 4.0)


def _local_stats(image: NDArray[np.float32], cv2: Any) -> tuple[NDArray[np.float32], ...]:
    """Image, local mean and variance, and the same for its fine detail.

    Copies are confirmed on the detail (the image minus a Gaussian blur): smooth
    gradients match themselves under any shift, detail does not.
    """
    size = (_ZNCC_WINDOW, _ZNCC_WINDOW)
    mean = cv2.blur(image, size)
    var = np.maximum(cv2.blur(image * image, size) - mean * mean, 0.0)
    detail = image - cv2.GaussianBlur(image, (0, 0), _DETAIL_SIGMA)
    d_mean = cv2.blur(detail, size)
    d_var = np.maximum(cv2.blur(detail * detail, size) - d_mean * d_mean, 0.0)
    return image, mean, var, detail, d_mean, d_var


def _verify(
    gray: NDArray[np.uint8],
    stats: tuple[NDArray[np.float32], ...],
    candidate: _Candidate,
    cv2: Any,
) -> tuple[NDArray[np.bool_], NDArray[np.bool_]] | None:
    """Pixels where the image equals itself warped by the transform (target side)."""
    image, mean, var, _, _, d_var = stats
    height, width = gray.shape
    size = (_ZNCC_WINDOW, _ZNCC_WINDOW)
    best: tuple[int, NDArray[np.bool_], NDArray[np.float64], NDArray[np.bool_]] | None = None
    shifts = [(0.0, 0.0)]
    if candidate.kind == "correlation" and gray.size > _CORRELATION_AREA:
        shifts = [(dx, dy) for dx in (-1.0, 0.0, 1.0) for dy in (-1.0, 0.0, 1.0)]
    for dx, dy in shifts:
        matrix = candidate.matrix.copy()
        matrix[0, 2] += dx
        matrix[1, 2] += dy
        warped = cv2.warpAffine(
            image, matrix, (width, height), flags=cv2.INTER_LINEAR, borderValue=-1000.0
        )
        valid = (
            cv2.warpAffine(np.ones_like(image), matrix, (width, height), flags=cv2.INTER_NEAREST)
            > 0
        )
        w_mean = cv2.blur(warped, size)
        w_var = np.maximum(cv2.blur(warped * warped, size) - w_mean * w_mean, 0.0)
        zncc, wd_var = _detail_zncc(stats, matrix, cv2)
        same_level = np.abs(mean - w_mean) < _MEAN_DIFF
        textured = (d_var >= _DETAIL_VAR) & (wd_var >= _DETAIL_VAR)
        flat = (var < _FLAT_STD**2) & (w_var < _FLAT_STD**2) & (np.abs(mean - w_mean) < _FLAT_DIFF)
        agree = (((zncc >= _ZNCC_MIN[candidate.kind]) & same_level & textured) | flat) & valid
        # Identical content must not be the same pixels (tiny shifts).
        count = int(agree.sum())
        if best is None or count > best[0]:
            best = (count, agree, matrix, textured & valid)
    assert best is not None
    _, agree, matrix, textured = best
    points = candidate.points
    if len(points):
        # Flat areas agree with any shift of themselves: only near the matches.
        support = np.zeros((height, width), dtype=np.uint8)
        for x, y in points:
            cv2.circle(support, (round(x), round(y)), _SUPPORT_RADIUS, 1, -1)
        agree = agree & ((support > 0) | ~flat_of(stats, agree))
    else:
        agree = agree & ~flat_of(stats, agree)
    agree_u8 = cv2.morphologyEx(agree.astype(np.uint8), cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))
    count, labels, component_stats, _ = cv2.connectedComponentsWithStats(agree_u8, connectivity=8)
    if count <= 1:
        return None
    minimum = _MIN_REGION * height * width
    if len(points):
        seeds = np.zeros((height, width), dtype=np.uint8)
        for x, y in points:
            xi, yi = round(x), round(y)
            if 0 <= xi < width and 0 <= yi < height:
                seeds[yi, xi] = 1
        seeded = np.unique(labels[cv2.dilate(seeds, np.ones((7, 7), np.uint8)) > 0])
        chosen = seeded[seeded > 0]
    else:
        areas = component_stats[1:, cv2.CC_STAT_AREA]
        chosen = np.flatnonzero(areas >= minimum * 0.5) + 1
    # Thin strips (borders, lines) repeat too easily to count as copies.
    chosen = np.array(
        [
            label
            for label in chosen
            if min(
                component_stats[label, cv2.CC_STAT_WIDTH],
                component_stats[label, cv2.CC_STAT_HEIGHT],
            )
            >= _MIN_EXTENT
        ],
        dtype=np.int64,
    )
    target = np.isin(labels, chosen)
    if target.sum() < minimum:
        return None
    target_u8 = cv2.morphologyEx(
        target.astype(np.uint8), cv2.MORPH_CLOSE, np.ones((9, 9), np.uint8)
    )
    source = (
        cv2.warpAffine(
            target_u8, matrix, (width, height), flags=cv2.INTER_NEAREST | cv2.WARP_INVERSE_MAP
        )
        > 0
    )
    target = target_u8 > 0
    # A "copy" overlapping its own source is texture that repeats at a small shift.
    if (target & source).sum() > 0.5 * min(target.sum(), source.sum()):
        return None
    if _periodic(stats, matrix, target, cv2):
        return None
    if _self_similar(stats[3], target, cv2) or _self_similar(stats[3], source, cv2):
        return None
    if _box_overlap(target, source) > _MAX_BOX_OVERLAP:
        return None
    target_u8 = _densify(image, matrix, target_u8, cv2)
    copy = target_u8 > 0
    if candidate.kind == "keypoints":
        if candidate.votes < _STRONG_INLIERS:
            checked = copy & textured
            if not checked.any() or float(agree[checked].mean()) < _WEAK_AGREEMENT:
                return None
        if _matches_elsewhere(stats[3], matrix, copy, cv2):
            return None
    source = (
        cv2.warpAffine(
            target_u8, matrix, (width, height), flags=cv2.INTER_NEAREST | cv2.WARP_INVERSE_MAP
        )
        > 0
    )
    return copy, source


def _matches_elsewhere(
    detail: NDArray[np.float32],
    matrix: NDArray[np.float64],
    target: NDArray[np.bool_],
    cv2: Any,
) -> bool:
    """Whether the copy matches the source's neighbourhood as well as the source.

    The copy (normalised correlation of the fine detail under its mask) is compared
    with the image warped by the transform, at every offset up to twice the copy's
    size: offset zero is the source. A clone matches its source there only; a window
    of a facade, a tile or a shutter matches the next one as well (the transform found
    between two windows is one of the pattern's many periods). The periodic test of
    :func:`_verify` covers translations only and a few multiples of the shift; this
    covers scaled and rotated fits and any period.
    """
    height, width = detail.shape
    rows, cols = np.nonzero(target)
    top, bottom, left, right = rows.min(), rows.max() + 1, cols.min(), cols.max() + 1
    margin = 2 * max(bottom - top, right - left)  # reaches the next window of a row
    warped = cv2.warpAffine(detail, matrix, (width, height), flags=cv2.INTER_LINEAR)
    area_top, area_left = max(0, top - margin), max(0, left - margin)
    area = np.ascontiguousarray(
        warped[area_top : min(height, bottom + margin), area_left : min(width, right + margin)]
    )
    patch = np.ascontiguousarray(detail[top:bottom, left:right])
    mask = np.ascontiguousarray(target[top:bottom, left:right], dtype=np.float32)
    if float(patch[mask > 0].std()) < 1.0:
        return False
    scores = cv2.matchTemplate(area, patch, cv2.TM_CCOEFF_NORMED, mask=mask)
    # Offsets where the warped image is blank (outside the frame) or nearly flat under
    # the mask have no variance to normalise by: no evidence of a repeat there.
    scores[~(np.abs(scores) <= 1.0)] = 0.0
    ys, xs = np.mgrid[0 : scores.shape[0], 0 : scores.shape[1]]
    offset_y, offset_x = ys - (top - area_top), xs - (left - area_left)
    genuine = float(scores[top - area_top, left - area_left])
    # The copy itself lies one more transform away in the warped image: not a repeat.
    centre = np.array([(left + right) / 2.0, (top + bottom) / 2.0, 1.0])
    onward = matrix @ centre - centre[:2]
    away = (np.hypot(offset_y, offset_x) >= _MIN_SELF_SHIFT) & (
        np.hypot(offset_x - onward[0], offset_y - onward[1]) >= _MIN_SELF_SHIFT
    )
    return bool(away.any() and float(scores[away].max()) >= _REPEAT_SHARE * genuine)


def _detail_zncc(
    stats: tuple[NDArray[np.float32], ...], matrix: NDArray[np.float64], cv2: Any
) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
    """Local normalised cross-correlation of the image's detail with its warp by
    ``matrix``, and the local variance of the warped detail."""
    _, _, _, detail, d_mean, d_var = stats
    height, width = detail.shape
    size = (_ZNCC_WINDOW, _ZNCC_WINDOW)
    warped = cv2.warpAffine(detail, matrix, (width, height), flags=cv2.INTER_LINEAR)
    w_mean = cv2.blur(warped, size)
    w_var = np.maximum(cv2.blur(warped * warped, size) - w_mean * w_mean, 0.0)
    cross = cv2.blur(detail * warped, size) - d_mean * w_mean
    zncc: NDArray[np.float32] = cross / np.sqrt(d_var * w_var + 1e-6)
    return zncc, w_var


def _densify(
    image: NDArray[np.float32],
    matrix: NDArray[np.float64],
    target: NDArray[np.uint8],
    cv2: Any,
) -> NDArray[np.uint8]:
    """Fill each verified copy out to its outline where the image matches its warp.

    The detail check confirms a copy only where there is texture; the smooth parts
    of the same copy lie between the confirmed pixels and around them, out to the
    pasted outline. Inside the convex hull of each confirmed part, widened by
    ``_FILL_MARGIN``, the pixels whose neighbourhood equals the warped image (small
    mean absolute difference) belong to the copy too. The margin is bounded because
    flat areas equal any shift of themselves.
    """
    height, width = image.shape
    warped = cv2.warpAffine(
        image, matrix, (width, height), flags=cv2.INTER_LINEAR, borderValue=-1000.0
    )
    difference = cv2.blur(np.abs(image - warped), (_FILL_WINDOW, _FILL_WINDOW))
    hull = np.zeros_like(target)
    contours, _ = cv2.findContours(target, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    for contour in contours:
        cv2.fillPoly(hull, [cv2.convexHull(contour)], 1)
    side = 2 * _FILL_MARGIN + 1
    hull = cv2.dilate(hull, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (side, side)))
    filled = (hull > 0) & (difference < _FILL_DIFF)
    out: NDArray[np.uint8] = np.maximum(target, filled.astype(np.uint8))
    return out


def _periodic(
    stats: tuple[NDArray[np.float32], ...],
    matrix: NDArray[np.float64],
    target: NDArray[np.bool_],
    cv2: Any,
) -> bool:
    """Whether a translated region also matches the image one more shift away.

    A copy is the image of its source once; a pattern that repeats (a facade, tiles,
    a line of text) matches itself again one period further on either side (twice
    the shift back from the copy, or once more forward), and at half the shift when
    the shift spans two periods; a copy does none of these.
    """
    if abs(matrix[0, 0] - 1.0) > 0.05 or abs(matrix[0, 1]) > 0.05:
        return False
    *_, d_var = stats
    height, width = d_var.shape
    for multiple in (2.0, -1.0, 0.5):
        shifted_matrix = matrix.copy()
        shifted_matrix[:, 2] *= multiple
        ones = np.ones_like(d_var)
        valid = cv2.warpAffine(ones, shifted_matrix, (width, height), flags=cv2.INTER_NEAREST) > 0
        zncc, s_var = _detail_zncc(stats, shifted_matrix, cv2)
        checked = target & valid & (d_var >= _DETAIL_VAR) & (s_var >= _DETAIL_VAR)
        if checked.sum() < 0.25 * target.sum():
            continue  # that period falls outside the image: no evidence either way
        if np.mean(zncc[checked] >= _ZNCC_MIN["keypoints"]) >= _PERIODIC_SHARE:
            return True
    return False


def _self_similar(detail: NDArray[np.float32], region: NDArray[np.bool_], cv2: Any) -> bool:
    """Whether a region repeats within itself: shutters, windows, tiles, fences, text.

    The central half of the region's bounding box is matched (normalised correlation
    of the fine detail) against the whole box at every shift; a repeating pattern
    matches itself again one period away, a cloned object or natural texture does not.
    This also catches a "copy" whose transform is not a pure translation (the blinds
    of Kodak 07 match their neighbours under a 9% scale), which :func:`_periodic`
    cannot test.
    """
    rows, cols = np.nonzero(region)
    if rows.size == 0:
        return False
    top, bottom, left, right = rows.min(), rows.max() + 1, cols.min(), cols.max() + 1
    height, width = bottom - top, right - left
    if min(height, width) < 4 * _MIN_SELF_SHIFT:
        return False
    box = np.ascontiguousarray(detail[top:bottom, left:right])
    inner = np.ascontiguousarray(
        box[height // 4 : height // 4 + height // 2, width // 4 : width // 4 + width // 2]
    )
    if float(inner.std()) < 1.0:
        return False
    scores = cv2.matchTemplate(box, inner, cv2.TM_CCOEFF_NORMED)
    centre_y, centre_x = height // 4, width // 4
    ys, xs = np.mgrid[0 : scores.shape[0], 0 : scores.shape[1]]
    away = np.hypot(ys - centre_y, xs - centre_x) >= _MIN_SELF_SHIFT
    return bool(away.any() and float(scores[away].max()) >= _SELF_SIMILAR)


def _box_text(box: list[int]) -> str:
    left, top, right, bottom = box
    return f"x {left}-{right}, y {top}-{bottom}"


def _box_overlap(first: NDArray[np.bool_], second: NDArray[np.bool_]) -> float:
    """Intersection over union of the two regions' bounding boxes."""
    boxes = []
    for region in (first, second):
        rows, cols = np.nonzero(region)
        if rows.size == 0:
            return 0.0
        boxes.append((rows.min(), rows.max() + 1, cols.min(), cols.max() + 1))
    (t1, b1, l1, r1), (t2, b2, l2, r2) = boxes
    inter = max(0, min(b1, b2) - max(t1, t2)) * max(0, min(r1, r2) - max(l1, l2))
    union = (b1 - t1) * (r1 - l1) + (b2 - t2) * (r2 - l2) - inter
    return float(inter / union) if union else 0.0


def flat_of(stats: tuple[NDArray[np.float32], ...], like: NDArray[np.bool_]) -> NDArray[np.bool_]:
    """Pixels whose own neighbourhood is flat (variance below the texture level)."""
    out: NDArray[np.bool_] = stats[2] < _TEXTURE_VAR
    return out


def _confidence(candidate: _Candidate, area: int, total: int) -> float:
    support = candidate.votes / (8.0 if candidate.kind == "keypoints" else 20.0)
    size = area / (0.004 * total)
    return float(np.clip(0.5 + 0.5 * (1.0 - math.exp(-support * min(size, 1.0))), 0.5, 1.0))


def _describe(
    candidate: _Candidate,
    target: NDArray[np.bool_],
    source: NDArray[np.bool_],
    confidence: float,
    upscale: float,
) -> dict[str, Any]:
    def box(mask: NDArray[np.bool_]) -> list[int]:
        rows, cols = np.nonzero(mask)
        if rows.size == 0:
            return [0, 0, 0, 0]
        return [
            int(cols.min() * upscale),
            int(rows.min() * upscale),
            math.ceil((cols.max() + 1) * upscale),
            math.ceil((rows.max() + 1) * upscale),
        ]

    m = candidate.matrix
    return {
        "source_box": box(source),
        "target_box": box(target),
        "shift": [round(float(m[0, 2]) * upscale, 1), round(float(m[1, 2]) * upscale, 1)],
        "rotation_degrees": round(math.degrees(math.atan2(m[1, 0], m[0, 0])), 1),
        "scale": round(math.hypot(m[0, 0], m[1, 0]), 3),
        "method": candidate.kind,
        "matches": candidate.votes,
        "confidence": round(confidence, 3),
    }
