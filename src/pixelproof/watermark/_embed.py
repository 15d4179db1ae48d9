"""Embedding: a perceptually masked, tiled pattern added to the luminance."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from ._cv import cv2
from ._layout import COARSE_FACTOR, render_tile

FloatArray = NDArray[Any]  # float32 images

# Luma weights (ITU-R BT.601), as used by Pillow's "L" conversion.
LUMA_WEIGHTS = (0.299, 0.587, 0.114)

TARGET_RMS = 2.45
"""Root-mean-square luminance change at strength 1 (PSNR about 40.3 dB): the fine layer
aims at it, and the coarse layer takes what the fine one, held back by its caps, left
unused; the two together never exceed it."""
_PIXELS_PER_CHIP_UNIT = 150.0
_FLAT_GAIN = 0.25  # mask value in perfectly flat areas, relative to textured ones
_TEXTURE_THETA = 10.0  # local standard deviation (grey levels) at which masking is half on
_MAX_AMPLITUDE = 9.0  # no pixel is changed by more than this (grey levels, strength 1)
_MAX_FLAT_RMS = 1.0  # RMS change allowed in perfectly flat areas (grey levels, strength 1)
_CAP_STD = 8.0  # the cap doubles for every this many grey levels of local std
_MAX_GAIN = 8.0
COARSE_RMS = 2.0
"""Amplitude of the coarse layer in perfectly flat areas (grey levels, strength 1)."""
_COARSE_THETA = 5.0  # local std at which the coarse layer is at half its flat amplitude


def chip_size_for(height: int, width: int) -> int:
    """Chip size in pixels: 3 up to a shorter side of about 600 px, then growing with it.

    Always odd, so that the tile period (``TILE_CHIPS * chip``) shares no factor with
    the 8-pixel JPEG block grid.
    """
    ideal = min(height, width) / _PIXELS_PER_CHIP_UNIT
    return max(3, 1 + 2 * round((ideal - 1.0) / 2.0))


def luma(pixels: NDArray[np.uint8]) -> FloatArray:
    """BT.601 luminance of an (H, W, 3) RGB or (H, W) grey image, float32.

    Computed by OpenCV in 8 bits (rounded to whole grey levels), which is all the
    mask and the detector need.
    """
    grey = pixels if pixels.ndim == 2 else cv2.cvtColor(pixels, cv2.COLOR_RGB2GRAY)
    return np.asarray(grey, dtype=np.float32)


def perceptual_mask(y: FloatArray, chip_px: int) -> tuple[FloatArray, FloatArray]:
    """Relative embedding strength and absolute cap per pixel (reduced resolution).

    Texture masking is a noise visibility function: the local variance ``v`` (over a
    window about one chip wide) sets the relative strength to
    ``flat + (1 - flat) v / (v + theta^2)``, so flat areas get a quarter of the
    strength of textured ones. Luminance masking lowers it in deep shadows and near
    white, where changes show or clip. The cap bounds the change wherever the image
    is smooth: ``_MAX_FLAT_RMS`` grey levels RMS in perfectly flat areas, growing with
    the local standard deviation.

    Both maps are returned at the reduced resolution of :func:`_local_moments`.
    """
    mean, var, size = _local_moments(y, chip_px, 0.75)
    texture = var / (var + _TEXTURE_THETA**2)
    mask: NDArray[Any] = _FLAT_GAIN + (1.0 - _FLAT_GAIN) * texture
    luminance = _luminance_factor(mean)
    mask *= luminance
    cap = _MAX_FLAT_RMS * (1.0 + np.sqrt(var) / _CAP_STD) * luminance
    return _smooth(mask, size), _smooth(cap, size)


def _local_moments(y: FloatArray, scale_px: int, reach: float) -> tuple[Any, Any, int]:
    """Local mean and variance of ``y`` over boxes about ``2 reach scale_px`` pixels
    wide, and the box size, at a resolution reduced by about ``scale_px / 2``.

    The moments are exact area averages of ``y`` and ``y^2``.
    """
    height, width = y.shape
    factor = max(1, round(scale_px / 2))
    small = (max(1, round(width / factor)), max(1, round(height / factor)))
    if factor > 1:
        m1 = cv2.resize(y, small, interpolation=cv2.INTER_AREA)
        m2 = cv2.resize(y * y, small, interpolation=cv2.INTER_AREA)
    else:
        m1, m2 = y, y * y
    size = 2 * max(1, round(reach * scale_px / factor)) + 1
    mean = cv2.blur(m1, (size, size))
    var = np.maximum(cv2.blur(m2, (size, size)) - mean * mean, 0.0)
    return mean, var, size


def _smooth(a: NDArray[Any], size: int) -> FloatArray:
    """Box-blurred twice, so that a mask draws no edges of its own."""
    return np.asarray(cv2.blur(cv2.blur(a.astype(np.float32), (size, size)), (size, size)))


def amplitude_map(y: FloatArray, chip_px: int, strength: float) -> FloatArray:
    """Per-pixel amplitude of the fine layer (full resolution).

    The gain brings the RMS change to ``TARGET_RMS`` (times ``strength``) where the caps
    allow; in smooth images, whose caps bind, the coarse layer takes up the rest of
    the budget (see :func:`luma_delta`).
    """
    height, width = y.shape
    mask, cap = perceptual_mask(y, chip_px)
    gain = TARGET_RMS / (float(np.sqrt(np.mean(mask * mask))) + 1e-6)
    amplitude = np.minimum(mask * np.float32(gain), cap)
    for _ in range(3):  # raise the gain where the caps took some of it away
        rms = float(np.sqrt(np.mean(amplitude * amplitude))) + 1e-6
        if rms >= 0.98 * TARGET_RMS or gain >= _MAX_GAIN:
            break
        gain = min(gain * TARGET_RMS / rms, _MAX_GAIN)
        amplitude = np.minimum(mask * np.float32(gain), cap)
    amplitude = np.minimum(amplitude, np.float32(_MAX_AMPLITUDE)) * np.float32(strength)
    if amplitude.shape != (height, width):
        amplitude = cv2.resize(amplitude, (width, height), interpolation=cv2.INTER_LINEAR)
    return np.asarray(amplitude, dtype=np.float32)


def _luminance_factor(mean: FloatArray) -> FloatArray:
    """Masking by brightness: lower in deep shadows, where changes show, and near white."""
    dark = np.clip((mean - 8.0) / 48.0, 0.0, 1.0)
    bright = np.clip((252.0 - mean) / 24.0, 0.0, 1.0)
    return np.asarray((0.35 + 0.65 * dark) * (0.3 + 0.7 * bright), dtype=np.float32)


def coarse_amplitude_map(y: FloatArray, chip_px: int, strength: float) -> FloatArray:
    """Per-pixel amplitude of the coarse layer (full resolution).

    The coarse layer goes where the image is smooth: ``COARSE_RMS`` times
    ``1 - v / (v + theta^2)`` for the local variance ``v`` over about three coarse
    chips, times the luminance masking. Smooth areas are where codecs wipe out the
    fine layer, and where a change this low in frequency costs least in SSIM (little
    of it falls inside one SSIM window).
    """
    height, width = y.shape
    mean, var, size = _local_moments(y, COARSE_FACTOR * chip_px, 1.5)
    flat = 1.0 - var / (var + _COARSE_THETA**2)
    amplitude = _smooth((COARSE_RMS * strength) * flat * _luminance_factor(mean), size)
    return np.asarray(
        cv2.resize(amplitude, (width, height), interpolation=cv2.INTER_LINEAR), dtype=np.float32
    )


def tiled(tile: FloatArray, height: int, width: int) -> FloatArray:
    """Repeat a periodic tile over an (height, width) canvas."""
    t = tile.shape[0]
    reps = (-(-height // t), -(-width // t))
    return np.tile(tile, reps)[:height, :width]


def luma_delta(
    y: FloatArray, chips: FloatArray, coarse_chips: FloatArray, chip_px: int, strength: float
) -> FloatArray:
    """The luminance change that carries the mark: the fine layer plus the coarse one.

    The coarse layer is scaled down where needed so that the total RMS change stays
    within ``TARGET_RMS`` (times ``strength``); the two patterns are uncorrelated, so
    their energies add.
    """
    height, width = y.shape
    fine_amplitude = amplitude_map(y, chip_px, strength)
    coarse_amplitude = coarse_amplitude_map(y, chip_px, strength)
    fine_energy = float(np.mean(fine_amplitude * fine_amplitude))
    coarse_energy = float(np.mean(coarse_amplitude * coarse_amplitude)) + 1e-12
    room = (TARGET_RMS * strength) ** 2 - fine_energy
    coarse_amplitude *= np.float32(np.sqrt(max(0.0, min(1.0, room / coarse_energy))))
    fine = tiled(render_tile(chips, chip_px), height, width)
    coarse = tiled(render_tile(coarse_chips, COARSE_FACTOR * chip_px), height, width)
    return np.asarray(fine_amplitude * fine + coarse_amplitude * coarse, dtype=np.float32)
