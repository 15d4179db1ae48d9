"""Images for benchmarks: listed from a folder, decoded safely, resized consistently."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from ...inputs import expand_inputs
from ...io import load_image


def list_images(folder: Path, *, limit: int | None = None) -> list[Path]:
    """Image files under ``folder`` (recursively, sorted), at most ``limit`` of them.

    Raises
    ------
    ValueError
        When the folder does not exist or holds no image.
    """
    if not folder.is_dir():
        raise ValueError(f"--data: {folder} is not a folder")
    files = [Path(p) for p in expand_inputs([str(folder)]).files]
    if not files:
        raise ValueError(f"--data: no image files under {folder}")
    return files[:limit] if limit else files


def load_rgb(
    path: Path, *, max_side: int | None = None, longest_side: int | None = None
) -> NDArray[np.uint8]:
    """Decode ``path`` to RGB, then resize it (Lanczos).

    ``max_side`` only shrinks: the longest side ends at most that long. ``longest_side``
    resizes up or down to exactly that longest side, so that every image of a benchmark
    is measured at the size it states.
    """
    pixels = load_image(path).pixels
    height, width = pixels.shape[:2]
    target = longest_side if longest_side is not None else max_side
    if target is None or max(height, width) == target:
        return pixels
    if longest_side is None and max(height, width) < target:
        return pixels
    scale = target / max(height, width)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    resized = Image.fromarray(pixels).resize(size, Image.Resampling.LANCZOS)
    return np.asarray(resized, dtype=np.uint8)


def stable_seed(*parts: object) -> int:
    """A seed that depends only on ``parts`` (not on Python's per-process hash salt)."""
    import hashlib

    digest = hashlib.sha256("\x1f".join(map(str, parts)).encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "little")
