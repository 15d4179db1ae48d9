"""Small embedded pictures for the HTML report: thumbnails and coloured heat-maps.

Everything here works at thumbnail size (at most :data:`MAX_SIZE` pixels a side), so a
report never holds a full-resolution array of its own.
"""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from ..evidence import Heatmap
from ..io import LoadLimits, TooManyPixelsError, load_image, open_with_pixel_limit

MAX_SIZE = 384
"""Largest side of any picture embedded in the report."""

ROW_THUMB_SIZE = 96
"""Largest side of the thumbnails in the summary table (shown at 48 px, sharp at 2x)."""

# Colour ramp of the heat-maps: value 0 is transparent, low values pale yellow,
# high values red. (position, (r, g, b)) stops.
_RAMP_STOPS = (
    (0.0, (255, 232, 64)),
    (0.45, (255, 170, 0)),
    (0.75, (240, 90, 20)),
    (1.0, (200, 10, 30)),
)
# Opacity grows from 0 at _CLEAR_BELOW to 1 at _FULL_OPACITY_AT, along a gentle curve
# (power _OPACITY_GAMMA), so weak evidence stays faint and strong evidence is solid.
_CLEAR_BELOW = 0.04
_FULL_OPACITY_AT = 0.8
_OPACITY_GAMMA = 1.3


@dataclass(frozen=True)
class Picture:
    """An embeddable image: a ``data:`` URI plus its pixel size."""

    uri: str
    width: int
    height: int


@dataclass(frozen=True)
class Thumbnail:
    """The card preview and the smaller summary-table preview of one image."""

    card: Picture
    row: Picture


@dataclass(frozen=True)
class HeatmapPictures:
    """An RGBA overlay for the thumbnail and the same map composited on white."""

    overlay: Picture
    alone: Picture


def data_uri(mime: str, payload: bytes) -> str:
    """``data:`` URI of ``payload``, base64-encoded (safe inside an HTML attribute)."""
    return f"data:{mime};base64,{base64.b64encode(payload).decode('ascii')}"


def make_thumbnail(jpeg: bytes | None) -> Thumbnail | None:
    """Decode the report's JPEG preview; None when there is none or it is unreadable."""
    if not jpeg:
        return None
    try:
        # Not one of ours when larger: refuse to decode a large picture here.
        with open_with_pixel_limit(jpeg, 4 * MAX_SIZE * MAX_SIZE, formats=["JPEG"]) as opened:
            image = opened.convert("RGB")
    except (OSError, SyntaxError, ValueError, TooManyPixelsError):
        return None
    card_bytes = jpeg
    if max(image.size) > MAX_SIZE:
        image.thumbnail((MAX_SIZE, MAX_SIZE))
        card_bytes = _encode(image, "JPEG")
    card = Picture(data_uri("image/jpeg", card_bytes), image.width, image.height)
    image.thumbnail((ROW_THUMB_SIZE, ROW_THUMB_SIZE))
    return Thumbnail(card=card, row=jpeg_picture(image))


@dataclass(frozen=True)
class FilePreview:
    """A preview read from an image file now, or why there is none (``note``)."""

    image: Image.Image | None
    note: str = ""


def file_preview(
    path: str, side: int, *, sha256: str | None = None, limits: LoadLimits | None = None
) -> FilePreview:
    """A preview of the image file at ``path``, at most ``side`` pixels a side.

    The file is read with the safe loader (regular files only, within ``limits``).
    With ``sha256``, a file whose bytes are no longer those that were analysed gets no
    preview: the report never shows other content as the analysed image.
    """
    try:
        loaded = load_image(path, limits=limits)
    except Exception:  # vanished, unreadable, over the limits: no preview
        return FilePreview(None, "No preview: the file cannot be read now")
    if sha256 is not None and loaded.sha256 != sha256:
        return FilePreview(None, "No preview: the file has changed since it was analysed")
    image = loaded.to_pil()
    del loaded
    image.thumbnail((side, side))
    return FilePreview(image)


def jpeg_bytes(image: Image.Image) -> bytes:
    """``image`` as JPEG bytes (the report's quality)."""
    return _encode(image, "JPEG")


def jpeg_picture(image: Image.Image) -> Picture:
    """``image`` embedded as a JPEG ``data:`` URI, at its own size."""
    return Picture(data_uri("image/jpeg", _encode(image, "JPEG")), image.width, image.height)


def fit_within(size: tuple[int, int], limit: int = MAX_SIZE) -> tuple[int, int]:
    """``size`` scaled down (never up) to fit in a ``limit`` square, keeping its aspect."""
    width, height = max(1, size[0]), max(1, size[1])
    scale = min(1.0, limit / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


def make_heatmap_pictures(heatmap: Heatmap, box: tuple[int, int]) -> HeatmapPictures:
    """Colour ``heatmap`` for display at ``box`` (the thumbnail size, <= MAX_SIZE).

    A map stored at a lower resolution than ``box`` is embedded as is and stretched
    by the browser, which keeps the report small; a larger one is reduced to ``box``.
    """
    values = _resized_values(heatmap, box)
    rgba = _HEAT_LUT[values]
    overlay = Image.fromarray(rgba, "RGBA")
    alpha = rgba[..., 3:4].astype(np.float32) / 255.0
    on_white = rgba[..., :3].astype(np.float32) * alpha + 255.0 * (1.0 - alpha)
    alone = Image.fromarray(np.rint(on_white).astype(np.uint8), "RGB")
    height, width = values.shape
    return HeatmapPictures(
        overlay=Picture(data_uri("image/png", _encode(overlay, "PNG")), width, height),
        alone=Picture(data_uri("image/png", _encode(alone, "PNG")), width, height),
    )


def _resized_values(heatmap: Heatmap, box: tuple[int, int]) -> NDArray[np.uint8]:
    image = heatmap.to_image(full_size=False)
    if image.width > box[0] or image.height > box[1]:
        image = image.resize(box, Image.Resampling.BOX)
    return np.asarray(image, dtype=np.uint8)


def _heat_lut() -> NDArray[np.uint8]:
    """256 RGBA entries: the colour ramp with opacity growing with the value."""
    levels = np.linspace(0.0, 1.0, 256)
    positions = [stop[0] for stop in _RAMP_STOPS]
    channels = [
        np.interp(levels, positions, [stop[1][channel] for stop in _RAMP_STOPS])
        for channel in range(3)
    ]
    ramp = (levels - _CLEAR_BELOW) / (_FULL_OPACITY_AT - _CLEAR_BELOW)
    alpha = np.clip(ramp, 0.0, 1.0) ** _OPACITY_GAMMA * 255.0
    return np.rint(np.stack([*channels, alpha], axis=-1)).astype(np.uint8)


_HEAT_LUT = _heat_lut()


def _encode(image: Image.Image, fmt: str) -> bytes:
    buffer = io.BytesIO()
    if fmt == "JPEG":
        image.save(buffer, format="JPEG", quality=82)
    else:
        image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def heatmap_from_file(path: str, *, limits: LoadLimits | None = None) -> Heatmap | None:
    """A grayscale heat-map PNG written by pixelproof (0..255), reduced to fit
    :data:`MAX_SIZE`; None when it cannot be read."""
    try:
        loaded = load_image(path, limits=limits)
    except Exception:  # removed or replaced since: no map
        return None
    height, width = loaded.pixels.shape[:2]
    image = Image.fromarray(np.ascontiguousarray(loaded.pixels[..., 0]), "L")
    del loaded
    image.thumbnail((MAX_SIZE, MAX_SIZE), Image.Resampling.BOX)
    return Heatmap(values=np.asarray(image, dtype=np.uint8), size=(width, height))
