"""Blind detection: synchronise, read the soft bits, decode, and compute the p-value.

Statistics
----------
For one geometric hypothesis (lattice, one of the 8 symmetries of the square, one of
``OVERSAMPLE**2`` sub-chip phases and one of ``P**2`` cyclic shifts), the sync score is

    z = sum_c s_c g_c / sqrt(sum_c g_c^2)

over the synchronisation chips ``c``, with ``s_c = +-1`` the keyed signs and ``g_c`` the
matched-filter output of the folded residual. On an unmarked image the signs are
independent of the image, so ``z`` is a self-normalised Rademacher sum: mean 0,
variance 1 and, by the central limit theorem over 256 chips, standard normal (its tail
is also bounded by ``exp(-z^2/2)`` whatever the image, by Hoeffding's inequality).
The detector takes the maximum over ``M`` hypotheses: every lattice the search
returns (up to 6 in each of 2 frequency bands) x 8 symmetries x 4 sub-chip phases x
33 x 33 shifts, so ``M`` is at most ``12 x 34,848 = 418,176``. The lattices come from
the image alone (the search never sees the key), so on an unmarked image the scores
are standard normal given the set of lattices, and counting the lattices returned is
exact. Lattices skipped because an earlier one already gave a score of
``CONFIDENT_Z`` are counted all the same, and when the second band is not searched
(the first gave ``SECOND_PASS_Z``) its full budget of 6 lattices is counted, so
stopping early never makes the p-value optimistic. Treating the hypotheses as
independent (neighbouring shifts and phases are in fact correlated, which makes this
conservative: on unmarked images about 45 % of p-values fall below 0.5, not 50 %),

    p_sync = 1 - (1 - Q(z_max))^M.

The payload is then decoded at the best hypothesis, and its CRC-16 checked. On an
unmarked image the decoded bits are noise, so the CRC passes with probability
``eps = 2^-16``, independently of ``p_sync``. The detection statistic is
``V = eps * p_sync`` when the CRC passes and ``V = p_sync`` when it fails; under the
null, ``P(V <= v) = (2 - eps) v`` for ``v <= eps``, which gives the reported p-value
``p = (2 - eps) V`` (and ``eps + (1 - eps) V`` above ``eps``). It is uniform on
unmarked images. The mark is reported as detected when the CRC passes and ``p`` is at
most ``threshold`` (default 1e-6).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ._ecc import CRC_BITS, conv_decode, crc16
from ._layout import INFO_BITS, N_CODED, PAYLOAD_BITS, TILE_CHIPS, Layout, chip_filter
from ._sync import (
    BANDS,
    MAX_LATTICE_CANDIDATES,
    SAME_FOLD_TOLERANCE,
    Lattice,
    LatticeSearch,
    _same_lattice,
    fold,
    whitened_residual,
    working_luma,
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


def hypotheses(n_lattices: int) -> int:
    """Number of geometric hypotheses the sync search takes the maximum over."""
    return max(1, n_lattices) * N_SYMMETRIES * OVERSAMPLE**2 * TILE_CHIPS**2


def gaussian_sf(z: float) -> float:
    """Upper tail of the standard normal."""
    return 0.5 * math.erfc(z / math.sqrt(2.0))


def max_of_gaussians_pvalue(z: float, m: int) -> float:
    """P(max of m independent standard normals >= z)."""
    q = gaussian_sf(z)
    if q <= 0.0:
        return 0.0
    if q >= 1.0:
        return 1.0
    return float(-math.expm1(m * math.log1p(-q)))


def combined_pvalue(p_sync: float, crc_ok: bool) -> float:
    """p-value of the pair (sync p-value, CRC outcome); see the module notes."""
    eps = CRC_PASS_PROBABILITY
    v = p_sync * eps if crc_ok else p_sync
    if v <= eps:
        return min(1.0, (2.0 - eps) * v)
    return min(1.0, eps + (1.0 - eps) * v)


@lru_cache(maxsize=4)
def _matched_filter_cached(n: int) -> NDArray[np.float64]:
    return _matched_filter(n)


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


def _matched_filter(n: int) -> NDArray[np.float64]:
    """Chip-matched filter on the folded grid: the render band-pass times a 1-chip box."""
    f = np.fft.fftfreq(n) * OVERSAMPLE
    box = np.sinc(f)
    return np.asarray(chip_filter(n, OVERSAMPLE) * box[:, None] * box[None, :], np.float64)


def _symmetries(tile: FloatArray) -> list[FloatArray]:
    out = []
    for transposed in (tile, tile.T):
        for k in range(4):
            out.append(np.ascontiguousarray(np.rot90(transposed, k)))
    return out


@lru_cache(maxsize=32)
def _sync_spectra(layout: Layout) -> tuple[NDArray[np.complex128], NDArray[np.complex128]]:
    return np.conj(np.fft.rfft2(layout.sync)), np.conj(np.fft.rfft2(layout.sync_mask))


def _sync_scores(
    observations: NDArray[np.float64], layout: Layout
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """z(τ) for stacked chip observations (..., P, P): correlation and normalisation."""
    sync_f, mask_f = _sync_spectra(layout)
    shape = observations.shape[-2:]
    corr = np.fft.irfft2(sync_f * np.fft.rfft2(observations), s=shape)
    energy = np.fft.irfft2(mask_f * np.fft.rfft2(observations**2), s=shape)
    return corr, np.sqrt(np.maximum(energy, 1e-12))


def detect_luma(y: FloatArray, layout: Layout) -> RawDetection:
    """Run the whole detector on a luminance image.

    The lattice search runs with the first frequency band; only when no lattice it
    finds gives a sync score of at least ``SECOND_PASS_Z`` is the second band tried.
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
    mf = _matched_filter_cached(n)
    best: tuple[float, Any] = (-np.inf, None)
    residuals = {_RESIDUAL_SIGMA_STEP * round(1.5 / _RESIDUAL_SIGMA_STEP): residual}
    found: list[Lattice] = []
    tried: list[Lattice] = []
    bands_searched = 0
    for band in BANDS:
        bands_searched += 1
        fresh = [
            lat
            for lat in search.lattices(band)
            if not any(_same_lattice(lat.basis, f.basis, SAME_FOLD_TOLERANCE) for f in found)
        ]
        found += fresh
        for lattice in fresh:
            if best[0] >= CONFIDENT_Z:
                break
            li = len(tried)
            tried.append(lattice)
            # the fold uses a high-pass matched to the chip size found
            chip_w = float(np.mean(np.hypot(lattice.basis[0], lattice.basis[1]))) / TILE_CHIPS
            sigma = _RESIDUAL_SIGMA_STEP * round(
                float(np.clip(0.5 * chip_w, 0.7, 3.0)) / _RESIDUAL_SIGMA_STEP
            )
            if sigma not in residuals:
                residuals[sigma] = whitened_residual(work, sigma)
            folded = fold(residuals[sigma], lattice.basis, OVERSAMPLE)
            filtered = np.fft.irfft2(np.fft.rfft2(folded) * mf[:, : n // 2 + 1], s=folded.shape)
            variants = np.stack(_symmetries(filtered.astype(np.float32)))  # (8, n, n)
            # (8, r, r, P, P): chip observations for every symmetry and sub-chip phase
            obs = variants.reshape(
                N_SYMMETRIES, TILE_CHIPS, OVERSAMPLE, TILE_CHIPS, OVERSAMPLE
            ).transpose(0, 2, 4, 1, 3)
            corr, norm = _sync_scores(np.asarray(obs, dtype=np.float64), layout)
            z = corr / norm
            k = int(np.argmax(z))
            if z.flat[k] > best[0]:
                sym, py, px, ty, tx = np.unravel_index(k, z.shape)
                aligned = np.roll(obs[sym, py, px], (-ty, -tx), axis=(0, 1))
                best = (float(z.flat[k]), (li, int(sym), aligned))
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
    lattices = tried
    z_sync, (li, sym, aligned) = best
    p_sync = max_of_gaussians_pvalue(z_sync, m)

    # soft payload bits
    sync_obs = aligned[layout.sync_mask > 0] * layout.sync[layout.sync_mask > 0]
    amp = float(np.mean(sync_obs))
    noise_var = float(np.var(sync_obs)) + 1e-12
    pay = layout.bit_index >= 0
    y_coded = np.bincount(
        layout.bit_index[pay], weights=(aligned * layout.spread)[pay], minlength=N_CODED
    )
    llr = np.asarray(2.0 * max(amp, 1e-6) * y_coded / noise_var, dtype=np.float64)
    info_bits, info_llr = conv_decode(llr, INFO_BITS)
    payload, crc = info_bits[:PAYLOAD_BITS], info_bits[PAYLOAD_BITS:]
    crc_ok = bool(np.array_equal(crc16(payload), crc))
    p_value = combined_pvalue(p_sync, crc_ok)
    basis = lattices[li].basis * factor
    details.update(
        {
            "z_sync": z_sync,
            "p_sync": p_sync,
            "crc_ok": crc_ok,
            "symmetry": sym,
            "lattice_index": li,
            "period_px": [float(np.hypot(*basis[:, 0])), float(np.hypot(*basis[:, 1]))],
            "basis": basis.round(3).tolist(),
            "chip_snr": amp / math.sqrt(noise_var),
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
