"""Benchmark images are resized as the run states: shrunk only, or to an exact side."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from pixelproof.bench.runner._data import load_rgb


def _photo(tmp_path: Path, width: int, height: int) -> Path:
    rng = np.random.default_rng(0)
    path = tmp_path / f"p{width}x{height}.png"
    Image.fromarray(rng.integers(0, 256, (height, width, 3), dtype=np.uint8)).save(path)
    return path


def test_max_side_only_shrinks(tmp_path: Path) -> None:
    assert load_rgb(_photo(tmp_path, 300, 200), max_side=512).shape == (200, 300, 3)
    assert load_rgb(_photo(tmp_path, 1000, 500), max_side=512).shape == (256, 512, 3)


def test_longest_side_resizes_up_and_down(tmp_path: Path) -> None:
    assert load_rgb(_photo(tmp_path, 300, 200), longest_side=512).shape == (341, 512, 3)
    assert load_rgb(_photo(tmp_path, 200, 400), longest_side=1024).shape == (1024, 512, 3)
    assert load_rgb(_photo(tmp_path, 1000, 500), longest_side=512).shape == (256, 512, 3)
