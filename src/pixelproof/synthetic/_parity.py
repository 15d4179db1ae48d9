"""Format parity: put every image, whatever its class, through the same processing.

Training sets of synthetic-image detection differ between classes in ways that have
nothing to do with generation: in ``ai-train`` the real photos were JPEG-compressed
twice and the fakes once, the fakes were generated at 512x512 and the reals squashed to
it. A detector fitted on the files as they are learns those differences. So every
training image of both classes is re-encoded identically: a random crop, a random
resize (down or up) and a fresh JPEG save at a random quality, which drowns the
classes' own history in a shared one. :func:`protocol_copy` is the fixed version used
to compare classes in the benchmark (centre crop, 512x512, JPEG q90).
"""

from __future__ import annotations

import io

import numpy as np
from numpy.typing import NDArray

PROTOCOL_SIDE = 512
PROTOCOL_QUALITY = 90
CROP_RANGE = (0.55, 1.0)  # crop side as a share of the image's side
SIDE_RANGE = (256, 768)  # shorter side after the resize
QUALITY_RANGE = (65, 98)


def jpeg_round_trip(rgb: NDArray[np.uint8], quality: int) -> NDArray[np.uint8]:
    """``rgb`` saved as a JPEG of ``quality`` (4:2:0, as most encoders do) and decoded."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(rgb).save(buffer, format="JPEG", quality=int(quality))
    buffer.seek(0)
    with Image.open(buffer) as decoded:
        return np.asarray(decoded.convert("RGB"), dtype=np.uint8)


def resize(rgb: NDArray[np.uint8], size: tuple[int, int]) -> NDArray[np.uint8]:
    """``rgb`` resized to ``(width, height)``: area averaging down, bicubic up."""
    import cv2

    shrinking = size[0] * size[1] < rgb.shape[0] * rgb.shape[1]
    interpolation = cv2.INTER_AREA if shrinking else cv2.INTER_CUBIC
    return np.asarray(cv2.resize(rgb, size, interpolation=interpolation), dtype=np.uint8)


def centre_square(rgb: NDArray[np.uint8]) -> NDArray[np.uint8]:
    """The largest centred square of ``rgb``."""
    height, width = rgb.shape[:2]
    side = min(height, width)
    top, left = (height - side) // 2, (width - side) // 2
    return rgb[top : top + side, left : left + side]


def protocol_copy(
    rgb: NDArray[np.uint8], *, side: int = PROTOCOL_SIDE, quality: int = PROTOCOL_QUALITY
) -> NDArray[np.uint8]:
    """The benchmark's identical processing: centre square, ``side`` pixels, JPEG."""
    return jpeg_round_trip(resize(centre_square(rgb), (side, side)), quality)


def parity_copy(rgb: NDArray[np.uint8], rng: np.random.Generator) -> NDArray[np.uint8]:
    """A random crop, resize and JPEG save of ``rgb``, drawn the same way for any class."""
    height, width = rgb.shape[:2]
    crop_h = max(8, round(height * rng.uniform(*CROP_RANGE)))
    crop_w = max(8, round(width * rng.uniform(*CROP_RANGE)))
    top = int(rng.integers(0, height - crop_h + 1))
    left = int(rng.integers(0, width - crop_w + 1))
    crop = rgb[top : top + crop_h, left : left + crop_w]
    shorter = rng.uniform(*SIDE_RANGE)
    factor = shorter / min(crop_h, crop_w)
    size = (max(8, round(crop_w * factor)), max(8, round(crop_h * factor)))
    quality = int(rng.integers(QUALITY_RANGE[0], QUALITY_RANGE[1] + 1))
    return jpeg_round_trip(resize(crop, size), quality)
