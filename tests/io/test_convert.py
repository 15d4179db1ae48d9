"""as_rgb: one conversion of every accepted image input to RGB pixels."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from pixelproof.io import as_decoded, as_rgb, load_image


def _png(rgb: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(rgb).save(buffer, format="PNG")
    return buffer.getvalue()


def test_every_input_gives_the_same_pixels(tmp_path: Path) -> None:
    rgb = np.random.default_rng(0).integers(0, 256, (12, 9, 3), dtype=np.uint8)
    data = _png(rgb)
    path = tmp_path / "a.png"
    path.write_bytes(data)
    for image in (rgb, Image.fromarray(rgb), data, path, str(path), load_image(data)):
        out = as_rgb(image)
        assert out.dtype == np.uint8 and out.shape == (12, 9, 3)
        np.testing.assert_array_equal(out, rgb)


def test_an_rgb_array_is_passed_through_uncopied() -> None:
    rgb = np.zeros((2, 3, 3), np.uint8)
    assert as_rgb(rgb) is rgb


def test_pillow_modes_are_converted_to_rgb() -> None:
    grey = Image.new("L", (5, 4), 9)
    np.testing.assert_array_equal(as_rgb(grey), np.full((4, 5, 3), 9, np.uint8))
    rgba = Image.new("RGBA", (2, 2), (1, 2, 3, 0))
    assert as_rgb(rgba)[0, 0].tolist() == [1, 2, 3]


def test_wrong_inputs_are_refused() -> None:
    with pytest.raises(ValueError, match=r"\(H, W, 3\)"):
        as_rgb(np.zeros((4, 4), np.uint8))
    with pytest.raises(TypeError, match="uint8"):
        as_rgb(np.zeros((4, 4, 3), np.float32))
    with pytest.raises(TypeError, match="must be a path, bytes"):
        as_rgb(42)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="must be a path, bytes"):
        as_decoded([1, 2, 3])  # type: ignore[arg-type]
