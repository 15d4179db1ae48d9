"""Tile lattices in the lag map: a lattice's evidence over all its points, sub-pixel
refinement of its basis, reduction to the shortest basis and comparison of lattices."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ._cv import cv2
from ._residual import FloatArray

MIN_PERIOD = 36.0
"""Shortest tile period searched, in working pixels (chips of about 1.1 px)."""
POINT_CHARGE = 0.5
"""Score charged per lattice point: finer lattices, with points where nothing is, lose."""
_SUPPORT_MIN = 3.0
_SUPPORT_RATIO = 0.3


@dataclass(frozen=True)
class Lattice:
    """A tile lattice in working-image pixels.

    ``basis`` has the two period vectors as columns, each as (row, column)
    displacement; ``score`` is the lattice's autocorrelation evidence (in noise
    standard deviations, summed over the scored lattice points).
    """

    basis: NDArray[np.float64]
    score: float


def top_peaks(norm: FloatArray, region: NDArray[np.bool_], count: int) -> NDArray[np.intp]:
    """Flat indices of the ``count`` strongest local maxima inside ``region``."""
    dilated = cv2.dilate(norm, np.ones((5, 5), np.uint8))
    idx = np.flatnonzero((norm >= dilated) & region)
    return idx[np.argsort(norm.ravel()[idx])[::-1][:count]]


def refine_peaks(norm: FloatArray, points: NDArray[np.float64]) -> NDArray[np.float64]:
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


def score_bases(
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
    values = lookup(clipped, pts, max_lag)
    return np.asarray(np.sum(weight * (values - POINT_CHARGE), axis=1))


def lookup(norm: FloatArray, points: NDArray[np.float64], max_lag: int) -> NDArray[np.float64]:
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


def polish(
    soft: FloatArray, basis: NDArray[np.float64], max_lag: int, shape: tuple[int, int]
) -> NDArray[np.float64]:
    """Sub-pixel basis by coordinate ascent of the lattice score over all its points.

    The least-squares fit uses only the peaks strong enough to locate one by one; the
    summed score uses every lattice point in range, so weak lattices (small images,
    heavy compression) get a precise basis too, which folding many tiles needs.
    """
    current = basis.copy()
    best = float(score_bases(soft, current[None], max_lag, shape)[0])
    for step in (0.3, 0.1):
        for _ in range(3):
            trials = []
            for index in range(4):
                for sign in (-1.0, 1.0):
                    trial = current.copy()
                    trial.flat[index] += sign * step
                    trials.append(trial)
            stacked = np.stack(trials)
            scores = score_bases(soft, stacked, max_lag, shape)
            k = int(np.argmax(scores))
            if scores[k] <= best:
                break
            best, current = float(scores[k]), stacked[k]
    return current


def refine_basis(norm: FloatArray, basis: NDArray[np.float64], max_lag: int) -> NDArray[np.float64]:
    """Least-squares basis from the sub-pixel positions of the lattice peaks."""
    coeffs = _REFINE_POINTS
    predicted = coeffs @ basis.T  # (N, 2)
    inside = np.all(np.abs(predicted) <= max_lag - 4, axis=1)
    if np.count_nonzero(inside) < 3:
        return basis
    coeffs, predicted = coeffs[inside], predicted[inside]
    found = refine_peaks(norm, predicted + max_lag)
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


def coarsest_supported(
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
    values = np.clip(lookup(norm, pts, max_lag), -2.0, 50.0)
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
    return basis if best is None else reduce_basis(best[1])


def index2_superlattices(basis: NDArray[np.float64]) -> list[NDArray[np.float64]]:
    """The three lattices that contain ``basis``'s lattice as an index-2 sub-lattice."""
    v1, v2 = basis[:, 0], basis[:, 1]
    out = []
    for a, b in ((0.5 * v1, v2), (v1, 0.5 * v2), (v1, 0.5 * (v1 + v2))):
        if min(np.hypot(*a), np.hypot(*b)) >= MIN_PERIOD:
            out.append(reduce_basis(np.stack([a, b], axis=1)))
    return out


def reduce_basis(basis: NDArray[np.float64]) -> NDArray[np.float64]:
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


def same_lattice(a: NDArray[np.float64], b: NDArray[np.float64], tolerance: float = 0.08) -> bool:
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
