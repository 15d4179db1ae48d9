"""Procedural photo-like images for the watermark tests (never downloaded)."""

from __future__ import annotations

import io

import numpy as np
import pytest
from numpy.typing import NDArray
from PIL import Image

cv2 = pytest.importorskip("cv2")
pytest.importorskip("scipy")  # the watermark extra: pip install "pixelproof[watermark]"


def texture(seed: int, height: int = 320, width: int = 384) -> NDArray[np.uint8]:
    """A colour image with a photo-like spectrum: blurred noise summed over six scales."""
    rng = np.random.default_rng(seed)
    grey = np.zeros((height, width), np.float32)
    for scale in (1, 2, 4, 8, 16, 32):
        noise = rng.normal(size=(height, width)).astype(np.float32)
        grey += cv2.GaussianBlur(noise, (0, 0), scale) * scale**1.2
    grey = (grey - grey.mean()) / grey.std() * rng.uniform(25, 45) + rng.uniform(100, 150)
    tint = rng.uniform(0.85, 1.15, size=3).astype(np.float32)
    return np.clip(grey[..., None] * tint, 0, 255).astype(np.uint8)


def smooth(seed: int, height: int = 384, width: int = 512) -> NDArray[np.uint8]:
    """A sky-like image: gentle gradients and faint noise, nothing a fine mark can hide in."""
    rng = np.random.default_rng(seed)
    rows, cols = np.mgrid[0:height, 0:width].astype(np.float32)
    grey = 90 + 80 * rows / height + 20 * np.sin(cols / 97.0 + seed)
    colour = np.stack([grey, grey * 0.9 + 10, grey * 0.8 + 30], axis=-1)
    colour += rng.normal(0.0, 1.0, colour.shape)
    return np.clip(np.rint(colour), 0, 255).astype(np.uint8)


def webp(image: NDArray[np.uint8], quality: int) -> NDArray[np.uint8]:
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, "WEBP", quality=quality)
    return np.asarray(Image.open(io.BytesIO(buffer.getvalue())).convert("RGB"))


def jpeg(image: NDArray[np.uint8], quality: int) -> NDArray[np.uint8]:
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, "JPEG", quality=quality)
    return np.asarray(Image.open(io.BytesIO(buffer.getvalue())).convert("RGB"))


def resize(image: NDArray[np.uint8], scale: float) -> NDArray[np.uint8]:
    h, w = image.shape[:2]
    size = (round(w * scale), round(h * scale))
    return np.asarray(Image.fromarray(image).resize(size, Image.Resampling.BICUBIC))
