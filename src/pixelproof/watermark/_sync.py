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

Step 1 is in :mod:`._residual`, the lattice scoring and refinement in :mod:`._lattice`,
the square-lattice scans in :mod:`._square_scan`; the search itself (:class:`LatticeSearch`)
and the folding are here.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
from numpy.typing import NDArray

from ._cv import cv2
from ._lattice import (
    MIN_PERIOD,
    POINT_CHARGE,
    Lattice,
    coarsest_supported,
    index2_superlattices,
    polish,
    reduce_basis,
    refine_basis,
    refine_peaks,
    same_lattice,
    score_bases,
    top_peaks,
)
from ._layout import TILE_CHIPS
from ._residual import FloatArray, lag_map, peakness, whitened_power
from ._square_scan import best_square, best_upright

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
_PARTNER_STEP = 1.0
_TOLERANCE = 3
_PEAK_CAP = 10.0
BANDS = ((0.18, 0.3), (0.12, 0.1))
"""Frequency weightings (Gaussian cutoff in cycles/pixel, floor) of the lattice searches:
the first suits most images, the second strongly compressed ones."""
_LAG_REACH = 1.8  # lags computed, in units of the longest period searched
_BLOCKY_FRACTION = 0.3
_MIN_GRID_PERIOD = 6.0  # below this (working images reduced > 1.33x) blocks are blurred away

# lattice points (n1, n2) with n2 >= 1 scored when searching the second basis vector
_PARTNER_POINTS = np.array(
    [(0, 1), (1, 1), (-1, 1), (2, 1), (-2, 1), (0, 2), (1, 2), (-1, 2)], dtype=np.float64
)


def _block_grid(max_lag: int, period: float) -> NDArray[np.bool_]:
    """Lags within one pixel of a multiple of the block period on both axes."""
    lags = np.arange(-max_lag, max_lag + 1, dtype=np.float64)
    off = np.abs((lags + period / 2) % period - period / 2) <= 1.0
    grid = off[:, None] & off[None, :]
    grid[max_lag - 8 : max_lag + 9, max_lag - 8 : max_lag + 9] = False
    return np.asarray(grid)


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
        acf = peakness(lag_map(self._whitened, width, self.max_lag, band))
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
    top = top_peaks(norm, annulus, N_ANCHORS)
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
            top = top_peaks(norm, annulus, N_ANCHORS)
    if top.size == 0:
        return []
    size = norm.shape[1]
    anchors = refine_peaks(norm, np.stack([top // size, top % size], axis=1).astype(np.float64))
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
    bases += [finer for basis in bases for finer in index2_superlattices(basis)]
    stacked = np.stack(bases)
    first = score_bases(clipped, stacked, max_lag, (h, w))
    best = np.argsort(first)[::-1][:N_REFINE]
    # the scans are already precise to about a pixel at the farthest lattice point:
    # their lattices skip the peak-based refinement, which weak peaks mislead
    upright = best_upright(clipped, max_lag, max_period, (h, w))
    # the per-point charge can make a weak lattice lose to its sub-lattice of twice
    # the period: the lattice of half the period is tried too
    scanned = [upright, *([upright / 2.0] if upright[0, 0] >= 2.0 * MIN_PERIOD else [])]
    scanned.append(best_square(clipped, max_lag, max_period, (h, w)))
    refined = np.stack(
        [
            *(
                coarsest_supported(
                    norm, reduce_basis(refine_basis(norm, stacked[k], max_lag)), max_lag
                )
                for k in best
            ),
            *scanned,
        ]
    )
    full = score_bases(clipped, refined, max_lag, (h, w))
    soft = np.clip(norm, -2.0, 50.0).astype(np.float32)
    n_ranked = len(refined) - len(scanned)
    for k in np.argsort(full[:n_ranked])[::-1][:N_RANKED]:
        refined[k] = polish(soft, refined[k], max_lag, (h, w))
    full = score_bases(clipped, refined, max_lag, (h, w))
    lattices: list[Lattice] = []
    for k in np.argsort(full[:n_ranked])[::-1]:
        basis = refined[k]
        if any(same_lattice(basis, other.basis) for other in lattices):
            continue
        lattices.append(Lattice(basis=basis, score=float(full[k])))
        if len(lattices) == N_RANKED:
            break
    # the scanned lattices are always tried: their evidence is spread over many
    # weak lattice points, which the ranking by single peaks undervalues
    for k in range(n_ranked, len(refined)):
        if not any(same_lattice(refined[k], o.basis, SAME_FOLD_TOLERANCE) for o in lattices):
            lattices.append(Lattice(basis=refined[k], score=float(full[k])))
    return lattices


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
    scores = values.sum(axis=1) - POINT_CHARGE * inside.sum(axis=1)
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
