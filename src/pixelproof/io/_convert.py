"""Every kind of image input the library accepts, turned into pixels in one place."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from ._load import LoadedImage, load_image

ImageInput = str | Path | bytes | Image.Image | NDArray[Any] | LoadedImage
"""What the analyses accept as an image: a file path, file bytes or a decoded image."""


def as_decoded(image: ImageInput) -> LoadedImage | Image.Image | NDArray[Any]:
    """Load a path or file bytes with :func:`load_image`; pass a decoded image through.

    Anything that is not an :data:`ImageInput` raises ``TypeError``.

    >>> import numpy as np
    >>> as_decoded(np.zeros((2, 2, 3), np.uint8)).shape
    (2, 2, 3)
    """
    if isinstance(image, str | Path | bytes):
        return load_image(image)
    if isinstance(image, LoadedImage | Image.Image | np.ndarray):
        return image
    raise TypeError(
        "image must be a path, bytes, a PIL image, a LoadedImage or a numpy array, "
        f"got {type(image).__name__}"
    )


def as_rgb(image: ImageInput) -> NDArray[np.uint8]:
    """The (H, W, 3) uint8 RGB pixels of any :data:`ImageInput`.

    A path or file bytes is loaded with :func:`load_image` (EXIF orientation applied,
    colour managed, alpha left out, as in ``LoadedImage.pixels``); a Pillow image is
    converted to RGB; an array must already be (H, W, 3) uint8 and is returned as is.

    >>> import numpy as np
    >>> from PIL import Image
    >>> as_rgb(Image.new("L", (4, 2), 7)).shape
    (2, 4, 3)
    >>> as_rgb(np.zeros((2, 2), np.uint8))
    Traceback (most recent call last):
    ...
    ValueError: image array must be (H, W, 3) RGB, got shape (2, 2)
    """
    decoded = as_decoded(image)
    if isinstance(decoded, LoadedImage):
        return decoded.pixels
    if isinstance(decoded, Image.Image):
        return np.asarray(decoded.convert("RGB"), dtype=np.uint8)
    if decoded.ndim != 3 or decoded.shape[2] != 3:
        raise ValueError(f"image array must be (H, W, 3) RGB, got shape {decoded.shape}")
    if decoded.dtype != np.uint8:
        raise TypeError(f"image array must be uint8 RGB, got dtype {decoded.dtype}")
    return decoded
