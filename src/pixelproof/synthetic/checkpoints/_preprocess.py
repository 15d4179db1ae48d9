"""What the published test scripts do to an image before the network, in NumPy.

CNNDetection's ``demo.py``/``demo_dir.py`` and NPR's ``test.py`` both apply torchvision's
``ToTensor`` (uint8 / 255 in float32) and ``Normalize`` with the ImageNet mean and
standard deviation; CNNDetection's ``--crop`` adds a ``CenterCrop`` first (224 in the
paper; its authors report better results without it). The float32 operations are the
same as torchvision's, in the same order, so the network sees the same numbers.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

IMAGENET_MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)
IMAGENET_STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)


def check_rgb(rgb: object) -> NDArray[np.uint8]:
    """``rgb`` itself when it is an (H, W, 3) uint8 array with pixels; else ValueError."""
    if not isinstance(rgb, np.ndarray) or rgb.dtype != np.uint8:
        raise ValueError("the image must be a uint8 NumPy array")
    if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.shape[0] < 1 or rgb.shape[1] < 1:
        raise ValueError(f"the image must be (height, width, 3) RGB, got shape {rgb.shape}")
    return rgb


def center_crop(rgb: NDArray[np.uint8], size: int) -> NDArray[np.uint8]:
    """The central ``size`` x ``size`` square, as torchvision's ``CenterCrop(size)``.

    The offset is ``round((side - size) / 2)`` (Python's rounding, half to even); an image
    smaller than ``size`` is first padded with black, the extra pixel of an odd padding
    going to the right or bottom.
    """
    if size < 1:
        raise ValueError(f"crop size must be positive, got {size}")
    height, width = rgb.shape[:2]
    if height < size or width < size:
        pad_h, pad_w = max(size - height, 0), max(size - width, 0)
        rgb = np.pad(rgb, ((pad_h // 2, (pad_h + 1) // 2), (pad_w // 2, (pad_w + 1) // 2), (0, 0)))
        height, width = rgb.shape[:2]
    top = round((height - size) / 2.0)
    left = round((width - size) / 2.0)
    return rgb[top : top + size, left : left + size]


def network_input(rgb: NDArray[np.uint8], *, crop: int | None = None) -> NDArray[np.float32]:
    """The (1, 3, H, W) float32 batch the published scripts feed their network.

    Parameters
    ----------
    rgb : (H, W, 3) uint8 ndarray
        The image, not modified.
    crop : int, optional
        Side of a central square crop (:func:`center_crop`); the whole image when None.
    """
    rgb = check_rgb(rgb)
    if crop is not None:
        rgb = center_crop(rgb, crop)
    scaled = rgb.astype(np.float32) / np.float32(255.0)
    normalised = (scaled - IMAGENET_MEAN) / IMAGENET_STD
    return np.ascontiguousarray(normalised.transpose(2, 0, 1)[None])
