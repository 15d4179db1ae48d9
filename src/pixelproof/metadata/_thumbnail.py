"""Does the EXIF thumbnail still show the picture?

Cameras write a small preview (typically 160x120) into EXIF when they take the picture.
Many editors rewrite the pixels but copy the EXIF block unchanged, so the thumbnail
keeps showing the picture as it was captured. Comparing the two reveals edits after
capture: content that was removed or added, a crop, or a rotation done without
updating the thumbnail.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from ..io import TooManyPixelsError, open_with_pixel_limit

GRID = 32
MAX_THUMBNAIL_PIXELS = 1024 * 1024
# Thresholds calibrated on camera originals (exif-samples: r >= 0.93, local <= 1.0)
# and on generated edits (a replaced region of 5% of the picture: local >= 1.6).
MATCH_CORRELATION = 0.85
MISMATCH_CORRELATION = 0.5
LOCAL_DIFFERENCE = 1.35
ASPECT_TOLERANCE = 0.06


@dataclass(frozen=True)
class ThumbnailComparison:
    """The verdict of :func:`compare_thumbnail`.

    Attributes
    ----------
    verdict : str
        ``"match"``; ``"mismatch"`` (content differs); ``"cropped"`` (the picture is a
        crop of what the thumbnail shows); ``"partial"`` (the thumbnail shows only part
        of the picture, as some cameras make thumbnails of another aspect ratio);
        ``"rotated"`` (matches once rotated or flipped); or ``"unreadable"``.
    correlation : float or None
        Correlation of the two pictures at 32x32 (1 = same content).
    local_difference : float or None
        Largest difference of a local patch, in standard deviations (edits of a region
        raise it while barely moving the correlation).
    thumbnail_size : (int, int) or None
        Width and height of the thumbnail as stored.
    details : dict
    """

    verdict: str
    correlation: float | None = None
    local_difference: float | None = None
    thumbnail_size: tuple[int, int] | None = None
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        row: dict[str, Any] = {"verdict": self.verdict}
        if self.correlation is not None:
            row["correlation"] = round(self.correlation, 4)
        if self.local_difference is not None:
            row["local_difference"] = round(self.local_difference, 3)
        if self.thumbnail_size is not None:
            row["thumbnail_size"] = list(self.thumbnail_size)
        row.update(self.details)
        return row


def decode_thumbnail(jpeg: bytes) -> NDArray[np.uint8] | None:
    """Decode an EXIF JPEG thumbnail to RGB, refusing oversized or broken ones."""
    try:
        with open_with_pixel_limit(jpeg, MAX_THUMBNAIL_PIXELS, formats=["JPEG"]) as image:
            width, height = image.size
            if width <= 0 or height <= 0:
                return None
            return np.asarray(image.convert("RGB"), dtype=np.uint8)
    except (OSError, SyntaxError, ValueError, TooManyPixelsError):
        return None


def compare_thumbnail(
    thumbnail: NDArray[np.uint8], pixels: NDArray[np.uint8], *, orientation: int = 1
) -> ThumbnailComparison:
    """Compare a decoded EXIF thumbnail with the full picture.

    Parameters
    ----------
    thumbnail : (h, w, 3) uint8 ndarray
        The thumbnail as stored (not oriented).
    pixels : (H, W, 3) uint8 ndarray
        The picture with its EXIF orientation applied (as :mod:`pixelproof.io` gives it).
    orientation : int
        The EXIF orientation that was applied to ``pixels``; it is applied to the
        thumbnail too, since both are stored the same way.
    """
    size = (int(thumbnail.shape[1]), int(thumbnail.shape[0]))
    thumb = _trim_letterbox(orient(thumbnail, orientation))
    if thumb.shape[0] < 8 or thumb.shape[1] < 8:
        return ThumbnailComparison("unreadable", thumbnail_size=size)
    image_small = _grid(pixels)
    thumb_small = _grid(thumb)
    correlation, local = _similarity(thumb_small, image_small)
    aspect_thumb = thumb.shape[1] / thumb.shape[0]
    aspect_image = pixels.shape[1] / pixels.shape[0]
    aspect_gap = abs(math.log(aspect_thumb / aspect_image))
    details: dict[str, Any] = {
        "thumbnail_aspect": round(aspect_thumb, 3),
        "image_aspect": round(aspect_image, 3),
    }
    if correlation < MATCH_CORRELATION or local > LOCAL_DIFFERENCE:
        rotated = _best_dihedral(thumb, pixels)
        if rotated is not None and rotated[1] >= MATCH_CORRELATION:
            details["matches_after"] = rotated[0]
            return ThumbnailComparison("rotated", rotated[1], local, size, details)
    if aspect_gap > ASPECT_TOLERANCE or correlation < MATCH_CORRELATION or local > LOCAL_DIFFERENCE:
        crop = _find_crop(thumb, pixels, better_than=correlation)
        if crop is not None:
            details["crop"] = crop
            return ThumbnailComparison("cropped", crop["correlation"], local, size, details)
        inner = _find_crop(pixels, thumb, better_than=correlation)
        if inner is not None:
            details["thumbnail_region"] = inner
            return ThumbnailComparison("partial", inner["correlation"], local, size, details)
        return ThumbnailComparison("mismatch", correlation, local, size, details)
    return ThumbnailComparison("match", correlation, local, size, details)


def orient(array: NDArray[Any], orientation: int) -> NDArray[Any]:
    """Apply an EXIF orientation (1-8) to an (H, W[, C]) array, as viewers display it."""
    if orientation == 2:
        return array[:, ::-1]
    if orientation == 3:
        return array[::-1, ::-1]
    if orientation == 4:
        return array[::-1, :]
    swapped = np.swapaxes(array, 0, 1)
    if orientation == 5:
        return swapped
    if orientation == 6:
        return swapped[:, ::-1]
    if orientation == 7:
        return swapped[::-1, ::-1]
    if orientation == 8:
        return swapped[::-1, :]
    return array


def _trim_letterbox(array: NDArray[np.uint8]) -> NDArray[np.uint8]:
    """Cut the black (or uniform) bars cameras add to fit a 3:2 picture into 4:3."""
    gray = array.astype(np.float32).mean(axis=2)
    height, width = gray.shape

    def is_bar(line: NDArray[np.float32]) -> bool:
        return bool(line.max() < 24.0 and line.std() < 4.0)

    top, bottom, left, right = 0, height, 0, width
    while top < height // 4 and is_bar(gray[top]):
        top += 1
    while bottom > height - height // 4 and is_bar(gray[bottom - 1]):
        bottom -= 1
    while left < width // 4 and is_bar(gray[:, left]):
        left += 1
    while right > width - width // 4 and is_bar(gray[:, right - 1]):
        right -= 1
    # Camera letterboxes are symmetric; a dark edge on one side only is picture content.
    if abs(top - (height - bottom)) > max(2, (top + height - bottom) // 8):
        top, bottom = 0, height
    if abs(left - (width - right)) > max(2, (left + width - right) // 8):
        left, right = 0, width
    return array[top:bottom, left:right]


def _grid(array: NDArray[np.uint8]) -> NDArray[np.float64]:
    image = Image.fromarray(np.ascontiguousarray(array), "RGB").convert("L")
    small = image.resize((GRID, GRID), Image.Resampling.BOX)
    grid: NDArray[np.float64] = np.asarray(small, dtype=np.float64)
    return grid


def _normalise(values: NDArray[np.float64]) -> NDArray[np.float64]:
    std = float(values.std())
    normalised: NDArray[np.float64] = (values - values.mean()) / (std if std > 1e-6 else 1.0)
    return normalised


def _similarity(a: NDArray[np.float64], b: NDArray[np.float64]) -> tuple[float, float]:
    na, nb = _normalise(a), _normalise(b)
    correlation = float((na * nb).mean())
    diff = np.abs(na - nb)
    # Mean over 3x3 patches: one noisy cell is not an edit, a patch of them is.
    padded = np.pad(diff, 1, mode="edge")
    local = np.zeros_like(diff)
    for dy in range(3):
        for dx in range(3):
            local += padded[dy : dy + diff.shape[0], dx : dx + diff.shape[1]]
    return correlation, float(local.max()) / 9.0


def _best_dihedral(thumb: NDArray[np.uint8], pixels: NDArray[np.uint8]) -> tuple[str, float] | None:
    names = {2: "mirrored", 3: "rotated 180°", 4: "flipped", 6: "rotated 90° clockwise"}
    names.update({8: "rotated 90° counter-clockwise", 5: "transposed", 7: "transversed"})
    image_small = _grid(pixels)
    aspect_image = pixels.shape[1] / pixels.shape[0]
    best: tuple[str, float] | None = None
    for code, name in names.items():
        candidate = orient(thumb, code)
        aspect = candidate.shape[1] / candidate.shape[0]
        if abs(math.log(aspect / aspect_image)) > ASPECT_TOLERANCE * 2:
            continue
        correlation, local = _similarity(_grid(candidate), image_small)
        if local <= LOCAL_DIFFERENCE and (best is None or correlation > best[1]):
            best = (name, correlation)
    return best


def _find_crop(
    thumb: NDArray[np.uint8], pixels: NDArray[np.uint8], *, better_than: float
) -> dict[str, Any] | None:
    """Find the picture inside the thumbnail as a crop (search over scale and position).

    Returns the crop box (fractions of the thumbnail) when some window of the thumbnail
    matches the whole picture as well as an unedited thumbnail would, clearly better
    than the thumbnail as a whole does, and with no local disagreement.
    """
    width = 64
    height = max(8, round(width * thumb.shape[0] / thumb.shape[1]))
    small = np.asarray(
        Image.fromarray(np.ascontiguousarray(thumb), "RGB")
        .convert("L")
        .resize((width, height), Image.Resampling.BOX),
        dtype=np.float64,
    )
    aspect = pixels.shape[1] / pixels.shape[0]
    fit_w = min(width, height * aspect)
    gray = Image.fromarray(np.ascontiguousarray(pixels), "RGB").convert("L")
    best: tuple[float, int, int, int, int] | None = None
    for scale in np.linspace(0.45, 1.0, 12):
        ww = round(fit_w * scale)
        wh = round(ww / aspect)
        if ww < 12 or wh < 8 or ww > width or wh > height:
            continue
        target = _normalise(
            np.asarray(gray.resize((ww, wh), Image.Resampling.BOX), dtype=np.float64)
        )
        for y in range(0, height - wh + 1):
            for x in range(0, width - ww + 1):
                window = _normalise(small[y : y + wh, x : x + ww])
                score = float((window * target).mean())
                if best is None or score > best[0]:
                    best = (score, x, y, ww, wh)
    if best is None or best[0] < max(0.9, better_than + 0.05):
        return None
    score, x, y, ww, wh = best
    if ww >= width - 1 and wh >= height - 1:
        return None  # the whole thumbnail: not a crop
    box = [x / width, y / height, (x + ww) / width, (y + wh) / height]
    rows, cols = thumb.shape[0], thumb.shape[1]
    region = thumb[
        int(box[1] * rows) : max(int(box[1] * rows) + 8, int(box[3] * rows)),
        int(box[0] * cols) : max(int(box[0] * cols) + 8, int(box[2] * cols)),
    ]
    _, local = _similarity(_grid(region), _grid(pixels))
    if local > LOCAL_DIFFERENCE:
        return None
    return {"box": [round(v, 3) for v in box], "correlation": round(score, 4)}
