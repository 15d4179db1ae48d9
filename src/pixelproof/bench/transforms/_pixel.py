"""Pixel-value transforms: filters, noise and colour adjustments (same size out)."""

from __future__ import annotations

import math
from typing import Annotated

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageFilter

from .._filters import gaussian_filter, to_uint8
from ._core import (
    Odd,
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

# ITU-R BT.601 luma weights, as in Pillow's convert("L").
_LUMA = np.array([0.299, 0.587, 0.114])
_FACTOR = Range(0.0, 16.0)


def _octaves(factor: float) -> float:
    """Intensity of a multiplicative factor: 50 per octave away from 1, capped at 100."""
    if factor <= 0.0:
        return 100.0
    return 100.0 * min(1.0, abs(math.log2(factor)) / 2.0)


def _luma(image: NDArray[np.uint8]) -> NDArray[np.float64]:
    luma: NDArray[np.float64] = image.astype(np.float64) @ _LUMA
    return luma


def blur(image: NDArray[np.uint8], *, sigma: float = 1.0, rng: RngLike = None) -> TransformResult:
    """Gaussian blur.

    Parameters
    ----------
    image : (H, W, 3) uint8 ndarray
        RGB input; not modified.
    sigma : float
        Standard deviation in pixels, in [0, 50]; the kernel is truncated at 4 sigma
        and borders are mirrored.
    rng : int, Generator or None
        Unused (deterministic).

    Returns
    -------
    TransformResult
        Intensity is ``10 * sigma``, capped at 100.
    """
    check_image(image)
    p = Blur(sigma=sigma)
    out = to_uint8(gaussian_filter(image.astype(np.float64), p.sigma))
    return make_result(p, image, out, min(100.0, 10.0 * p.sigma))


@register(blur)
class Blur(Transform):
    """Gaussian blur (see :func:`blur`); spec ``blur:sigma=2``."""

    sigma: Annotated[float, Range(0.0, 50.0)] = 1.0


def noise(
    image: NDArray[np.uint8],
    *,
    sigma: float = 5.0,
    seed: int | None = None,
    rng: RngLike = None,
) -> TransformResult:
    """Add white Gaussian noise, independent per pixel and channel.

    Parameters
    ----------
    image : (H, W, 3) uint8 ndarray
        RGB input; not modified.
    sigma : float
        Standard deviation on the 0-255 scale, in [0, 255].
    seed : int, optional
        Seed of the noise field; drawn from ``rng`` when omitted and recorded either
        way, so the record replays the same noise.
    rng : int, Generator or None
        Source of the seed when ``seed`` is omitted.

    Returns
    -------
    TransformResult
        Intensity is ``2 * sigma``, capped at 100.
    """
    check_image(image)
    p = Noise(sigma=sigma, seed=seed)
    used = p.seed if p.seed is not None else draw_seed(as_rng(rng))
    field = np.random.default_rng(used).normal(0.0, p.sigma, image.shape)
    out = to_uint8(image.astype(np.float64) + field)
    return make_result(p, image, out, min(100.0, 2.0 * p.sigma), seed=used)


@register(noise)
class Noise(Transform):
    """Additive Gaussian noise (see :func:`noise`); spec ``noise:sigma=12``."""

    sigma: Annotated[float, Range(0.0, 255.0)] = 5.0
    seed: Annotated[int | None, Range(0, 2**63 - 1)] = None


def brightness(
    image: NDArray[np.uint8], *, factor: float = 1.3, rng: RngLike = None
) -> TransformResult:
    """Multiply every value by ``factor`` (Pillow's ``ImageEnhance.Brightness``).

    Parameters
    ----------
    image : (H, W, 3) uint8 ndarray
        RGB input; not modified.
    factor : float
        In [0, 16]; 1 leaves the image unchanged, 0 makes it black.
    rng : int, Generator or None
        Unused (deterministic).

    Returns
    -------
    TransformResult
        Intensity is ``50 * |log2 factor|``, capped at 100 (doubling or halving is 50,
        a factor of 4 or 1/4 is 100).
    """
    check_image(image)
    p = Brightness(factor=factor)
    lut = to_uint8(np.arange(256, dtype=np.float64) * p.factor)
    return make_result(p, image, lut[image], _octaves(p.factor))


@register(brightness)
class Brightness(Transform):
    """Brightness scaling (see :func:`brightness`); spec ``brightness:factor=1.3``."""

    factor: Annotated[float, _FACTOR] = 1.3


def contrast(
    image: NDArray[np.uint8], *, factor: float = 1.5, rng: RngLike = None
) -> TransformResult:
    """Scale distances from the mean grey level (Pillow's ``ImageEnhance.Contrast``).

    Parameters
    ----------
    image : (H, W, 3) uint8 ndarray
        RGB input; not modified.
    factor : float
        In [0, 16]; 1 leaves the image unchanged, 0 gives a flat grey image.
    rng : int, Generator or None
        Unused (deterministic).

    Returns
    -------
    TransformResult
        Intensity is ``50 * |log2 factor|``, capped at 100.
    """
    check_image(image)
    p = Contrast(factor=factor)
    mean = float(_luma(image).mean())
    out = to_uint8(mean + p.factor * (image.astype(np.float64) - mean))
    return make_result(p, image, out, _octaves(p.factor))


@register(contrast)
class Contrast(Transform):
    """Contrast scaling (see :func:`contrast`); spec ``contrast:factor=1.5``."""

    factor: Annotated[float, _FACTOR] = 1.5


def saturation(
    image: NDArray[np.uint8], *, factor: float = 2.0, rng: RngLike = None
) -> TransformResult:
    """Scale each pixel's distance from its own grey level (``ImageEnhance.Color``).

    Parameters
    ----------
    image : (H, W, 3) uint8 ndarray
        RGB input; not modified.
    factor : float
        In [0, 16]; 1 leaves the image unchanged, 0 makes it grey.
    rng : int, Generator or None
        Unused (deterministic).

    Returns
    -------
    TransformResult
        Intensity is ``50 * |log2 factor|``, capped at 100.
    """
    check_image(image)
    p = Saturation(factor=factor)
    grey = _luma(image)[:, :, None]
    out = to_uint8(grey + p.factor * (image.astype(np.float64) - grey))
    return make_result(p, image, out, _octaves(p.factor))


@register(saturation)
class Saturation(Transform):
    """Saturation scaling (see :func:`saturation`); spec ``saturation:factor=2``."""

    factor: Annotated[float, _FACTOR] = 2.0


def gamma(image: NDArray[np.uint8], *, gamma: float = 1.5, rng: RngLike = None) -> TransformResult:
    """Gamma curve ``255 * (v / 255) ** gamma`` (above 1 darkens mid-tones).

    Parameters
    ----------
    image : (H, W, 3) uint8 ndarray
        RGB input; not modified.
    gamma : float
        Exponent in (0, 16].
    rng : int, Generator or None
        Unused (deterministic).

    Returns
    -------
    TransformResult
        Intensity is ``50 * |log2 gamma|``, capped at 100.
    """
    check_image(image)
    p = Gamma(gamma=gamma)
    lut = to_uint8(255.0 * (np.arange(256, dtype=np.float64) / 255.0) ** p.gamma)
    return make_result(p, image, lut[image], _octaves(p.gamma))


@register(gamma)
class Gamma(Transform):
    """Gamma correction (see :func:`gamma`); spec ``gamma:gamma=0.7``."""

    gamma: Annotated[float, Range(0.0, 16.0, low_open=True)] = 1.5


def grayscale(image: NDArray[np.uint8], *, rng: RngLike = None) -> TransformResult:
    """Replace each pixel by its BT.601 luma, kept as three equal channels; intensity 100."""
    check_image(image)
    grey = to_uint8(_luma(image))
    return make_result(Grayscale(), image, np.repeat(grey[:, :, None], 3, axis=2), 100.0)


@register(grayscale)
class Grayscale(Transform):
    """Greyscale conversion (see :func:`grayscale`); spec ``grayscale``."""


def median(image: NDArray[np.uint8], *, size: int = 3, rng: RngLike = None) -> TransformResult:
    """Median filter over a ``size`` x ``size`` window, per channel (Pillow).

    Parameters
    ----------
    image : (H, W, 3) uint8 ndarray
        RGB input; not modified.
    size : int
        Odd window side, 1-15 (1 changes nothing).
    rng : int, Generator or None
        Unused (deterministic).

    Returns
    -------
    TransformResult
        Intensity is ``10 * (size - 1)``, capped at 100.
    """
    check_image(image)
    p = Median(size=size)
    filtered = Image.fromarray(image, "RGB").filter(ImageFilter.MedianFilter(p.size))
    out = np.asarray(filtered, dtype=np.uint8)
    return make_result(p, image, out.copy(), min(100.0, 10.0 * (p.size - 1)))


@register(median)
class Median(Transform):
    """Median filter (see :func:`median`); spec ``median:size=3``."""

    size: Annotated[int, Range(1, 15), Odd()] = 3


def sharpen(
    image: NDArray[np.uint8], *, amount: float = 1.0, sigma: float = 1.0, rng: RngLike = None
) -> TransformResult:
    """Unsharp masking: ``image + amount * (image - gaussian(image, sigma))``.

    Parameters
    ----------
    image : (H, W, 3) uint8 ndarray
        RGB input; not modified.
    amount : float
        Gain of the detail layer, in [0, 20].
    sigma : float
        Scale of the detail layer (Gaussian standard deviation), in (0, 20].
    rng : int, Generator or None
        Unused (deterministic).

    Returns
    -------
    TransformResult
        Intensity is ``20 * amount``, capped at 100.
    """
    check_image(image)
    p = Sharpen(amount=amount, sigma=sigma)
    original = image.astype(np.float64)
    detail = original - gaussian_filter(original, p.sigma)
    out = to_uint8(original + p.amount * detail)
    return make_result(p, image, out, min(100.0, 20.0 * p.amount))


@register(sharpen)
class Sharpen(Transform):
    """Unsharp-mask sharpening (see :func:`sharpen`); spec ``sharpen:amount=2``."""

    amount: Annotated[float, Range(0.0, 20.0)] = 1.0
    sigma: Annotated[float, Range(0.0, 20.0, low_open=True)] = 1.0
