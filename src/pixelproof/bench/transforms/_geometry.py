"""Geometric transforms: identity, resize, stretch, crop, rotate, flips."""

from __future__ import annotations

import math
from typing import Annotated, Literal

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageColor

from .._filters import resample
from ._core import (
    Color,
    Range,
    RngLike,
    Transform,
    TransformResult,
    as_rng,
    check_image,
    make_result,
    register,
)

Interpolation = Literal["nearest", "bilinear", "bicubic", "lanczos", "area"]
Offset = Literal["center", "random"]

_UNIT = Range(0.0, 1.0)
_POSITIVE_SCALE = Range(0.0, 16.0, low_open=True)


def identity(image: NDArray[np.uint8], *, rng: RngLike = None) -> TransformResult:
    """Return a copy of the image unchanged (the "no attack" baseline); intensity 0."""
    check_image(image)
    return make_result(Identity(), image, image.copy(), 0.0)


@register(identity)
class Identity(Transform):
    """No change (see :func:`identity`); spec ``identity``."""


def _scaled(length: int, factor: float) -> int:
    return max(1, round(length * factor))


def resize(
    image: NDArray[np.uint8],
    *,
    scale: float = 0.5,
    interp: Interpolation = "bilinear",
    antialias: bool = True,
    rng: RngLike = None,
) -> TransformResult:
    """Scale both sides by the same factor.

    Parameters
    ----------
    image : (H, W, 3) uint8 ndarray
        RGB input; not modified.
    scale : float
        Factor for both sides, in (0, 16]; the output is ``round(H * scale)`` by
        ``round(W * scale)`` (at least 1x1).
    interp : {"nearest", "bilinear", "bicubic", "lanczos", "area"}
        Interpolation kernel: bicubic is Keys' ``a = -0.5``, lanczos has 3 lobes, area
        is a box filter.
    antialias : bool
        When shrinking, widen the kernel to the output pixel's footprint (as Pillow
        does) instead of point-sampling the input (as OpenCV's ``resize`` does, which
        aliases). Nearest never filters; area without antialias is nearest sampling.
    rng : int, Generator or None
        Unused (deterministic).

    Returns
    -------
    TransformResult
        Intensity is ``100 * min(1, |log2(scale)| / 3)``: a factor of 8 either way is
        100, halving is 33.
    """
    check_image(image)
    p = Resize(scale=scale, interp=interp, antialias=antialias)
    height, width = _scaled(image.shape[0], p.scale), _scaled(image.shape[1], p.scale)
    out = resample(image, height, width, interp=p.interp, antialias=p.antialias)
    return make_result(p, image, out, 100.0 * min(1.0, abs(math.log2(p.scale)) / 3.0))


@register(resize)
class Resize(Transform):
    """Uniform rescaling (see :func:`resize`); spec ``resize:scale=0.5,interp=bicubic``."""

    scale: Annotated[float, _POSITIVE_SCALE] = 0.5
    interp: Interpolation = "bilinear"
    antialias: bool = True


def stretch(
    image: NDArray[np.uint8],
    *,
    x: float = 0.8,
    y: float = 1.0,
    interp: Interpolation = "bilinear",
    antialias: bool = True,
    rng: RngLike = None,
) -> TransformResult:
    """Scale width and height by different factors, changing the aspect ratio.

    Parameters
    ----------
    image : (H, W, 3) uint8 ndarray
        RGB input; not modified.
    x, y : float
        Factors for the width and the height, in (0, 16].
    interp, antialias
        As for :func:`resize`.
    rng : int, Generator or None
        Unused (deterministic).

    Returns
    -------
    TransformResult
        Intensity is ``50 * (|log2 x| + |log2 y|)``, capped at 100: squeezing one side
        to half is 50, to 0.8 is 16.
    """
    check_image(image)
    p = Stretch(x=x, y=y, interp=interp, antialias=antialias)
    height, width = _scaled(image.shape[0], p.y), _scaled(image.shape[1], p.x)
    out = resample(image, height, width, interp=p.interp, antialias=p.antialias)
    intensity = 50.0 * min(2.0, abs(math.log2(p.x)) + abs(math.log2(p.y)))
    return make_result(p, image, out, intensity)


@register(stretch)
class Stretch(Transform):
    """Anisotropic scaling (see :func:`stretch`); spec ``stretch:x=0.8``."""

    x: Annotated[float, _POSITIVE_SCALE] = 0.8
    y: Annotated[float, _POSITIVE_SCALE] = 1.0
    interp: Interpolation = "bilinear"
    antialias: bool = True


def resolve_offset(
    offset: str, x: float | None, y: float | None, rng: RngLike
) -> tuple[float, float]:
    """Relative position (0: left/top, 0.5: centred, 1: right/bottom), drawing if random.

    An explicit ``x`` or ``y`` wins over ``offset``; with ``offset="random"`` the
    missing coordinates are drawn uniformly from [0, 1] (``x`` first).
    """
    if offset == "center":
        return (0.5 if x is None else x, 0.5 if y is None else y)
    if x is not None and y is not None:
        return x, y
    generator = as_rng(rng)
    rx = float(generator.uniform()) if x is None else x
    ry = float(generator.uniform()) if y is None else y
    return rx, ry


def crop(
    image: NDArray[np.uint8],
    *,
    area: float = 0.8,
    offset: Offset = "center",
    x: float | None = None,
    y: float | None = None,
    rng: RngLike = None,
) -> TransformResult:
    """Keep a window with the image's aspect ratio and a given fraction of its area.

    Parameters
    ----------
    image : (H, W, 3) uint8 ndarray
        RGB input; not modified.
    area : float
        Fraction of the area kept, in (0, 1]; each side is multiplied by
        ``sqrt(area)`` (rounded, at least one pixel).
    offset : {"center", "random"}
        Where the window sits: centred, or drawn uniformly from ``rng``.
    x, y : float, optional
        Explicit relative position of the window in [0, 1] (0: flush left/top,
        1: flush right/bottom); they override ``offset``. The record always holds
        the position used, so it replays without ``rng``.
    rng : int, Generator or None
        Source of the random offset.

    Returns
    -------
    TransformResult
        Intensity is ``100 * (1 - kept area fraction)``.
    """
    check_image(image)
    p = Crop(area=area, offset=offset, x=x, y=y)
    height, width = image.shape[:2]
    side = math.sqrt(p.area)
    crop_h, crop_w = _scaled(height, side), _scaled(width, side)
    rx, ry = resolve_offset(p.offset, p.x, p.y, rng)
    top, left = round(ry * (height - crop_h)), round(rx * (width - crop_w))
    out = image[top : top + crop_h, left : left + crop_w].copy()
    kept = (crop_h * crop_w) / (height * width)
    return make_result(p, image, out, 100.0 * (1.0 - kept), x=rx, y=ry)


@register(crop)
class Crop(Transform):
    """Crop by kept area (see :func:`crop`); spec ``crop:area=0.8,offset=random``."""

    area: Annotated[float, Range(0.0, 1.0, low_open=True)] = 0.8
    offset: Offset = "center"
    x: Annotated[float | None, _UNIT] = None
    y: Annotated[float | None, _UNIT] = None


def inscribed_size(width: float, height: float, degrees: float) -> tuple[float, float]:
    """Largest axis-aligned rectangle inside a ``width`` x ``height`` one rotated by ``degrees``.

    Returns its ``(width, height)``. When the short side is small compared with the
    long one, the rectangle touches both long sides of the rotated image and its
    shape follows from the short side alone; otherwise it touches all four sides and
    solves ``w cos + h sin = W``, ``w sin + h cos = H``.
    """
    if width <= 0 or height <= 0:
        return 0.0, 0.0
    radians = math.radians(degrees)
    sin_a, cos_a = abs(math.sin(radians)), abs(math.cos(radians))
    long_side, short_side = max(width, height), min(width, height)
    if short_side <= 2.0 * sin_a * cos_a * long_side or abs(sin_a - cos_a) < 1e-10:
        half = 0.5 * short_side
        if width >= height:
            return half / sin_a, half / cos_a
        return half / cos_a, half / sin_a
    cos_2a = cos_a * cos_a - sin_a * sin_a
    return (
        (width * cos_a - height * sin_a) / cos_2a,
        (height * cos_a - width * sin_a) / cos_2a,
    )


def rotate(
    image: NDArray[np.uint8],
    *,
    deg: float = 15.0,
    crop: bool = False,
    expand: bool = False,
    fill: str = "black",
    rng: RngLike = None,
) -> TransformResult:
    """Rotate counter-clockwise about the centre (bicubic interpolation).

    Parameters
    ----------
    image : (H, W, 3) uint8 ndarray
        RGB input; not modified.
    deg : float
        Angle in degrees, counter-clockwise, in [-360, 360].
    crop : bool
        Cut the result down to the largest axis-aligned rectangle that holds no
        border (:func:`inscribed_size`, less one pixel each side against
        interpolation bleed). The output is then smaller than the input.
    expand : bool
        Without ``crop``: grow the canvas to hold the whole rotated image instead of
        keeping the input size (corners cut). Cannot be combined with ``crop``.
    fill : str
        Colour of the uncovered corners (Pillow colour name or ``#rrggbb``).
    rng : int, Generator or None
        Unused (deterministic).

    Returns
    -------
    TransformResult
        Intensity is ``100 * a / 180`` with ``a`` the angle's distance from 0 in
        [0, 180] degrees.
    """
    check_image(image)
    p = Rotate(deg=deg, crop=crop, expand=expand, fill=fill)
    height, width = image.shape[:2]
    rotated = Image.fromarray(image, "RGB").rotate(
        p.deg,
        resample=Image.Resampling.BICUBIC,
        expand=p.crop or p.expand,
        fillcolor=ImageColor.getrgb(p.fill),
    )
    out = np.asarray(rotated, dtype=np.uint8)
    if p.crop:
        inner_w, inner_h = inscribed_size(width, height, p.deg)
        crop_w = max(1, min(out.shape[1], math.floor(inner_w) - 2))
        crop_h = max(1, min(out.shape[0], math.floor(inner_h) - 2))
        left, top = (out.shape[1] - crop_w) // 2, (out.shape[0] - crop_h) // 2
        out = out[top : top + crop_h, left : left + crop_w]
    angle = abs(p.deg) % 360.0
    return make_result(p, image, out.copy(), 100.0 * min(angle, 360.0 - angle) / 180.0)


@register(rotate)
class Rotate(Transform):
    """Rotation (see :func:`rotate`); spec ``rotate:deg=15,crop=true``."""

    deg: Annotated[float, Range(-360.0, 360.0)] = 15.0
    crop: bool = False
    expand: bool = False
    fill: Annotated[str, Color()] = "black"

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.crop and self.expand:
            raise ValueError("Rotate: crop and expand cannot both be true")


def hflip(image: NDArray[np.uint8], *, rng: RngLike = None) -> TransformResult:
    """Mirror left-right; intensity 100."""
    check_image(image)
    return make_result(HFlip(), image, image[:, ::-1].copy(), 100.0)


@register(hflip)
class HFlip(Transform):
    """Horizontal mirror (see :func:`hflip`); spec ``hflip``."""


def vflip(image: NDArray[np.uint8], *, rng: RngLike = None) -> TransformResult:
    """Mirror top-bottom; intensity 100."""
    check_image(image)
    return make_result(VFlip(), image, image[::-1].copy(), 100.0)


@register(vflip)
class VFlip(Transform):
    """Vertical mirror (see :func:`vflip`); spec ``vflip``."""
