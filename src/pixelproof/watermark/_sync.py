"""Geometric synchronisation: find the tile lattice and fold the image onto one tile.

1. The image is reduced to a working resolution (shorter side at most ``WORK_SHORT``)
   and whitened: luminance minus its Gaussian blur, divided by the local energy.
2. The autocorrelation of that residual shows a peak at every period vector of the
   tile, whatever scaling, rotation, stretch or flip the image went through. The two
   shortest period vectors (the lattice basis) are found among the strongest peaks by
   scoring every plausible pair on all its nearby lattice points, then refined to
   sub-pixel precision by least squares over those points. Square lattices (what
   scaling, cropping and rotation leave) are also scanned directly, upright by
   period and at any angle by period and angle, scoring all their lattice points at
   once: that finds the tile when each single peak is too weak to stand out (small,
   compressed, noisy or blurred images).
3. Every residual pixel is mapped into tile coordinates through the inverse lattice
   basis, and all tiles are summed into one ("folding"): crop offsets become a cyclic
   shift of the folded tile, and the image content averages out.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
import scipy.fft as sfft  # type: ignore[import-untyped]
from numpy.typing import NDArray

from ._cv import cv2
from ._layout import TILE_CHIPS

FloatArray = NDArray[Any]  # float32 images and lag maps

WORK_SHORT = 384
"""Shorter side of the working image (larger images are reduced to it)."""
WORK_AREA = 384 * 576
"""Largest working area in pixels (very long panoramas are reduced further)."""
MIN_PERIOD = 36.0
"""Shortest tile period searched, in working pixels (chips of about 1.1 px)."""
MAX_PERIOD_FRACTION = 0.5
"""Longest tile period searched, as a fraction of the working image's shorter side."""
N_RANKED = 3
"""Lattices taken by score from the anchor-and-partner search, per band."""
MAX_LATTICE_CANDIDATES = N_RANKED + 3
"""Most lattices returned per band: the ranked ones and three scanned square ones
(the search budget: see ``hypotheses``)."""
SAME_FOLD_TOLERANCE = 0.003
"""Lattices closer than this (in lattice coordinates) fold alike: only one is tried."""
N_ANCHORS = 10
"""Autocorrelation peaks tried as the first lattice vector."""
N_PARTNERS = 2
N_REFINE = 16
MAX_SKEW_DEG = 13.0
"""Largest departure from a right angle between the two lattice vectors."""
MAX_LENGTH_RATIO = 1.45
"""Largest length ratio of the two lattice vectors."""

_RESIDUAL_SIGMA = 1.5
_ENERGY_SIGMA = 2.5
_WHITEN_SIGMA = 5.0  # frequency bins
_NORM_POWER = 1.0
_RING = 4
_PARTNER_STEP = 1.0
_TOLERANCE = 3
_PEAK_CAP = 10.0
BANDS = ((0.18, 0.3), (0.12, 0.1))
"""Frequency weightings (Gaussian cutoff in cycles/pixel, floor) of the lattice searches:
the first suits most images, the second strongly compressed ones."""
_LAG_REACH = 1.8  # lags computed, in units of the longest period searched
_BLOCKY_FRACTION = 0.3
_MIN_GRID_PERIOD = 6.0  # below this (working images reduced > 1.33x) blocks are blurred away
_SUPPORT_MIN = 3.0
_SUPPORT_RATIO = 0.3
_POINT_CHARGE = 0.5
_REMAP_WIDTH = 4096
_SQUARE_STEP = 1.5  # coarse scan step, pixels at the largest lattice radius
_SQUARE_BLUR = 1.0
_SQUARE_SEEDS = 3
_SQUARE_REACH = 4  # lattice points (a, b) with a^2 + b^2 <= this^2 in the coarse scan
_SQUARE_FINE = 2  # fine steps per coarse step, each way, when refining a coarse maximum


@dataclass(frozen=True)
class Lattice:
    """A tile lattice in working-image pixels.

    ``basis`` has the two period vectors as columns, each as (row, column)
    displacement; ``score`` is the lattice's autocorrelation evidence (in noise
    standard deviations, summed over the scored lattice points).
    """

    basis: NDArray[np.float64]
    score: float


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


def _peakness(acf: FloatArray) -> FloatArray:
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


def _top_peaks(norm: FloatArray, region: NDArray[np.bool_], count: int) -> NDArray[np.intp]:
    """Flat indices of the ``count`` strongest local maxima inside ``region``."""
    dilated = cv2.dilate(norm, np.ones((5, 5), np.uint8))
    idx = np.flatnonzero((norm >= dilated) & region)
    return idx[np.argsort(norm.ravel()[idx])[::-1][:count]]


def _block_grid(max_lag: int, period: float) -> NDArray[np.bool_]:
    """Lags within one pixel of a multiple of the block period on both axes."""
    lags = np.arange(-max_lag, max_lag + 1, dtype=np.float64)
    off = np.abs((lags + period / 2) % period - period / 2) <= 1.0
    grid = off[:, None] & off[None, :]
    grid[max_lag - 8 : max_lag + 9, max_lag - 8 : max_lag + 9] = False
    return np.asarray(grid)


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


def _refine_peaks(norm: FloatArray, points: NDArray[np.float64]) -> NDArray[np.float64]:
    """Sub-pixel local maxima near lag-map positions (K, 2); returns (K, 3): row, col, height.

    The maximum of the 5x5 window around each point is located, then a parabola is
    fitted through it and its neighbours along each axis.
    """
    n_rows, n_cols = norm.shape
    base = np.rint(points).astype(np.intp)
    base[:, 0] = np.clip(base[:, 0], 3, n_rows - 4)
    base[:, 1] = np.clip(base[:, 1], 3, n_cols - 4)
    offsets = np.arange(-2, 3)
    rows = base[:, 0, None, None] + offsets[None, :, None]
    cols = base[:, 1, None, None] + offsets[None, None, :]
    windows = norm[rows, cols].reshape(len(points), 25)
    k = np.argmax(windows, axis=1)
    r = base[:, 0] + k // 5 - 2
    c = base[:, 1] + k % 5 - 2
    centre = norm[r, c]

    def offset(minus: NDArray[Any], plus: NDArray[Any]) -> NDArray[np.float64]:
        denom = minus - 2.0 * centre + plus
        safe = np.where(denom < 0, denom, -1.0)
        return np.where(denom < 0, np.clip(0.5 * (minus - plus) / safe, -0.5, 0.5), 0.0)

    dr = offset(norm[r - 1, c], norm[r + 1, c])
    dc = offset(norm[r, c - 1], norm[r, c + 1])
    return np.stack([r + dr, c + dc, centre], axis=1).astype(np.float64)


@lru_cache(maxsize=16)
def _annulus(max_lag: int, max_period: int) -> NDArray[np.bool_]:
    """Lags of one half-plane with a length between MIN_PERIOD and max_period (cached)."""
    lags = np.arange(-max_lag, max_lag + 1, dtype=np.float32)
    radius = np.hypot(lags[:, None], lags[None, :])
    half = (lags[:, None] > 0) | ((lags[:, None] == 0) & (lags[None, :] > 0))
    mask = half & (radius >= MIN_PERIOD) & (radius <= max_period)
    mask.setflags(write=False)
    return np.asarray(mask)


class LatticeSearch:
    """Find the tile lattice in a residual image, for one or more frequency bands.

    Search budget: the ``N_ANCHORS`` strongest autocorrelation peaks with a period
    between ``MIN_PERIOD`` and ``MAX_PERIOD_FRACTION`` of the shorter side are tried as
    first basis vector; for each, every second vector at 90 +- ``MAX_SKEW_DEG`` degrees
    with a length ratio up to ``MAX_LENGTH_RATIO`` is scored on the lattice points it
    implies (this covers any rotation, flips, scaling in the period range and aspect
    stretches down to 0.7). The best few, and the finer lattices that contain them
    with index 2, are refined and scored on every lattice point; the ``N_RANKED`` best
    distinct ones are returned per band, followed by the scanned square lattices (the
    best upright one, the upright one of half its period and the best one at any
    angle) that differ from them: at most ``MAX_LATTICE_CANDIDATES`` per band.
    """

    def __init__(self, residual: FloatArray, block_period: float | None = 8.0) -> None:
        self.shape = residual.shape
        h, w = residual.shape
        self.max_period = MAX_PERIOD_FRACTION * min(h, w)
        self.max_lag = int(min(max(h, w) - 1, _LAG_REACH * self.max_period))
        self.block_period = block_period
        self._residual = residual
        self._whitened: FloatArray | None = None

    def lattices(self, band: tuple[float, float]) -> list[Lattice]:
        if self.max_period < MIN_PERIOD:
            return []
        if self._whitened is None:
            self._whitened = whitened_power(self._residual, self.max_lag, self.block_period)
        width = cv2.getOptimalDFTSize(self.shape[1] + self.max_lag)
        acf = _peakness(lag_map(self._whitened, width, self.max_lag, band))
        return _search(acf, self.shape, self.max_lag, self.max_period, self.block_period)


def _search(
    acf: FloatArray,
    shape: tuple[int, int],
    max_lag: int,
    max_period: float,
    block_period: float | None,
) -> list[Lattice]:
    h, w = shape
    # noise scale of the lag map away from the origin (median absolute deviation)
    sample = acf[::5, ::5]
    centre_mad = float(np.median(np.abs(sample - np.median(sample))))
    norm = acf / (1.4826 * centre_mad + 1e-12)

    annulus = _annulus(max_lag, round(max_period))
    top = _top_peaks(norm, annulus, N_ANCHORS)
    if block_period is not None and block_period >= _MIN_GRID_PERIOD and top.size:
        # JPEG blocking: its artefacts correlate at multiples of the block size and
        # draw a lattice of their own. When the strongest peaks sit on that grid far
        # more often than chance (9 in 64), the grid lags are blanked.
        grid = _block_grid(max_lag, block_period)
        if float(np.mean(grid.ravel()[top])) > _BLOCKY_FRACTION:
            norm[grid] = 0.0
            # re-estimate the noise scale without the grid lags
            rest = norm[::5, ::5][~grid[::5, ::5]]
            norm /= max(1.4826 * float(np.median(np.abs(rest - np.median(rest)))), 1e-6)
            top = _top_peaks(norm, annulus, N_ANCHORS)
    if top.size == 0:
        return []
    size = norm.shape[1]
    anchors = _refine_peaks(norm, np.stack([top // size, top % size], axis=1).astype(np.float64))
    anchors[:, :2] -= max_lag

    clipped = np.clip(norm, -2.0, _PEAK_CAP).astype(np.float32)
    tolerant = cv2.dilate(clipped, np.ones((_TOLERANCE, _TOLERANCE), np.uint8))
    candidates: list[tuple[float, NDArray[np.float64]]] = []
    for v1 in anchors[:, :2]:
        candidates.extend(_partners(tolerant, v1, max_lag, max_period))
    if not candidates:
        return []
    candidates.sort(key=lambda item: -item[0])
    bases = [basis for _, basis in candidates[:N_REFINE]]
    # a strong diagonal can make the anchor a vector of an index-2 sub-lattice: also
    # try the finer lattices that contain each candidate with index 2
    bases += [finer for basis in bases for finer in _index2_superlattices(basis)]
    stacked = np.stack(bases)
    first = _score_bases(clipped, stacked, max_lag, (h, w))
    best = np.argsort(first)[::-1][:N_REFINE]
    # the scans are already precise to about a pixel at the farthest lattice point:
    # their lattices skip the peak-based refinement, which weak peaks mislead
    upright = _best_upright(clipped, max_lag, max_period, (h, w))
    # the per-point charge can make a weak lattice lose to its sub-lattice of twice
    # the period: the lattice of half the period is tried too
    scanned = [upright, *([upright / 2.0] if upright[0, 0] >= 2.0 * MIN_PERIOD else [])]
    scanned.append(_best_square(clipped, max_lag, max_period, (h, w)))
    refined = np.stack(
        [
            *(
                _coarsest_supported(
                    norm, _reduce(_refine_basis(norm, stacked[k], max_lag)), max_lag
                )
                for k in best
            ),
            *scanned,
        ]
    )
    full = _score_bases(clipped, refined, max_lag, (h, w))
    soft = np.clip(norm, -2.0, 50.0).astype(np.float32)
    n_ranked = len(refined) - len(scanned)
    for k in np.argsort(full[:n_ranked])[::-1][:N_RANKED]:
        refined[k] = _polish(soft, refined[k], max_lag, (h, w))
    full = _score_bases(clipped, refined, max_lag, (h, w))
    lattices: list[Lattice] = []
    for k in np.argsort(full[:n_ranked])[::-1]:
        basis = refined[k]
        if any(_same_lattice(basis, other.basis) for other in lattices):
            continue
        lattices.append(Lattice(basis=basis, score=float(full[k])))
        if len(lattices) == N_RANKED:
            break
    # the scanned lattices are always tried: their evidence is spread over many
    # weak lattice points, which the ranking by single peaks undervalues
    for k in range(n_ranked, len(refined)):
        if not any(_same_lattice(refined[k], o.basis, SAME_FOLD_TOLERANCE) for o in lattices):
            lattices.append(Lattice(basis=refined[k], score=float(full[k])))
    return lattices


def _best_upright(
    clipped: FloatArray, max_lag: int, max_period: float, shape: tuple[int, int]
) -> NDArray[np.float64]:
    """The best square, axis-aligned lattice, by its score over all lattice points.

    Scaling and cropping keep the tile lattice square and upright; scanning its one
    free parameter pools the evidence of every lattice point (as ``_score_bases``
    does), so it finds lattices whose single peaks are too weak to be anchors (small,
    compressed or noisy images).
    """
    periods, rows, cols, weight, which = _upright_scan(max_lag, round(max_period), shape)
    values = cv2.remap(clipped, cols, rows, cv2.INTER_LINEAR).ravel()[: which.size]
    scores = np.bincount(which, weights=weight * (values - _POINT_CHARGE), minlength=periods.size)
    return np.asarray(periods[int(np.argmax(scores))] * np.eye(2))


@lru_cache(maxsize=8)
def _upright_scan(
    max_lag: int, max_period: int, shape: tuple[int, int]
) -> tuple[NDArray[np.float64], FloatArray, FloatArray, FloatArray, NDArray[np.intp]]:
    """Periods scanned and, for every (period, lattice point) pair, where to read the
    lag map (float32 row and column maps for ``cv2.remap``), its weight and period index.

    The periods step by half a pixel at the farthest lattice point; the points and
    weights are those of ``_score_bases``.
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


def _best_square(
    clipped: FloatArray, max_lag: int, max_period: float, shape: tuple[int, int]
) -> NDArray[np.float64]:
    """The best square lattice (any rotation), by its score over its lattice points.

    Scaling, cropping and rotation keep the tile lattice square; scanning its two free
    parameters (period and angle) pools the evidence of every lattice point (as
    ``_score_bases`` does), so it finds lattices whose single peaks are too weak to be
    anchors (small, compressed or noisy images). The scan is coarse, on a log-polar
    resampling of the lag map, where every lattice point of a square lattice is a
    fixed shift of (log period, angle); the best few coarse maxima are then refined on
    a fine grid with ``_score_bases``.
    """
    grid = _log_polar_grid(max_lag, round(max_period), shape)
    smooth = cv2.GaussianBlur(clipped, (0, 0), _SQUARE_BLUR)
    # overlap-weighted evidence minus the per-point charge, zero beyond the radius
    polar = cv2.remap(smooth, grid.cols, grid.rows, cv2.INTER_LINEAR) - np.float32(_POINT_CHARGE)
    polar *= grid.weight
    n_angles = polar.shape[0] // 2  # square lattices repeat every 90 degrees
    n_periods = grid.n_periods
    scores = np.zeros((n_angles, n_periods), np.float32)
    wrapped = np.concatenate([polar, polar], axis=0)
    for dr, dphi in grid.point_shifts:
        scores += wrapped[dphi : dphi + n_angles, dr : dr + n_periods]
    # the best few coarse maxima, refined on a fine grid of all lattice points
    peaks = _top_peaks(scores, np.ones(scores.shape, bool), _SQUARE_SEEDS)
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
    full = _score_bases(clipped, stacked, max_lag, shape)
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


# lattice points (n1, n2) with n2 >= 1 scored when searching the second basis vector
_PARTNER_POINTS = np.array(
    [(0, 1), (1, 1), (-1, 1), (2, 1), (-2, 1), (0, 2), (1, 2), (-1, 2)], dtype=np.float64
)


def _partners(
    tolerant: FloatArray, v1: NDArray[np.float64], max_lag: int, max_period: float
) -> list[tuple[float, NDArray[np.float64]]]:
    """Best second basis vectors for the anchor ``v1``, scored on the lattice they imply."""
    length = float(np.hypot(v1[0], v1[1]))
    step = max(_PARTNER_STEP, length / 60.0)
    r = np.arange(length / MAX_LENGTH_RATIO, length * MAX_LENGTH_RATIO + step, step)
    r = r[(r >= MIN_PERIOD) & (r <= max_period)]
    if r.size == 0:
        return []
    skew = math.radians(MAX_SKEW_DEG)
    phi = np.arange(-skew, skew + 1e-9, step / float(r[-1])) + math.pi / 2
    u = v1 / length
    p = np.array([-u[1], u[0]])
    directions = np.cos(phi)[:, None] * u[None, :] + np.sin(phi)[:, None] * p[None, :]
    v2 = (r[None, :, None] * directions[:, None, :]).reshape(-1, 2)  # (M, 2)
    pts = _PARTNER_POINTS[None, :, 0, None] * v1[None, None, :] + (
        _PARTNER_POINTS[None, :, 1, None] * v2[:, None, :]
    )
    idx = np.rint(pts).astype(np.intp) + max_lag
    n = tolerant.shape[0]
    inside = np.all((idx >= 0) & (idx < n), axis=-1)
    idx = np.clip(idx, 0, n - 1)
    values = np.where(inside, tolerant[idx[..., 0], idx[..., 1]], 0.0)
    scores = values.sum(axis=1) - _POINT_CHARGE * inside.sum(axis=1)
    anchor_pts = np.array([v1, 2.0 * v1])
    anchor_idx = np.clip(np.rint(anchor_pts).astype(np.intp) + max_lag, 0, n - 1)
    anchor_score = float(tolerant[anchor_idx[:, 0], anchor_idx[:, 1]].sum())
    out = []
    for _ in range(N_PARTNERS):
        k = int(np.argmax(scores))
        if not np.isfinite(scores[k]):
            break
        out.append((anchor_score + float(scores[k]), np.stack([v1, v2[k]], axis=1)))
        near = np.hypot(v2[:, 0] - v2[k, 0], v2[:, 1] - v2[k, 1]) < 4.0 * step
        scores = np.where(near, -np.inf, scores)
    return out


def _index2_superlattices(basis: NDArray[np.float64]) -> list[NDArray[np.float64]]:
    """The three lattices that contain ``basis``'s lattice as an index-2 sub-lattice."""
    v1, v2 = basis[:, 0], basis[:, 1]
    out = []
    for a, b in ((0.5 * v1, v2), (v1, 0.5 * v2), (v1, 0.5 * (v1 + v2))):
        if min(np.hypot(*a), np.hypot(*b)) >= MIN_PERIOD:
            out.append(_reduce(np.stack([a, b], axis=1)))
    return out


def _polish(
    soft: FloatArray, basis: NDArray[np.float64], max_lag: int, shape: tuple[int, int]
) -> NDArray[np.float64]:
    """Sub-pixel basis by coordinate ascent of the lattice score over all its points.

    The least-squares fit uses only the peaks strong enough to locate one by one; the
    summed score uses every lattice point in range, so weak lattices (small images,
    heavy compression) get a precise basis too, which folding many tiles needs.
    """
    current = basis.copy()
    best = float(_score_bases(soft, current[None], max_lag, shape)[0])
    for step in (0.3, 0.1):
        for _ in range(3):
            trials = []
            for index in range(4):
                for sign in (-1.0, 1.0):
                    trial = current.copy()
                    trial.flat[index] += sign * step
                    trials.append(trial)
            stacked = np.stack(trials)
            scores = _score_bases(soft, stacked, max_lag, shape)
            k = int(np.argmax(scores))
            if scores[k] <= best:
                break
            best, current = float(scores[k]), stacked[k]
    return current


def _coarsest_supported(
    norm: FloatArray, basis: NDArray[np.float64], max_lag: int
) -> NDArray[np.float64]:
    """Replace a lattice by an index-2 sub-lattice when half its points carry the peaks.

    The clipped score cannot tell a lattice from a finer one whose extra points sit on
    weak ridges; here the points of each index-2 sub-lattice are compared with the
    others, and when the others are much weaker the sub-lattice is taken.
    """
    k = 4
    a, b = np.meshgrid(np.arange(-k, k + 1), np.arange(0, k + 1), indexing="ij")
    keep = (b > 0) | (a > 0)
    coeffs = np.stack([a[keep], b[keep]], axis=1)
    pts = coeffs @ basis.T
    inside = np.all(np.abs(pts) <= max_lag - 2, axis=1)
    if np.count_nonzero(inside) < 6:
        return basis
    coeffs, pts = coeffs[inside], pts[inside]
    values = np.clip(_lookup(norm, pts, max_lag), -2.0, 50.0)
    n1, n2 = coeffs[:, 0], coeffs[:, 1]
    best: tuple[float, NDArray[np.float64]] | None = None
    for member, sub in (
        (n1 % 2 == 0, np.stack([2 * basis[:, 0], basis[:, 1]], axis=1)),
        (n2 % 2 == 0, np.stack([basis[:, 0], 2 * basis[:, 1]], axis=1)),
        ((n1 + n2) % 2 == 0, np.stack([basis[:, 0] + basis[:, 1], basis[:, 0] - basis[:, 1]], 1)),
    ):
        if member.all() or not member.any():
            continue
        inner, outer = float(values[member].mean()), float(values[~member].mean())
        supported = inner > _SUPPORT_MIN and outer < _SUPPORT_RATIO * inner
        if supported and (best is None or inner > best[0]):
            best = (inner, sub)
    return basis if best is None else _reduce(best[1])


def _lookup(norm: FloatArray, points: NDArray[np.float64], max_lag: int) -> NDArray[np.float64]:
    """Bilinear lag-map values at lag points (..., 2); 0 outside the computed range."""
    size = norm.shape[0]
    pos = points + max_lag
    inside = np.all((pos >= 0) & (pos <= size - 2), axis=-1)
    pos = np.clip(pos, 0, size - 2)
    p0 = np.floor(pos).astype(np.intp)
    f = pos - p0
    r, c = p0[..., 0], p0[..., 1]
    fr, fc = f[..., 0], f[..., 1]
    val = (
        norm[r, c] * (1 - fr) * (1 - fc)
        + norm[r + 1, c] * fr * (1 - fc)
        + norm[r, c + 1] * (1 - fr) * fc
        + norm[r + 1, c + 1] * fr * fc
    )
    return np.where(inside, val, 0.0)


def _score_bases(
    clipped: FloatArray, bases: NDArray[np.float64], max_lag: int, shape: tuple[int, int]
) -> NDArray[np.float64]:
    """Lattice evidence of each candidate basis (K, 2, 2).

    A basis scores the overlap-weighted sum of the (clipped) lag map over all its
    lattice points within the computed range, minus a small charge per point, so the
    true lattice beats both its sub-lattices (fewer supported points) and finer
    lattices (points with nothing there).
    """
    radius = 0.95 * max_lag
    k_max = math.ceil(radius / MIN_PERIOD) + 1
    a, b = np.meshgrid(np.arange(-k_max, k_max + 1), np.arange(0, k_max + 1), indexing="ij")
    keep = (b > 0) | (a > 0)
    coeffs = np.stack([a[keep], b[keep]], axis=1).astype(np.float64)  # (N, 2)
    pts = np.einsum("krc,nc->knr", bases, coeffs)  # (K, N, 2)
    dist = np.hypot(pts[..., 0], pts[..., 1])
    h, w = shape
    overlap = np.clip(1.0 - np.abs(pts[..., 0]) / h, 0.0, 1.0) * np.clip(
        1.0 - np.abs(pts[..., 1]) / w, 0.0, 1.0
    )
    weight = np.where(dist <= radius, overlap, 0.0)
    values = _lookup(clipped, pts, max_lag)
    return np.asarray(np.sum(weight * (values - _POINT_CHARGE), axis=1))


def _refine_basis(
    norm: FloatArray, basis: NDArray[np.float64], max_lag: int
) -> NDArray[np.float64]:
    """Least-squares basis from the sub-pixel positions of the lattice peaks."""
    coeffs = _REFINE_POINTS
    predicted = coeffs @ basis.T  # (N, 2)
    inside = np.all(np.abs(predicted) <= max_lag - 4, axis=1)
    if np.count_nonzero(inside) < 3:
        return basis
    coeffs, predicted = coeffs[inside], predicted[inside]
    found = _refine_peaks(norm, predicted + max_lag)
    good = (found[:, 2] >= 2.5) & np.all(np.abs(found[:, :2] - max_lag - predicted) <= 2.5, axis=1)
    if np.count_nonzero(good) < 3:
        return basis
    weights = np.sqrt(np.minimum(found[good, 2], 20.0))[:, None]
    a = coeffs[good] * weights
    b = (found[good, :2] - max_lag) * weights
    solution, *_ = np.linalg.lstsq(a, b, rcond=None)
    refined = np.asarray(solution.T, dtype=np.float64)  # columns are the basis vectors
    if np.max(np.abs(refined - basis)) > 3.0:
        return basis
    return refined


_REFINE_POINTS = np.array(
    [(a, b) for a in range(-3, 4) for b in range(0, 4) if (b > 0 or a > 0)], dtype=np.float64
)


def _reduce(basis: NDArray[np.float64]) -> NDArray[np.float64]:
    """Lagrange-Gauss reduction: the two shortest independent lattice vectors."""
    u, v = basis[:, 0].copy(), basis[:, 1].copy()
    for _ in range(16):
        if u @ u > v @ v:
            u, v = v, u
        mu = round(float(u @ v) / float(u @ u))
        if mu == 0:
            break
        v = v - mu * u
    # order: first vector closest to the row axis, both pointing "down/right"
    if abs(u[0]) * np.hypot(*v) < abs(v[0]) * np.hypot(*u):
        u, v = v, u
    if u[0] < 0:
        u = -u
    if v[1] < 0:
        v = -v
    return np.stack([u, v], axis=1)


def _same_lattice(a: NDArray[np.float64], b: NDArray[np.float64], tolerance: float = 0.08) -> bool:
    """Whether two bases span about the same lattice: each vector of ``a`` within
    ``tolerance`` (in lattice coordinates of ``b``) of a lattice point, and the same
    cell area to within ``1.25 * tolerance``.

    The default groups lattices that the search should not rank twice;
    ``SAME_FOLD_TOLERANCE`` keeps apart lattices that fold differently (folding needs
    the period to a fraction of a percent).
    """
    coords = np.linalg.solve(b, a)
    return bool(np.all(np.abs(coords - np.round(coords)) < tolerance)) and bool(
        abs(abs(np.linalg.det(a)) / abs(np.linalg.det(b)) - 1.0) < 1.25 * tolerance
    )


def fold(residual: FloatArray, basis: NDArray[np.float64], oversample: int) -> FloatArray:
    """Sum the residual over all tiles into one (P*oversample)^2 tile (mean per bin)."""
    h, w = residual.shape
    size = TILE_CHIPS * oversample
    inv = np.linalg.inv(basis) * size  # pixel (row, col) -> tile bins
    rows = np.arange(h, dtype=np.float32)
    cols = np.arange(w, dtype=np.float32)
    index = np.empty((h, w), dtype=np.int32)
    for axis in (0, 1):
        coord = np.add.outer(np.float32(inv[axis, 0]) * rows, np.float32(inv[axis, 1]) * cols)
        coord -= np.floor(coord * np.float32(1.0 / size)) * np.float32(size)
        bins = coord.astype(np.int32)
        np.minimum(bins, size - 1, out=bins)
        if axis == 0:
            np.multiply(bins, size, out=index)
        else:
            index += bins
    flat = index.ravel()
    sums = np.bincount(flat, weights=residual.ravel(), minlength=size * size)
    counts = np.bincount(flat, minlength=size * size)
    folded = np.where(counts > 0, sums / np.maximum(counts, 1), 0.0)
    return folded.reshape(size, size).astype(np.float32)
