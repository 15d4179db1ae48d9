"""Harness: ``pixelproof.io.load_image`` on arbitrary bytes.

Acceptable: ``ImageLoadError`` (every subclass) and ``OSError``, the loader's documented
errors. A file refused as corrupt is loaded again with ``allow_damaged=True``, which
must then either load it or raise one of those. A loaded image must have consistent
pixels: ``(H, W, 3)`` uint8, an alpha plane of the same ``(H, W)``, and dimensions that
match the stored ones after the EXIF orientation.
"""

from __future__ import annotations

import numpy as np

from fuzz._common import guarded, instrumented, main

with instrumented(__name__ == "__main__"):
    from PIL import Image

    from pixelproof.io import CorruptImageError, ImageLoadError, LoadedImage, LoadLimits, load_image

    Image.init()

ACCEPTABLE: tuple[type[BaseException], ...] = (ImageLoadError, OSError)
# Lower than the default 100 megapixels so that a declared 10000x10000 image is refused
# from its header instead of making every such input take seconds.
MAX_PIXELS = 4_000_000


def check(data: bytes) -> None:
    try:
        image = load_image(data, limits=LoadLimits(max_pixels=MAX_PIXELS))
    except CorruptImageError:
        image = load_image(data, limits=LoadLimits(max_pixels=MAX_PIXELS, allow_damaged=True))
        assert image.damage is not None
    _check_image(image)


def _check_image(image: LoadedImage) -> None:
    pixels = image.pixels
    assert pixels.dtype == np.uint8 and pixels.ndim == 3 and pixels.shape[2] == 3, pixels.shape
    assert pixels.flags.c_contiguous
    if image.alpha is not None:
        assert image.alpha.dtype == np.uint8 and image.alpha.shape == pixels.shape[:2]
    stored = (image.stored_height, image.stored_width)
    shown = pixels.shape[:2] if image.orientation <= 4 else pixels.shape[1::-1]
    assert tuple(shown) == stored, (shown, stored, image.orientation, image.format)
    assert 1 <= image.orientation <= 8


one_input = guarded(check, ACCEPTABLE)

if __name__ == "__main__":
    main(one_input)
