"""Re-framing: pasting into another background, and screenshot-like captures."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageDraw

from .._filters import resample, to_uint8
from ._core import (
    Range,
    RngLike,
    Transform,
    TransformResult,
    as_rng,
    check_image,
    draw_seed,
    make_result,
    register,
)
from ._geometry import Offset, resolve_offset
from ._overlay import font

_UNIT = Range(0.0, 1.0)
_SEED = Range(0, 2**63 - 1)


def random_background(height: int, width: int, *, rng: RngLike = None) -> NDArray[np.uint8]:
    """A procedural, photo-unrelated RGB image: a gradient, random shapes and noise.

    Parameters
    ----------
    height, width : int
        Size of the image (at least 1 each).
    rng : int, Generator or None
        Source of every random choice; equal seeds give equal images.

    Returns
    -------
    (height, width, 3) uint8 ndarray
    """
    if height < 1 or width < 1:
        raise ValueError(f"height and width must be at least 1, got {height}x{width}")
    generator = as_rng(rng)
    start, end = generator.uniform(0, 255, 3), generator.uniform(0, 255, 3)
    angle = generator.uniform(0, 2 * math.pi)
    rows, cols = np.mgrid[0:height, 0:width].astype(np.float64)
    ramp = math.cos(angle) * cols / max(1, width) + math.sin(angle) * rows / max(1, height)
    ramp = (ramp - ramp.min()) / max(1e-9, float(np.ptp(ramp)))
    canvas = Image.fromarray(to_uint8(start + ramp[:, :, None] * (end - start)), "RGB")
    draw = ImageDraw.Draw(canvas)
    for _ in range(int(generator.integers(4, 12))):
        x0, x1 = sorted(generator.uniform(-0.2, 1.2, 2) * width)
        y0, y1 = sorted(generator.uniform(-0.2, 1.2, 2) * height)
        color = tuple(int(v) for v in generator.integers(0, 256, 3))
        kind = int(generator.integers(0, 3))
        if kind == 0:
            draw.rectangle((x0, y0, x1, y1), fill=color)
        elif kind == 1:
            draw.ellipse((x0, y0, x1, y1), fill=color)
        else:
            points = generator.uniform(0, 1, (3, 2)) * (width, height)
            draw.polygon([(float(px), float(py)) for px, py in points], fill=color)
    pixels = np.asarray(canvas, dtype=np.float64)
    return to_uint8(pixels + generator.normal(0.0, 4.0, pixels.shape))


def _cover(background: NDArray[np.uint8], height: int, width: int) -> NDArray[np.uint8]:
    """Scale ``background`` to cover ``height`` x ``width`` and crop the centre."""
    factor = max(height / background.shape[0], width / background.shape[1])
    scaled_h = max(height, math.ceil(background.shape[0] * factor))
    scaled_w = max(width, math.ceil(background.shape[1] * factor))
    scaled = resample(background, scaled_h, scaled_w, interp="bilinear", antialias=True)
    top, left = (scaled_h - height) // 2, (scaled_w - width) // 2
    return scaled[top : top + height, left : left + width]


def paste(
    image: NDArray[np.uint8],
    *,
    scale: float = 0.5,
    offset: Offset = "random",
    x: float | None = None,
    y: float | None = None,
    seed: int | None = None,
    background: NDArray[np.uint8] | str | Path | None = None,
    rng: RngLike = None,
) -> TransformResult:
    """Shrink the image and paste it into an unrelated background of the original size.

    Parameters
    ----------
    image : (H, W, 3) uint8 ndarray
        RGB input; not modified.
    scale : float
        Side factor of the pasted copy, in (0, 1].
    offset : {"center", "random"}
        Placement of the copy; random by default.
    x, y : float, optional
        Explicit relative placement in [0, 1]; always recorded.
    seed : int, optional
        Seed of the procedural background (:func:`random_background`); drawn from
        ``rng`` when omitted and recorded either way.
    background : (h, w, 3) uint8 ndarray, str or Path, optional
        Use this image (or image file) instead, scaled to cover the canvas. A path is
        recorded as given; an array is recorded as ``"<array>"`` (such a record
        cannot be replayed from its spec).
    rng : int, Generator or None
        Source of the placement and of the background seed.

    Returns
    -------
    TransformResult
        Same size as the input. Intensity is ``100 * (1 - pasted area / canvas area)``.
    """
    check_image(image)
    recorded_background = None if background is None else str(background)
    if isinstance(background, np.ndarray):
        recorded_background = "<array>"
    p = Paste(scale=scale, offset=offset, x=x, y=y, seed=seed, background=recorded_background)
    height, width = image.shape[:2]
    small_h, small_w = max(1, round(height * p.scale)), max(1, round(width * p.scale))
    generator = as_rng(rng)
    rx, ry = resolve_offset(p.offset, p.x, p.y, generator)
    used_seed: int | None = None
    if background is None:
        used_seed = p.seed if p.seed is not None else draw_seed(generator)
        canvas = random_background(height, width, rng=used_seed)
    else:
        if isinstance(background, np.ndarray):
            pixels = check_image(background, "background")
        else:
            from ...io import load_image

            pixels = load_image(background).pixels
        canvas = _cover(pixels, height, width).copy()
    small = resample(image, small_h, small_w, interp="bilinear", antialias=True)
    top, left = round(ry * (height - small_h)), round(rx * (width - small_w))
    canvas[top : top + small_h, left : left + small_w] = small
    intensity = 100.0 * (1.0 - (small_h * small_w) / (height * width))
    return make_result(p, image, canvas, intensity, x=rx, y=ry, seed=used_seed)


@register(paste)
class Paste(Transform):
    """Paste into a background (see :func:`paste`); spec ``paste:scale=0.5``.

    ``background`` here is a path to an image file; the function also takes arrays.
    """

    scale: Annotated[float, Range(0.0, 1.0, low_open=True)] = 0.5
    offset: Offset = "random"
    x: Annotated[float | None, _UNIT] = None
    y: Annotated[float | None, _UNIT] = None
    seed: Annotated[int | None, _SEED] = None
    background: str | None = None


_Rgb = tuple[int, int, int]


@dataclass(frozen=True)
class _Theme:
    background: _Rgb
    ink: _Rgb
    muted: _Rgb
    bars: _Rgb


_THEMES = {
    "light": _Theme((255, 255, 255), (20, 20, 20), (142, 142, 142), (246, 246, 246)),
    "dark": _Theme((14, 14, 16), (238, 238, 238), (150, 150, 150), (30, 30, 34)),
}
_CAPTIONS = (
    "sunset over the bay",
    "what a day",
    "cannot believe this",
    "new post",
    "weekend vibes",
    "look at this",
    "throwback",
    "best view ever",
    "so proud",
    "morning walk",
    "no filter",
    "guess where",
)


def _square(cx: float, cy: float, half: float) -> tuple[float, float, float, float]:
    return (cx - half, cy - half, cx + half, cy + half)


def _ui_frame(
    image: NDArray[np.uint8], scale: float, theme: _Theme, rng: np.random.Generator
) -> tuple[NDArray[np.uint8], int]:
    """Draw the app-like canvas around the displayed image; returns it and the image area."""
    height, width = int(image.shape[0]), int(image.shape[1])
    unit = width / 100.0  # layout unit: 1% of the screen width

    def rows(percent: float, least: int) -> int:
        return max(least, round(percent * unit))

    status, header, gap = rows(6, 6), rows(12, 8), rows(3, 2)
    icons, line, nav = rows(8, 6), rows(5, 6), rows(10, 6)
    shown_w = max(1, round(scale * width))
    shown_h = max(1, round(height * shown_w / width))
    image_top = status + header + gap
    text_top = image_top + shown_h + gap
    total = text_top + icons + 3 * line + nav
    canvas = Image.new("RGB", (width, total), theme.background)
    draw = ImageDraw.Draw(canvas)
    thin = max(1, round(unit / 2))

    # status bar: clock, signal strength, battery
    draw.rectangle((0, 0, width, status - 1), fill=theme.bars)
    clock = f"{int(rng.integers(0, 24))}:{int(rng.integers(0, 60)):02d}"
    small = font(max(5, round(0.7 * status)))
    draw.text((2 * unit, status / 2), clock, font=small, fill=theme.ink, anchor="lm")
    for k in range(4):
        left, bottom = width - 20 * unit + k * 1.6 * unit, 0.8 * status
        draw.rectangle((left, bottom - (k + 1) * status / 6, left + unit, bottom), fill=theme.ink)
    battery = (width - 10 * unit, 0.25 * status, width - 3 * unit, 0.75 * status)
    draw.rectangle(battery, outline=theme.ink, fill=theme.muted)

    # app header: avatar, user name, menu
    middle, radius = status + header / 2, 0.35 * header
    avatar_color = (
        int(rng.integers(60, 230)),
        int(rng.integers(60, 230)),
        int(rng.integers(60, 230)),
    )
    draw.ellipse(_square(2 * unit + radius, middle, radius), fill=avatar_color)
    handle = "user" + "".join(str(int(d)) for d in rng.integers(0, 10, 4))
    label = font(max(5, round(0.4 * header)))
    draw.text((4 * unit + 2 * radius, middle), handle, font=label, fill=theme.ink, anchor="lm")
    draw.text((width - 3 * unit, middle), "...", font=label, fill=theme.ink, anchor="rm")

    # the displayed image, centred
    shown = resample(image, shown_h, shown_w, interp="bilinear", antialias=True)
    canvas.paste(Image.fromarray(shown, "RGB"), ((width - shown_w) // 2, image_top))

    # action icons, then likes, caption and comments link
    for k in range(3):
        center = (4 * unit + 8 * k * unit, text_top + icons / 2)
        draw.ellipse(_square(*center, 2.5 * unit), outline=theme.ink, width=thin)
    likes = f"{int(rng.integers(2, 99999)):,} likes"
    words = _CAPTIONS[int(rng.integers(0, len(_CAPTIONS)))]
    body = font(max(5, round(0.8 * line)))
    lines = ((likes, theme.ink), (f"{handle} {words}", theme.ink), ("View comments", theme.muted))
    for k, (content, ink) in enumerate(lines):
        draw.text((2 * unit, text_top + icons + k * line), content, font=body, fill=ink)

    # bottom navigation bar with five buttons
    nav_top = total - nav
    draw.rectangle((0, nav_top, width, total), fill=theme.bars)
    for k in range(5):
        center = ((k + 0.5) * width / 5, nav_top + nav / 2)
        draw.rectangle(_square(*center, 0.22 * nav), outline=theme.ink, width=thin)
    return np.asarray(canvas, dtype=np.uint8).copy(), shown_w * shown_h


def screenshot(
    image: NDArray[np.uint8],
    *,
    scale: float = 0.9,
    downscale: float = 1.0,
    theme: Literal["light", "dark"] = "light",
    seed: int | None = None,
    rng: RngLike = None,
) -> TransformResult:
    """Show the image inside a phone-app-like frame and capture it, as a screenshot would.

    The canvas is as wide as the image; from the top: a status bar (clock, signal,
    battery), an app header (avatar, user name), the image scaled to ``scale`` of the
    width and centred, a row of action icons, three lines of text, and a navigation
    bar. The whole capture is then optionally downscaled.

    Parameters
    ----------
    image : (H, W, 3) uint8 ndarray
        RGB input; not modified.
    scale : float
        Width of the displayed image as a fraction of the canvas width, in (0, 1].
    downscale : float
        Factor applied to the whole capture, in (0, 1].
    theme : {"light", "dark"}
        Colour scheme of the frame.
    seed : int, optional
        Seed of the frame's content (clock, user name, caption, avatar colour); drawn
        from ``rng`` when omitted and recorded either way.
    rng : int, Generator or None
        Source of the seed.

    Returns
    -------
    TransformResult
        Taller than the input. With ``a`` the output pixels showing the image, the
        intensity is ``100 * (1 - min(1, a / (H * W)) * a / output pixels)``: it
        grows as the image gets smaller and the frame around it larger.
    """
    check_image(image)
    p = Screenshot(scale=scale, downscale=downscale, theme=theme, seed=seed)
    used_seed = p.seed if p.seed is not None else draw_seed(as_rng(rng))
    frame, shown_area = _ui_frame(
        image, p.scale, _THEMES[p.theme], np.random.default_rng(used_seed)
    )
    out = frame
    if p.downscale != 1.0:
        out_h = max(1, round(frame.shape[0] * p.downscale))
        out_w = max(1, round(frame.shape[1] * p.downscale))
        out = resample(frame, out_h, out_w, interp="bilinear", antialias=True)
    area = shown_area * p.downscale**2
    retained = min(1.0, area / (image.shape[0] * image.shape[1]))
    intensity = 100.0 * (1.0 - retained * area / (out.shape[0] * out.shape[1]))
    return make_result(p, image, out, intensity, seed=used_seed)


@register(screenshot)
class Screenshot(Transform):
    """Screenshot-like framing (see :func:`screenshot`).

    Spec ``screenshot:scale=0.8,downscale=0.5,theme=dark``.
    """

    scale: Annotated[float, Range(0.0, 1.0, low_open=True)] = 0.9
    downscale: Annotated[float, Range(0.0, 1.0, low_open=True)] = 1.0
    theme: Literal["light", "dark"] = "light"
    seed: Annotated[int | None, _SEED] = None
