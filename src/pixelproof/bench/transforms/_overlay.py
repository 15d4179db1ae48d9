"""Overlays: text, an emoji-like sticker, and a caption bar."""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Annotated, Literal

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageColor, ImageDraw, ImageFont

from ._core import (
    Color,
    Range,
    RngLike,
    Transform,
    TransformResult,
    check_image,
    make_result,
    register,
)
from ._geometry import Offset, resolve_offset

_UNIT = Range(0.0, 1.0)
_OPACITY = Range(0.0, 1.0)

FontLike = ImageFont.FreeTypeFont | ImageFont.ImageFont


@lru_cache(maxsize=64)
def font(size: int) -> FontLike:
    """Pillow's bundled default font at ``size`` pixels (works offline)."""
    return ImageFont.load_default(size=max(1, size))


def _rgb(color: str) -> tuple[int, int, int]:
    value = ImageColor.getrgb(color)
    return (value[0], value[1], value[2])


def _composite(
    image: NDArray[np.uint8], layer: Image.Image, left: int, top: int
) -> NDArray[np.uint8]:
    """Alpha-composite an RGBA ``layer`` onto a copy of ``image`` at ``(left, top)``."""
    base = Image.fromarray(image, "RGB").convert("RGBA")
    full = Image.new("RGBA", base.size, (0, 0, 0, 0))
    full.paste(layer, (left, top))  # clips a layer that overhangs the image
    base.alpha_composite(full)
    return np.asarray(base.convert("RGB"), dtype=np.uint8).copy()


def _coverage(alpha: NDArray[np.uint8], left: int, top: int, height: int, width: int) -> float:
    """Opacity-weighted fraction of the image covered by a layer's alpha channel."""
    rows = slice(max(0, -top), max(0, min(alpha.shape[0], height - top)))
    cols = slice(max(0, -left), max(0, min(alpha.shape[1], width - left)))
    return float(alpha[rows, cols].sum()) / (255.0 * height * width)


def text(
    image: NDArray[np.uint8],
    *,
    size: float = 0.1,
    text: str = "pixelproof",
    color: str = "white",
    outline: bool = True,
    opacity: float = 1.0,
    offset: Offset = "random",
    x: float | None = None,
    y: float | None = None,
    rng: RngLike = None,
) -> TransformResult:
    """Write a line of text over the image (Pillow's default font).

    Parameters
    ----------
    image : (H, W, 3) uint8 ndarray
        RGB input; not modified.
    size : float
        Font size as a fraction of the image height, in (0, 1].
    text : str
        The text (one line).
    color : str
        Text colour (Pillow name or ``#rrggbb``).
    outline : bool
        Draw a black outline around the glyphs (meme style).
    opacity : float
        0 (invisible) to 1 (opaque).
    offset : {"center", "random"}
        Placement of the text box inside the image; random by default.
    x, y : float, optional
        Explicit relative placement in [0, 1]; they override ``offset`` and are
        always recorded.
    rng : int, Generator or None
        Source of the random placement.

    Returns
    -------
    TransformResult
        Same size. Intensity is ``100 * opacity * covered fraction`` where the
        covered fraction counts the text box's pixels inside the image.
    """
    check_image(image)
    p = Text(
        size=size, text=text, color=color, outline=outline, opacity=opacity, offset=offset, x=x, y=y
    )
    height, width = image.shape[:2]
    face = font(max(6, round(p.size * height)))
    stroke = 0
    if p.outline and isinstance(face, ImageFont.FreeTypeFont):
        stroke = max(1, round(face.size / 15))
    measure = ImageDraw.Draw(Image.new("L", (1, 1)))
    box = [round(v) for v in measure.textbbox((0, 0), p.text, font=face, stroke_width=stroke)]
    box_w, box_h = max(1, box[2] - box[0]), max(1, box[3] - box[1])
    layer = Image.new("RGBA", (box_w, box_h), (0, 0, 0, 0))
    alpha = round(255 * p.opacity)
    ImageDraw.Draw(layer).text(
        (-box[0], -box[1]),
        p.text,
        font=face,
        fill=(*_rgb(p.color), alpha),
        stroke_width=stroke,
        stroke_fill=(0, 0, 0, alpha),
    )
    rx, ry = resolve_offset(p.offset, p.x, p.y, rng)
    left, top = round(rx * (width - box_w)), round(ry * (height - box_h))
    out = _composite(image, layer, left, top)
    box_alpha = np.full((box_h, box_w), alpha, dtype=np.uint8)
    intensity = 100.0 * _coverage(box_alpha, left, top, height, width)
    return make_result(p, image, out, intensity, x=rx, y=ry)


@register(text)
class Text(Transform):
    """Text overlay (see :func:`text`); spec ``text:size=0.1,text="Hello, world"``."""

    size: Annotated[float, Range(0.0, 1.0, low_open=True)] = 0.1
    text: str = "pixelproof"
    color: Annotated[str, Color()] = "white"
    outline: bool = True
    opacity: Annotated[float, _OPACITY] = 1.0
    offset: Offset = "random"
    x: Annotated[float | None, _UNIT] = None
    y: Annotated[float | None, _UNIT] = None


def _star(diameter: int, points: int = 5) -> list[tuple[float, float]]:
    outer, inner = diameter / 2.0, diameter / 2.0 * 0.45
    center = diameter / 2.0
    vertices = []
    for k in range(2 * points):
        radius = outer if k % 2 == 0 else inner
        angle = -math.pi / 2 + k * math.pi / points
        vertices.append((center + radius * math.cos(angle), center + radius * math.sin(angle)))
    return vertices


def _sticker(shape: str, diameter: int, color: tuple[int, int, int], alpha: int) -> Image.Image:
    layer = Image.new("RGBA", (diameter, diameter), (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    ink = (*color, alpha)
    dark = (30, 30, 30, alpha)
    last = diameter - 1
    if shape == "star":
        draw.polygon(_star(diameter), fill=ink, outline=dark)
        return layer
    draw.ellipse((0, 0, last, last), fill=ink, outline=dark, width=max(1, diameter // 40))
    eye_w, eye_h = diameter * 0.1, diameter * 0.16
    for cx in (0.35 * diameter, 0.65 * diameter):
        cy = 0.38 * diameter
        draw.ellipse((cx - eye_w / 2, cy - eye_h / 2, cx + eye_w / 2, cy + eye_h / 2), fill=dark)
    mouth = (0.25 * diameter, 0.3 * diameter, 0.75 * diameter, 0.78 * diameter)
    draw.arc(mouth, start=20, end=160, fill=dark, width=max(1, diameter // 20))
    return layer


def emoji(
    image: NDArray[np.uint8],
    *,
    size: float = 0.2,
    shape: Literal["smiley", "star"] = "smiley",
    color: str = "#ffcc00",
    opacity: float = 1.0,
    offset: Offset = "random",
    x: float | None = None,
    y: float | None = None,
    rng: RngLike = None,
) -> TransformResult:
    """Stick a drawn emoji-like shape (a smiley face or a star) on the image.

    Parameters
    ----------
    image : (H, W, 3) uint8 ndarray
        RGB input; not modified.
    size : float
        Diameter as a fraction of the shorter image side, in (0, 1].
    shape : {"smiley", "star"}
        A round face with eyes and a smile, or a five-pointed star.
    color : str
        Fill colour of the face or star.
    opacity : float
        0 (invisible) to 1 (opaque).
    offset : {"center", "random"}
        Placement; random by default.
    x, y : float, optional
        Explicit relative placement in [0, 1]; always recorded.
    rng : int, Generator or None
        Source of the random placement.

    Returns
    -------
    TransformResult
        Same size. Intensity is ``100 * opacity * fraction of pixels under the shape``.
    """
    check_image(image)
    p = Emoji(size=size, shape=shape, color=color, opacity=opacity, offset=offset, x=x, y=y)
    height, width = image.shape[:2]
    diameter = max(4, round(p.size * min(height, width)))
    layer = _sticker(p.shape, diameter, _rgb(p.color), round(255 * p.opacity))
    rx, ry = resolve_offset(p.offset, p.x, p.y, rng)
    left, top = round(rx * (width - diameter)), round(ry * (height - diameter))
    out = _composite(image, layer, left, top)
    alpha = np.asarray(layer.getchannel("A"), dtype=np.uint8)
    intensity = 100.0 * _coverage(alpha, left, top, height, width)
    return make_result(p, image, out, intensity, x=rx, y=ry)


@register(emoji)
class Emoji(Transform):
    """Emoji-like sticker (see :func:`emoji`); spec ``emoji:size=0.3,shape=star``."""

    size: Annotated[float, Range(0.0, 1.0, low_open=True)] = 0.2
    shape: Literal["smiley", "star"] = "smiley"
    color: Annotated[str, Color()] = "#ffcc00"
    opacity: Annotated[float, _OPACITY] = 1.0
    offset: Offset = "random"
    x: Annotated[float | None, _UNIT] = None
    y: Annotated[float | None, _UNIT] = None


def _fit_font(label: str, max_width: int, max_height: int) -> FontLike:
    """The largest default-font size up to ``max_height`` whose text fits ``max_width``."""
    size = max(6, max_height)
    while size > 6:
        face = font(size)
        box = face.getbbox(label)
        if box[2] - box[0] <= max_width:
            return face
        size = max(6, math.floor(size * 0.9))
    return font(6)


def caption(
    image: NDArray[np.uint8],
    *,
    height: float = 0.15,
    text: str = "BREAKING NEWS",
    side: Literal["top", "bottom"] = "bottom",
    extend: bool = False,
    color: str = "white",
    text_color: str = "black",
    rng: RngLike = None,
) -> TransformResult:
    """Add a solid caption bar with centred text, like a meme or a news banner.

    Parameters
    ----------
    image : (H, W, 3) uint8 ndarray
        RGB input; not modified.
    height : float
        Bar height as a fraction of the image height, in (0, 1].
    text : str
        Caption text (shrunk to fit the width).
    side : {"top", "bottom"}
        Where the bar goes.
    extend : bool
        Add the bar above/below the image (the output is taller) instead of
        covering part of it.
    color, text_color : str
        Bar and text colours.
    rng : int, Generator or None
        Unused (deterministic).

    Returns
    -------
    TransformResult
        Intensity is ``100 * bar rows / output rows``.
    """
    check_image(image)
    p = Caption(
        height=height, text=text, side=side, extend=extend, color=color, text_color=text_color
    )
    rows, width = image.shape[:2]
    bar_rows = max(1, round(p.height * rows))
    bar = Image.new("RGB", (width, bar_rows), _rgb(p.color))
    face = _fit_font(p.text, max(1, round(0.94 * width)), round(0.6 * bar_rows))
    ImageDraw.Draw(bar).text(
        (width / 2, bar_rows / 2), p.text, font=face, fill=_rgb(p.text_color), anchor="mm"
    )
    strip = np.asarray(bar, dtype=np.uint8)
    if p.extend:
        parts = [strip, image] if p.side == "top" else [image, strip]
        out = np.concatenate(parts, axis=0)
    else:
        out = image.copy()
        bar_rows = min(bar_rows, rows)
        if p.side == "top":
            out[:bar_rows] = strip[:bar_rows]
        else:
            out[rows - bar_rows :] = strip[:bar_rows]
    return make_result(p, image, out, 100.0 * bar_rows / out.shape[0])


@register(caption)
class Caption(Transform):
    """Caption bar (see :func:`caption`); spec ``caption:height=0.2,side=top,extend=true``."""

    height: Annotated[float, Range(0.0, 1.0, low_open=True)] = 0.15
    text: str = "BREAKING NEWS"
    side: Literal["top", "bottom"] = "bottom"
    extend: bool = False
    color: Annotated[str, Color()] = "white"
    text_color: Annotated[str, Color()] = "black"
