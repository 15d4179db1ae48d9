"""Blind detection: synchronise, read the soft bits, decode, and compute the p-value.

Statistics
----------
For one geometric hypothesis (lattice, one of the 8 symmetries of the square, one of
``OVERSAMPLE**2`` sub-chip phases and one of ``P**2`` cyclic shifts), each layer's
sync score is

    z = sum_c s_c g_c / sqrt(sum_c g_c^2)

over that layer's synchronisation chips ``c``, with ``s_c = +-1`` the keyed signs and
``g_c`` the matched-filter output of the folded residual. On an unmarked image the
signs are independent of the image, so ``z`` is a self-normalised Rademacher sum: mean
0, variance 1 and, by the central limit theorem, close to standard normal (its tail
is also bounded by ``exp(-z^2/2)`` whatever the image, by Hoeffding's inequality). The
fine layer's (256 chips) and the coarse layer's (40 chips) use disjoint chips with
independent signs, so they are independent. The detector scores each hypothesis by
``max over theta of cos(theta) z_fine + sin(theta) z_coarse`` for the three
``COARSE_ANGLES``: the projections of a 2-D standard normal vector, whose tail
``q(z)`` is exact (:func:`sync_tail`; about 2.7 ``Q(z)`` at ``z = 5.3``).

The detector takes the maximum over ``M`` geometric hypotheses: every lattice the
search returns (up to 6 in each of 2 frequency bands) x 8 symmetries x 4 sub-chip
phases x 33 x 33 shifts, so ``M`` is at most ``12 x 34,848 = 418,176``. The lattices
come from the image alone (the search never sees the key), so on an unmarked image
the scores are as above given the set of lattices, and counting the lattices returned
is exact. Lattices skipped because an earlier one already gave a score of
``CONFIDENT_Z`` are counted all the same, and when the second band is not searched
(the first gave ``SECOND_PASS_Z``) its full budget of 6 lattices is counted, so
stopping early never makes the p-value optimistic. Treating the hypotheses as
independent (neighbouring shifts and phases are in fact correlated, the coarse score
even more so, as it barely changes within one coarse chip; this makes the bound
conservative: on unmarked images about 36 % of p-values fall below 0.5, not 50 %),

    p_sync = 1 - (1 - q(z_max))^M.

The payload is then decoded at the best hypothesis, and its CRC-16 checked. On an
unmarked image the decoded bits are noise, so the CRC passes with probability
``eps = 2^-16``, independently of ``p_sync``. The detection statistic is
``V = eps * p_sync`` when the CRC passes and ``V = p_sync`` when it fails; under the
null, ``P(V <= v) = (2 - eps) v`` for ``v <= eps``, which gives the reported p-value
``p = (2 - eps) V`` (and ``eps + (1 - eps) V`` above ``eps``). It is uniform on
unmarked images as far as ``p_sync`` is. The mark is reported as detected when the CRC
passes and ``p`` is at most ``threshold`` (default 1e-6).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy import integrate  # type: ignore[import-untyped]

from ._ecc import CRC_BITS, conv_decode, crc16
from ._lattice import Lattice, same_lattice
from ._layout import (
    COARSE_FACTOR,
    INFO_BITS,
    N_CODED,
    PAYLOAD_BITS,
    TILE_CHIPS,
    Layout,
    chip_filter,
)
from ._residual import whitened_residual, working_luma
from ._sync import (
    BANDS,
    MAX_LATTICE_CANDIDATES,
    N_RANKED,
    SAME_FOLD_TOLERANCE,
    LatticeSearch,
    fold,
)

FloatArray = NDArray[np.float32]

OVERSAMPLE = 2
"""Folded-tile samples per chip (sub-chip phases searched: OVERSAMPLE**2)."""
N_SYMMETRIES = 8
_RESIDUAL_SIGMA_STEP = 0.25
SECOND_PASS_Z = 6.5
"""Sync score below which the lattice search is repeated in the second frequency band."""
CONFIDENT_Z = 9.0
"""Sync score from which the remaining lattices of a band are not tried (the payload
then decodes reliably)."""
CRC_PASS_PROBABILITY = 2.0**-CRC_BITS
COARSE_ANGLES = (0.0, math.pi / 6, math.pi / 3)
"""Directions ``theta`` of the combined sync score ``cos(theta) z_fine + sin(theta)
z_coarse``, all tried: the fine layer alone, the fine layer first, the coarse layer
first (smooth, heavily compressed images, whose fine chips are gone)."""
_COARSE_ENERGY_RATIO = 5.0 / 3.0  # energy window of the coarse residual, in its high-pass widths


def hypotheses(n_lattices: int) -> int:
    """Number of geometric hypotheses the sync search takes the maximum over."""
    return max(1, n_lattices) * N_SYMMETRIES * OVERSAMPLE**2 * TILE_CHIPS**2


def gaussian_sf(z: float) -> float:
    """Upper tail of the standard normal."""
    return 0.5 * math.erfc(z / math.sqrt(2.0))


def _first_crossing(z: float, rho: float) -> float:
    """P(X >= z, Y < z) for standard normals X, Y with correlation ``rho``."""
    spread = math.sqrt(1.0 - rho * rho)

    def density(x: float) -> float:
        return (
            math.exp(-0.5 * x * x)
            / math.sqrt(2.0 * math.pi)
            * (1.0 - gaussian_sf((z - rho * x) / spread))
        )

    value, _ = integrate.quad(density, z, math.inf, epsabs=0.0, epsrel=1e-8)
    return float(value)


def sync_tail(z: float) -> float:
    """P(max over ``COARSE_ANGLES`` of the combined score >= z) at one hypothesis.

    The fine and coarse scores are independent standard normals under the null, so
    the combined scores are the projections of a 2-D standard normal vector onto the
    directions. The directions whose projection reaches ``z`` form a contiguous run
    (a projection is unimodal in the angle), so the event splits by the run's first
    direction: the first reaches ``z`` (``Q(z)``), or direction ``i`` does and
    direction ``i - 1`` does not.
    """
    tail = gaussian_sf(z)
    for a, b in itertools.pairwise(COARSE_ANGLES):
        tail += _first_crossing(z, math.cos(b - a))
    return min(1.0, tail)


def max_pvalue(tail: float, m: int) -> float:
    """P(the largest of m independent scores reaches a level each reaches with ``tail``)."""
    if tail <= 0.0:
        return 0.0
    if tail >= 1.0:
        return 1.0
    return float(-math.expm1(m * math.log1p(-tail)))


def combined_pvalue(p_sync: float, crc_ok: bool) -> float:
    """p-value of the pair (sync p-value, CRC outcome); see the module notes."""
    eps = CRC_PASS_PROBABILITY
    v = p_sync * eps if crc_ok else p_sync
    if v <= eps:
        return min(1.0, (2.0 - eps) * v)
    return min(1.0, eps + (1.0 - eps) * v)


@dataclass
class RawDetection:
    """Everything the detector found, before it is turned into a public result."""

    crc_ok: bool
    bits: NDArray[np.uint8]
    info_llr: NDArray[np.float64]
    z_sync: float
    p_sync: float
    p_value: float
    n_hypotheses: int
    details: dict[str, Any] = field(default_factory=dict)


@lru_cache(maxsize=4)
def _matched_filter(n: int, fine_chips: int) -> NDArray[np.float64]:
    """Filter matched to chips ``fine_chips`` fine chips wide, on the folded grid (n x n
    samples, ``OVERSAMPLE`` per fine chip): the render band-pass times a 1-chip box."""
    samples = OVERSAMPLE * fine_chips
    box = np.sinc(np.fft.fftfreq(n) * samples)
    return np.asarray(chip_filter(n, samples) * box[:, None] * box[None, :], np.float64)


def _symmetries(tile: FloatArray) -> list[FloatArray]:
    out = []
    for transposed in (tile, tile.T):
        for k in range(4):
            out.append(np.ascontiguousarray(np.rot90(transposed, k)))
    return out


@lru_cache(maxsize=32)
def _sync_spectra(
    layout: Layout, coarse: bool
) -> tuple[NDArray[np.complex128], NDArray[np.complex128]]:
    sync, mask = (
        (layout.coarse_sync, layout.coarse_sync_mask) if coarse else (layout.sync, layout.sync_mask)
    )
    return np.conj(np.fft.rfft2(sync)), np.conj(np.fft.rfft2(mask))


def _sync_sums(
    observations: NDArray[np.float64], layout: Layout, coarse: bool
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """For every cyclic shift τ of stacked chip observations (..., P, P): the sum of
    sync signs times observations, and the sum of squared observations, over one
    layer's synchronisation chips (the numerator and squared denominator of z)."""
    sync_f, mask_f = _sync_spectra(layout, coarse)
    shape = observations.shape[-2:]
    corr = np.fft.irfft2(sync_f * np.fft.rfft2(observations), s=shape)
    energy = np.fft.irfft2(mask_f * np.fft.rfft2(observations**2), s=shape)
    return corr, np.maximum(energy, 0.0)


def _chip_observations(
    residual: FloatArray, basis: NDArray[np.float64], matched: NDArray[np.float64]
) -> NDArray[np.float64]:
    """Fold, filter and split into (8 symmetries, r, r sub-chip phases, P, P) samples,
    scaled to unit RMS (the scale is the same for every hypothesis, so it leaves each
    layer's score alone and puts the two layers on one footing)."""
    n = TILE_CHIPS * OVERSAMPLE
    folded = fold(residual, basis, OVERSAMPLE)
    filtered = np.fft.irfft2(np.fft.rfft2(folded) * matched[:, : n // 2 + 1], s=folded.shape)
    variants = np.stack(_symmetries(filtered.astype(np.float32)))  # (8, n, n)
    obs = variants.reshape(N_SYMMETRIES, TILE_CHIPS, OVERSAMPLE, TILE_CHIPS, OVERSAMPLE)
    samples = np.asarray(obs.transpose(0, 2, 4, 1, 3), dtype=np.float64)
    return np.asarray(samples / (float(np.sqrt(np.mean(samples**2))) + 1e-12), np.float64)


def _coded_llr(
    aligned: NDArray[np.float64],
    sync: FloatArray,
    sync_mask: FloatArray,
    bit_index: NDArray[np.intp],
    spread: FloatArray,
) -> tuple[NDArray[np.float64], float]:
    """One layer's log-likelihood ratios of the coded bits, and its chip SNR.

    The chip amplitude and noise variance are estimated from the layer's aligned
    synchronisation chips, so a layer the attack wiped out weighs next to nothing.
    """
    sync_obs = aligned[sync_mask > 0] * sync[sync_mask > 0]
    amp = float(np.mean(sync_obs))
    noise_var = float(np.var(sync_obs)) + 1e-12
    pay = bit_index >= 0
    y_coded = np.bincount(bit_index[pay], weights=(aligned * spread)[pay], minlength=N_CODED)
    llr = np.asarray(2.0 * max(amp, 1e-6) * y_coded / noise_var, dtype=np.float64)
    return llr, amp / math.sqrt(noise_var)


def detect_luma(y: FloatArray, layout: Layout, *, thorough: bool = True) -> RawDetection:
    """Run the whole detector on a luminance image.

    The lattice search runs with the first frequency band; only when no lattice it
    finds gives a sync score of at least ``SECOND_PASS_Z`` is the second band tried.
    With ``thorough`` False (triage: about a third of the work) only the first band is
    searched and only its ``N_RANKED`` autocorrelation lattices are tried, not the
    scanned squares that find marks weakened by heavy processing.
    Lattices are tried best first, and the rest of a band's are skipped once one gives
    ``CONFIDENT_Z``. The p-value counts every lattice found (tried or skipped), plus
    the full budget of each band not searched, so stopping early never makes it
    optimistic (see the module notes).
    """
    work, factor = working_luma(y)
    residual = whitened_residual(work)
    search = LatticeSearch(residual, block_period=8.0 / factor)
    details: dict[str, Any] = {"working_factor": factor}
    n = TILE_CHIPS * OVERSAMPLE
    fine_filter = _matched_filter(n, 1)
    coarse_filter = _matched_filter(n, COARSE_FACTOR)
    best: tuple[float, Any] = (-np.inf, None)
    residuals = {(_RESIDUAL_SIGMA_STEP * round(1.5 / _RESIDUAL_SIGMA_STEP), False): residual}
    found: list[Lattice] = []
    tried: list[Lattice] = []
    bands_searched = 0
    for band in BANDS if thorough else BANDS[:1]:
        bands_searched += 1
        fresh = [
            lat
            for lat in search.lattices(band)
            if not any(same_lattice(lat.basis, f.basis, SAME_FOLD_TOLERANCE) for f in found)
        ]
        found += fresh
        for lattice in fresh if thorough else fresh[:N_RANKED]:
            if best[0] >= CONFIDENT_Z:
                break
            li = len(tried)
            tried.append(lattice)
            chip_w = float(np.mean(np.hypot(lattice.basis[0], lattice.basis[1]))) / TILE_CHIPS
            # each layer's high-pass is matched to its chip size
            fine_sigma = _RESIDUAL_SIGMA_STEP * round(
                float(np.clip(0.5 * chip_w, 0.7, 3.0)) / _RESIDUAL_SIGMA_STEP
            )
            layers = []
            for coarse, matched in ((False, fine_filter), (True, coarse_filter)):
                sigma = fine_sigma * (COARSE_FACTOR if coarse else 1)
                if (sigma, coarse) not in residuals:
                    energy_sigma = _COARSE_ENERGY_RATIO * sigma if coarse else None
                    residuals[sigma, coarse] = whitened_residual(work, sigma, energy_sigma)
                layers.append(_chip_observations(residuals[sigma, coarse], lattice.basis, matched))
            fine_obs, coarse_obs = layers
            z_fine, z_coarse = (
                corr / np.sqrt(np.maximum(energy, 1e-12))
                for corr, energy in (
                    _sync_sums(fine_obs, layout, coarse=False),
                    _sync_sums(coarse_obs, layout, coarse=True),
                )
            )
            # (angles, 8, r, r, P, P): the combined score of every hypothesis
            z = np.stack([math.cos(t) * z_fine + math.sin(t) * z_coarse for t in COARSE_ANGLES])
            k = int(np.argmax(z))
            if z.flat[k] > best[0]:
                wi, sym, py, px, ty, tx = np.unravel_index(k, z.shape)
                aligned = [np.roll(o[sym, py, px], (-ty, -tx), axis=(0, 1)) for o in layers]
                best = (float(z.flat[k]), (li, int(sym), COARSE_ANGLES[wi], aligned))
        if best[0] >= SECOND_PASS_Z:
            break
    details.update(lattices=len(tried), lattices_found=len(found), bands_searched=bands_searched)
    m = hypotheses(len(found) + MAX_LATTICE_CANDIDATES * (len(BANDS) - bands_searched))
    if best[1] is None:
        return RawDetection(
            crc_ok=False,
            bits=np.zeros(PAYLOAD_BITS, np.uint8),
            info_llr=np.zeros(INFO_BITS),
            z_sync=0.0,
            p_sync=1.0,
            p_value=1.0,
            n_hypotheses=m,
            details={**details, "reason": "no tile lattice found"},
        )
    z_sync, (li, sym, angle, (fine_aligned, coarse_aligned)) = best
    p_sync = max_pvalue(sync_tail(z_sync), m)

    # soft payload bits: the two layers' evidence adds up
    fine_llr, fine_snr = _coded_llr(
        fine_aligned, layout.sync, layout.sync_mask, layout.bit_index, layout.spread
    )
    coarse_llr, coarse_snr = _coded_llr(
        coarse_aligned,
        layout.coarse_sync,
        layout.coarse_sync_mask,
        layout.coarse_bit_index,
        layout.coarse_spread,
    )
    info_bits, info_llr = conv_decode(fine_llr + coarse_llr, INFO_BITS)
    payload, crc = info_bits[:PAYLOAD_BITS], info_bits[PAYLOAD_BITS:]
    crc_ok = bool(np.array_equal(crc16(payload), crc))
    p_value = combined_pvalue(p_sync, crc_ok)
    basis = tried[li].basis * factor
    details.update(
        {
            "z_sync": z_sync,
            "p_sync": p_sync,
            "crc_ok": crc_ok,
            "symmetry": sym,
            "lattice_index": li,
            "period_px": [float(np.hypot(*basis[:, 0])), float(np.hypot(*basis[:, 1]))],
            "basis": basis.round(3).tolist(),
            "chip_snr": fine_snr,
            "coarse_chip_snr": coarse_snr,
            "coarse_angle_deg": round(math.degrees(angle), 1),
        }
    )
    return RawDetection(
        crc_ok=crc_ok,
        bits=payload,
        info_llr=info_llr[:PAYLOAD_BITS],
        z_sync=z_sync,
        p_sync=p_sync,
        p_value=p_value,
        n_hypotheses=m,
        details=details,
    )
