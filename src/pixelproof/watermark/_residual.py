"""The whitened residual of the luminance and its autocorrelation (the lag map), in
which a tiled mark shows a peak at every period vector of its tile."""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Any

import numpy as np
import scipy.fft as sfft  # type: ignore[import-untyped]
from numpy.typing import NDArray

from ._cv import cv2

FloatArray = NDArray[Any]  # float32 images and lag maps

WORK_SHORT = 384
"""Shorter side of the working image (larger images are reduced to it)."""
WORK_AREA = 384 * 576
"""Largest working area in pixels (very long panoramas are reduced further)."""
_RESIDUAL_SIGMA = 1.5
_ENERGY_SIGMA = 2.5
_WHITEN_SIGMA = 5.0  # frequency bins
_NORM_POWER = 1.0
_RING = 4


def working_luma(y: FloatArray) -> tuple[FloatArray, float]:
    """Reduce luminance to the working resolution; returns it and the reduction factor."""
    height, width = y.shape
    factor = max(1.0, min(height, width) / WORK_SHORT, math.sqrt(height * width / WORK_AREA))
    if factor <= 1.0:
        return y, 1.0
    size = (max(1, round(width / factor)), max(1, round(height / factor)))
    return np.asarray(cv2.resize(y, size, interpolation=cv2.INTER_AREA)), factor


def whitened_residual(
    y: FloatArray, sigma: float | None = None, energy_sigma: float | None = None
) -> FloatArray:
    """High-pass residual divided by its local energy (averaged over ``energy_sigma``
    pixels), clipped to +-3."""
    sigma = _RESIDUAL_SIGMA if sigma is None else sigma
    energy_sigma = _ENERGY_SIGMA if energy_sigma is None else energy_sigma
    residual = y - cv2.GaussianBlur(y, (0, 0), sigma)
    energy = cv2.GaussianBlur(residual * residual, (0, 0), energy_sigma)
    floor = 0.25 + 0.02 * float(np.mean(energy))
    local = energy + floor
    bound = 3.0 * np.sqrt(local)
    out = np.clip(residual, -bound, bound) / local**_NORM_POWER
    return np.asarray(out, dtype=np.float32)


def whitened_power(
    residual: FloatArray, max_lag: int, block_period: float | None = None
) -> FloatArray:
    """The residual's zero-padded power spectrum, whitened (rfft layout, float32).

    The power spectrum is divided by a locally smoothed copy of itself, so the image's
    own (continuous) spectrum becomes flat while the line spectrum of a periodic
    pattern keeps its peaks. ``block_period`` is the JPEG block grid's period in these
    pixels: the spectral lines of block artefacts (multiples of ``1 / block_period``
    along either axis) are flattened, since they would otherwise draw a lattice of
    their own. The padding leaves room for lags up to ``max_lag``.
    """
    h, w = residual.shape
    ph = cv2.getOptimalDFTSize(h + max_lag)
    pw = cv2.getOptimalDFTSize(w + max_lag)
    padded = np.zeros((ph, pw), np.float32)
    padded[:h, :w] = residual - residual.mean()
    spectrum = sfft.rfft2(padded, workers=1)
    power = (spectrum.real**2 + spectrum.imag**2).astype(np.float32)
    shifted = np.fft.fftshift(power, axes=0)
    k = 2 * round(_WHITEN_SIGMA) + 1
    smooth = cv2.blur(cv2.blur(shifted, (k, k), borderType=cv2.BORDER_REFLECT), (k, k))
    whitened = power / (np.fft.ifftshift(smooth, axes=0) + 1e-6 * float(smooth.mean()) + 1e-20)
    if block_period is not None and block_period > 2.0:
        _notch_block_lines(whitened, ph, pw, block_period)
    return np.asarray(whitened, dtype=np.float32)


def lag_map(
    whitened: FloatArray, width: int, max_lag: int, band: tuple[float, float]
) -> FloatArray:
    """Autocorrelation for lags in [-max_lag, max_lag]^2 from a whitened spectrum.

    ``band`` = (cutoff, floor) weights the frequencies by a Gaussian of that cutoff
    (cycles per pixel), never below ``floor``: the mark's band counts, the rest (where
    compression and texture noise live) less. Returned centred: index
    ``[max_lag + dy, max_lag + dx]`` is lag ``(dy, dx)``, slow structure removed.
    """
    ph = whitened.shape[0]
    weighted = whitened * _band_weight(ph, width, band[0], band[1])
    acf = sfft.irfft2(weighted, s=(ph, width), workers=1)
    rows = np.r_[ph - max_lag : ph, 0 : max_lag + 1]
    cols = np.r_[width - max_lag : width, 0 : max_lag + 1]
    centred = np.ascontiguousarray(acf[np.ix_(rows, cols)], dtype=np.float32)
    return np.asarray(centred - cv2.blur(cv2.blur(centred, (7, 7)), (7, 7)))


@lru_cache(maxsize=8)
def _band_weight(ph: int, pw: int, cutoff: float, floor: float) -> NDArray[np.float32]:
    """Frequency weighting of the whitened power: the mark's band counts, the rest less.

    Above ~0.3 cycles per pixel the mark has little energy at any scale the detector
    expects, while compression and texture noise have plenty.
    """
    fy = np.fft.fftfreq(ph).astype(np.float32)[:, None]
    fx = np.fft.rfftfreq(pw).astype(np.float32)[None, :]
    weight = np.exp(-0.5 * (fy * fy + fx * fx) / np.float32(cutoff**2))
    weight = np.maximum(weight, np.float32(floor))
    weight.setflags(write=False)
    return weight


def peakness(acf: FloatArray) -> FloatArray:
    """How much each lag stands above its surroundings, ignoring straight ridges.

    The background of a lag is the largest mean of two opposite neighbours at distance
    ~4 (four directions): an isolated peak keeps its height, while a ridge along any
    of those directions (image edges, horizon lines) is taken as background and removed.
    """
    n_rows, n_cols = acf.shape
    pad = _RING
    padded = cv2.copyMakeBorder(acf, pad, pad, pad, pad, cv2.BORDER_REFLECT)

    def shifted(dy: int, dx: int) -> FloatArray:
        return padded[pad + dy : pad + dy + n_rows, pad + dx : pad + dx + n_cols]

    d = round(_RING * 0.75)
    background = np.full(acf.shape, -np.inf, dtype=np.float32)
    for dy, dx in ((0, _RING), (_RING, 0), (d, d), (d, -d)):
        pair = cv2.addWeighted(shifted(dy, dx), 0.5, shifted(-dy, -dx), 0.5, 0.0)
        background = np.asarray(cv2.max(background, pair))
    return np.asarray(cv2.subtract(acf, background), dtype=np.float32)


def _notch_block_lines(whitened: NDArray[Any], ph: int, pw: int, period: float) -> None:
    """Flatten the spectral lines of a block grid of the given period (in place).

    The lines are set to the mean whitened power rather than zero: zeroing would itself
    draw a dashed ridge along the axes of the autocorrelation.
    """
    level = float(np.mean(whitened))
    k = 1
    while k / period <= 0.5:
        f = k / period
        for centre in (round(f * ph), ph - round(f * ph)):
            whitened[max(0, centre - 1) : centre + 2, :] = level
        col = round(f * pw)
        whitened[:, max(0, col - 1) : col + 2] = level
        k += 1
