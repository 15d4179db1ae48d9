"""Scans over square lattices, which scaling, cropping and rotation leave square: upright
ones by period, and any angle by period and angle (on a log-polar resampling of the
lag map). Each pools the evidence of all lattice points, so it finds lattices whose
single peaks are too weak to stand out (small, compressed, noisy or blurred images)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from numpy.typing import NDArray

from ._cv import cv2
from ._lattice import MIN_PERIOD, POINT_CHARGE, score_bases, top_peaks
from ._residual import FloatArray

_REMAP_WIDTH = 4096
_SQUARE_STEP = 1.5  # coarse scan step, pixels at the largest lattice radius
_SQUARE_BLUR = 1.0
_SQUARE_SEEDS = 3
_SQUARE_REACH = 4  # lattice points (a, b) with a^2 + b^2 <= this^2 in the coarse scan
_SQUARE_FINE = 2  # fine steps per coarse step, each way, when refining a coarse maximum


def best_upright(
    clipped: FloatArray, max_lag: int, max_period: float, shape: tuple[int, int]
) -> NDArray[np.float64]:
    """The best square, axis-aligned lattice, by its score over all lattice points.

    Scaling and cropping keep the tile lattice square and upright; scanning its one
    free parameter pools the evidence of every lattice point (as ``score_bases``
    does), so it finds lattices whose single peaks are too weak to be anchors (small,
    compressed or noisy images).
    """
    periods, rows, cols, weight, which = _upright_scan(max_lag, round(max_period), shape)
    values = cv2.remap(clipped, cols, rows, cv2.INTER_LINEAR).ravel()[: which.size]
    scores = np.bincount(which, weights=weight * (values - POINT_CHARGE), minlength=periods.size)
    return np.asarray(periods[int(np.argmax(scores))] * np.eye(2))


@lru_cache(maxsize=8)
def _upright_scan(
    max_lag: int, max_period: int, shape: tuple[int, int]
) -> tuple[NDArray[np.float64], FloatArray, FloatArray, FloatArray, NDArray[np.intp]]:
    """Periods scanned and, for every (period, lattice point) pair, where to read the
    lag map (float32 row and column maps for ``cv2.remap``), its weight and period index.

    The periods step by half a pixel at the farthest lattice point; the points and
    weights are those of ``score_bases``.
    """
    ratio = 1.0 + 0.5 / max_lag
    n_periods = max(1, math.ceil(math.log(max_period / MIN_PERIOD) / math.log(ratio)))
    periods = MIN_PERIOD * ratio ** np.arange(n_periods, dtype=np.float64)
    radius = 0.95 * max_lag
    k_max = math.ceil(radius / MIN_PERIOD) + 1
    a, b = np.meshgrid(np.arange(-k_max, k_max + 1), np.arange(0, k_max + 1), indexing="ij")
    keep = (b > 0) | (a > 0)
    coeffs = np.stack([a[keep], b[keep]], axis=1).astype(np.float64)
    pts = periods[:, None, None] * coeffs[None]  # (K, N, 2)
    inside = np.hypot(pts[..., 0], pts[..., 1]) <= radius
    which = np.nonzero(inside)[0]
    pts = pts[inside]
    h, w = shape
    weight = np.clip(1.0 - np.abs(pts[:, 0]) / h, 0.0, 1.0) * np.clip(
        1.0 - np.abs(pts[:, 1]) / w, 0.0, 1.0
    )
    # remap maps are images (sides below 2**15): the points are laid out in rows
    padded = -(-which.size // _REMAP_WIDTH) * _REMAP_WIDTH
    rows = np.zeros(padded, np.float32)
    cols = np.zeros(padded, np.float32)
    rows[: which.size] = pts[:, 0] + max_lag
    cols[: which.size] = pts[:, 1] + max_lag
    shape2d = (padded // _REMAP_WIDTH, _REMAP_WIDTH)
    return periods, rows.reshape(shape2d), cols.reshape(shape2d), weight.astype(np.float32), which


def best_square(
    clipped: FloatArray, max_lag: int, max_period: float, shape: tuple[int, int]
) -> NDArray[np.float64]:
    """The best square lattice (any rotation), by its score over its lattice points.

    Scaling, cropping and rotation keep the tile lattice square; scanning its two free
    parameters (period and angle) pools the evidence of every lattice point (as
    ``score_bases`` does), so it finds lattices whose single peaks are too weak to be
    anchors (small, compressed or noisy images). The scan is coarse, on a log-polar
    resampling of the lag map, where every lattice point of a square lattice is a
    fixed shift of (log period, angle); the best few coarse maxima are then refined on
    a fine grid with ``score_bases``.
    """
    grid = _log_polar_grid(max_lag, round(max_period), shape)
    smooth = cv2.GaussianBlur(clipped, (0, 0), _SQUARE_BLUR)
    # overlap-weighted evidence minus the per-point charge, zero beyond the radius
    polar = cv2.remap(smooth, grid.cols, grid.rows, cv2.INTER_LINEAR) - np.float32(POINT_CHARGE)
    polar *= grid.weight
    n_angles = polar.shape[0] // 2  # square lattices repeat every 90 degrees
    n_periods = grid.n_periods
    scores = np.zeros((n_angles, n_periods), np.float32)
    wrapped = np.concatenate([polar, polar], axis=0)
    for dr, dphi in grid.point_shifts:
        scores += wrapped[dphi : dphi + n_angles, dr : dr + n_periods]
    # the best few coarse maxima, refined on a fine grid of all lattice points
    peaks = top_peaks(scores, np.ones(scores.shape, bool), _SQUARE_SEEDS)
    offsets = np.linspace(-1.0, 1.0, 2 * _SQUARE_FINE + 1) * grid.step
    fine_periods, fine_angles = np.meshgrid(offsets, offsets)
    bases = []
    for k in peaks.tolist():
        angle = (k // n_periods) * grid.step + fine_angles.ravel()
        period = MIN_PERIOD * np.exp((k % n_periods) * grid.step + fine_periods.ravel())
        c, s = np.cos(angle), np.sin(angle)
        bases.append(
            np.stack(
                [np.stack([period * c, period * s], -1), np.stack([-period * s, period * c], -1)],
                -1,
            )
        )
    stacked = np.concatenate(bases)
    full = score_bases(clipped, stacked, max_lag, shape)
    return np.asarray(stacked[int(np.argmax(full))])


@dataclass(frozen=True)
class _LogPolarGrid:
    """The lag map's sampling for the square-lattice scan (see ``_log_polar_grid``).

    ``rows``/``cols`` (angle, log radius) say where to read the lag map, ``weight`` is
    each sample's overlap weight (0 beyond the scored radius), ``step`` the step in
    radians and in log radius, and ``point_shifts`` the (log radius, angle) index
    shift of each lattice point of the coarse scan.
    """

    rows: FloatArray
    cols: FloatArray
    weight: FloatArray
    step: float
    n_periods: int
    point_shifts: tuple[tuple[int, int], ...]


@lru_cache(maxsize=8)
def _log_polar_grid(max_lag: int, max_period: int, shape: tuple[int, int]) -> _LogPolarGrid:
    """Where to sample the lag map on a (angle in [0, 180), log radius) grid (cached).

    One step in log radius equals one step in angle (radians), ``_SQUARE_STEP`` pixels
    at the largest radius scored.
    """
    radius = 0.95 * max_lag
    step = _SQUARE_STEP / radius
    n_r = int(math.log(radius / MIN_PERIOD) / step) + 1
    n_phi = 2 * round(math.pi / step / 2)
    step = math.pi / n_phi
    r = MIN_PERIOD * np.exp(np.arange(n_r) * step)
    phi = np.arange(n_phi) * step
    rows = (r[None, :] * np.cos(phi)[:, None] + max_lag).astype(np.float32)
    cols = (r[None, :] * np.sin(phi)[:, None] + max_lag).astype(np.float32)
    h, w = shape
    dy, dx = rows - max_lag, cols - max_lag
    weight = np.clip(1.0 - np.abs(dy) / h, 0.0, 1.0) * np.clip(1.0 - np.abs(dx) / w, 0.0, 1.0)
    weight = np.where(r[None, :] <= radius, weight, 0.0).astype(np.float32)
    n_periods = int(math.log(max_period / MIN_PERIOD) / step) + 1
    shifts = []
    for a in range(-_SQUARE_REACH, _SQUARE_REACH + 1):
        for b in range(0, _SQUARE_REACH + 1):
            if (b == 0 and a <= 0) or a * a + b * b > _SQUARE_REACH**2:
                continue
            dr = round(math.log(math.hypot(a, b)) / step)
            if dr >= n_r:
                continue
            shifts.append((dr, round(math.atan2(b, a) / step) % n_phi))
    # the shifted reads must stay inside the map: pad the log radius with zeros
    pad = max(dr for dr, _ in shifts) + n_periods - n_r
    if pad > 0:
        rows = np.pad(rows, ((0, 0), (0, pad)))
        cols = np.pad(cols, ((0, 0), (0, pad)))
        weight = np.pad(weight, ((0, 0), (0, pad)))
    return _LogPolarGrid(rows, cols, weight, step, n_periods, tuple(shifts))
