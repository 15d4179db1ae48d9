"""Aligned double JPEG compression: where the first compression's traces are missing.

When a JPEG is decoded, edited and saved again on the same 8x8 grid, the DCT
coefficients of the untouched blocks have been quantized twice: first with the
original step ``q1``, then with the new step ``q2``. The histogram of each frequency
then shows a periodic pattern of over- and under-populated bins (empty bins when
``q1 > q2``). Blocks that were pasted, painted or moved between the two saves were
quantized only once on this grid and do not follow the pattern. For every frequency
we estimate ``q1`` and the share of double-compressed blocks by maximum likelihood
(mixture of a double- and a single-compression model, the single one estimated from
the image itself by recomputing the DCT on a grid shifted by 4 pixels), then give
every block the likelihood ratio of its coefficients under the two hypotheses.

The map is only informative for images that were saved at least twice with
different quantization; otherwise it stays dark and the analysis says it could not
look.

References
----------
Z. Lin, J. He, X. Tang, C.-K. Tang, "Fast, automatic and fine-grained tampered JPEG
image detection via DCT coefficient analysis", Pattern Recognition 42(11), 2009.
T. Bianchi, A. Piva, "Image forgery localization via block-grained analysis of JPEG
artifacts", IEEE TIFS 7(3), 2012. doi:10.1109/TIFS.2012.2187516
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ._common import (
    Float64Array,
    area_score,
    block_dct,
    block_fold,
    block_std,
    box_mean,
    cells_to_map,
    channel_extremes,
    orient,
    sigmoid,
    unorient,
)
from ._context import ImageContext
from ._result import ForensicResult, empty_result

NAME = "dq"
# Zig-zag order of the first frequencies used (DC first).
_ZIGZAG = (
    (0, 0), (0, 1), (1, 0), (2, 0), (1, 1), (0, 2), (0, 3), (1, 2), (2, 1), (3, 0),
    (4, 0), (3, 1), (2, 2), (1, 3), (0, 4), (0, 5), (1, 4), (2, 3), (3, 2), (4, 1),
)  # fmt: skip
# The lowest frequencies that hold every (u, v) of _ZIGZAG: the only ones computed.
_DCT_SIZE = (1 + max(u for u, _ in _ZIGZAG), 1 + max(v for _, v in _ZIGZAG))
_MAX_BIN = 300
_NOISE = 0.8  # std of the rounding noise between two compressions, coefficient units
_MIN_BLOCKS = 64
# A frequency is used when double compression explains its histogram better than
# single compression by this many nats per thousand blocks.
_MIN_GAIN_PER_1K = 25.0
_MIN_FREQUENCIES = 2
_SMOOTH_STD = 2.0
_FLAT_AC = 1  # blocks with at most this many non-zero low AC coefficients are flat
_WINDOW = 5  # blocks: the map is a posterior over a window of 5x5 blocks (40 px)
_EVIDENCE_SHRINK = 0.35  # neighbouring blocks are not independent
_LOG_RATIO_CLIP = (-3.0, 2.5)


def dq_analysis(context: ImageContext) -> ForensicResult:
    """Map blocks that lack the traces of the first of two aligned JPEG compressions.

    Returns
    -------
    ForensicResult
        ``heatmap``: posterior probability that a block was quantized only once on
        this grid, where the rest of the image was quantized twice. ``details``:
        ``first_quality_steps`` (estimated ``q1`` per used frequency),
        ``double_fraction`` (share of double-compressed blocks), ``frequencies_used``.
    """
    dct = context.dct
    if dct is None:
        return empty_result(
            NAME, context.size, "Not a JPEG (or its DCT could not be read): no DCT to analyse."
        )
    stored = context.stored_luma
    rows, cols = -(-stored.shape[0] // 8), -(-stored.shape[1] // 8)
    coefficients = dct.components[0][:rows, :cols]  # int16; one frequency widened at a time
    table = np.asarray(dct.quant_tables[0], dtype=np.int64)
    if rows * cols < _MIN_BLOCKS:
        return empty_result(NAME, context.size, "Too small for double-compression analysis.")
    calibration = block_dct(stored[4:, 4:], size=_DCT_SIZE)
    nonzero_ac = np.zeros((rows, cols), dtype=np.int32)
    for u, v in _ZIGZAG[1:]:
        nonzero_ac += coefficients[..., u, v] != 0
    flat = nonzero_ac <= _FLAT_AC
    brightest, darkest = channel_extremes(context.pixels)
    high = unorient(brightest, context.orientation)
    low = unorient(darkest, context.orientation)
    unreliable = _unreliable_blocks(stored, high, low, rows, cols)
    log_ratio = np.zeros((rows, cols), dtype=np.float64)
    used: dict[str, int] = {}
    alphas: list[float] = []
    total_gain = 0.0
    for u, v in _ZIGZAG:
        step = int(table[u, v])
        if step <= 0:  # a damaged table (a zero step quantizes nothing): nothing to fit
            continue
        frequency = coefficients[..., u, v].astype(np.int32)
        fit = _fit_frequency(frequency, calibration[..., u, v] / step, step, u + v == 0)
        if fit is None:
            continue
        first_step, alpha, gain, table_ratio, offset = fit
        used[f"{u},{v}"] = first_step
        alphas.append(alpha)
        total_gain += gain
        index = np.clip(frequency + offset, 0, table_ratio.size - 1)
        evidence = table_ratio[index]
        if u + v == 0:
            # In flat blocks all 64 pixels round the same way between the two saves,
            # so the DC coefficient drifts by up to 4 units: no DC evidence there.
            evidence = np.where(flat, 0.0, evidence)
        log_ratio += evidence
    # Smooth and clipped blocks break the model (their pixels round or clip together).
    log_ratio[unreliable] = 0.0
    if len(used) < _MIN_FREQUENCIES:
        return empty_result(
            NAME,
            context.size,
            "No trace of an earlier JPEG compression with other settings: single compression, "
            "or the same quality twice. This analysis cannot localize edits here.",
            frequencies_used=0,
        )
    double_fraction = float(np.median(alphas))
    prior = min(max(1.0 - double_fraction, 0.02), 0.5)
    window_evidence = box_mean(log_ratio, _WINDOW) * (_WINDOW * _WINDOW * _EVIDENCE_SHRINK)
    posterior = sigmoid(-window_evidence + math.log(prior / (1.0 - prior)))
    # Blocks with no usable coefficient (flat, all zero AC) carry no evidence at all.
    posterior = np.asarray(posterior, dtype=np.float32)
    stored_size = (stored.shape[1], stored.shape[0])
    full = orient(cells_to_map(posterior, 8, stored_size), context.orientation)
    heatmap = np.ascontiguousarray(full, dtype=np.float32)
    score = area_score(heatmap, full_area=0.02)
    found = float(np.mean(heatmap >= 0.5))
    text = (
        f"The image was JPEG-compressed at least twice (first-compression traces in "
        f"{double_fraction:.0%} of blocks across {len(used)} frequencies). "
    )
    if found >= 0.002:
        text += (
            f"{found:.1%} of the image lacks those traces: pasted or redrawn after the first save."
        )
    else:
        text += "No region lacks them."
    details: dict[str, Any] = {
        "first_quality_steps": used,
        "double_fraction": round(double_fraction, 3),
        "frequencies_used": len(used),
        "log_likelihood_gain": round(total_gain, 1),
        "flagged_fraction": round(found, 4),
    }
    return ForensicResult(NAME, heatmap, context.size, score, text, details)


def _unreliable_blocks(
    stored: NDArray[np.float32],
    brightest: NDArray[np.uint8],
    darkest: NDArray[np.uint8],
    rows: int,
    cols: int,
) -> NDArray[np.bool_]:
    """Blocks that are nearly flat (luma std < 2) or where a colour channel clips."""
    height, width = stored.shape
    pad = ((0, rows * 8 - height), (0, cols * 8 - width))
    padded = np.pad(stored, pad, mode="edge") if pad != ((0, 0), (0, 0)) else stored
    smooth = block_std(padded, 8) < _SMOOTH_STD
    # the edge cells padded by repetition hold no other values than their own pixels
    high = block_fold(brightest, 8, np.maximum, partial=True)
    low = block_fold(darkest, 8, np.minimum, partial=True)
    clipped = (high >= 253) | (low <= 2)
    out: NDArray[np.bool_] = smooth | clipped
    return out


def _fit_frequency(
    coefficients: NDArray[np.int32], calibrated: Float64Array, step: int, is_dc: bool
) -> tuple[int, float, float, Float64Array, int] | None:
    """Estimate ``q1`` and the double-compressed share for one frequency.

    Returns ``(q1, alpha, gain, log_ratio_by_bin, offset)`` where
    ``log_ratio_by_bin[c + offset]`` is the clipped log likelihood ratio (double vs
    single) of a coefficient value ``c``, or None when the frequency shows no double
    compression.
    """
    values = coefficients.ravel()
    limit = int(min(_MAX_BIN, np.percentile(np.abs(values), 99.5) + 2))
    if limit < 2:
        return None
    offset = limit
    size = 2 * limit + 1
    inside = np.abs(values) <= limit
    observed = np.bincount(values[inside] + offset, minlength=size).astype(np.float64)
    reference_values = np.rint(calibrated.ravel()).astype(np.int64)
    reference_values = reference_values[np.abs(reference_values) <= limit]
    reference = np.bincount(reference_values + offset, minlength=size).astype(np.float64)
    reference = np.convolve(reference + 0.5, [0.25, 0.5, 0.25], mode="same")
    usable = np.ones(size, dtype=bool)
    if not is_dc:
        usable[offset] = False  # zero bin: dominated by flat blocks, uninformative
    counts = observed[usable]
    total = counts.sum()
    if total < _MIN_BLOCKS:
        return None
    single = reference[usable] / reference[usable].sum()
    base_ll = float(np.sum(counts * np.log(single)))
    sigma = max(_NOISE / step, 0.05)
    firsts = np.array(_candidates(step))
    patterns = np.stack([_double_pattern(first / step, limit, sigma) for first in firsts])
    double = patterns[:, usable] * single
    norms = _row_sums(double)
    valid = norms > 0
    if not valid.any():
        return None
    # every candidate's mixture at once (row by row the same sums as one at a time)
    alphas, lls = _mixture_weights(counts, double[valid] / norms[valid, None], single)
    best = int(np.argmax(lls))  # the first of equal maxima, as a strict ">" scan keeps
    ll, alpha = float(lls[best]), float(alphas[best])
    first = int(firsts[valid][best])
    ratio = patterns[valid][best] / norms[valid][best]
    gain = ll - base_ll
    if gain < _MIN_GAIN_PER_1K * total / 1000.0 or alpha < 0.6:
        return None
    log_ratio = np.log(np.maximum(alpha * ratio + (1.0 - alpha), 1e-6))
    log_ratio = np.clip(log_ratio, *_LOG_RATIO_CLIP)
    if not is_dc:
        log_ratio[offset] = 0.0
    # Values outside the fitted range carry no evidence.
    padded = np.concatenate([[0.0], log_ratio, [0.0]])
    return first, alpha, gain, padded, offset + 1


def _candidates(step: int) -> range:
    return range(2, min(max(2 * step + 12, 24), 120) + 1)


def _double_pattern(ratio: float, limit: int, sigma: float) -> Float64Array:
    """Expected mass of each bin ``-limit..limit`` relative to single quantization.

    A coefficient quantized first with step ``q1`` sits at a multiple of
    ``ratio = q1 / q2`` (in units of the second step), blurred by rounding noise;
    each multiple collects a density width of ``ratio`` bins.
    """
    size = 2 * limit + 1
    count = math.ceil((limit + 1.5) / ratio)
    spikes = np.arange(-count, count + 1, dtype=np.float64) * ratio
    pattern = np.zeros(size + 8, dtype=np.float64)
    centres = np.rint(spikes).astype(np.int64)
    scale = 1.0 / (sigma * math.sqrt(2.0))
    for shift in range(-2, 3):
        bins = centres + shift
        upper = _erf((bins + 0.5 - spikes) * scale)
        lower = _erf((bins - 0.5 - spikes) * scale)
        mass = 0.5 * (upper - lower) * ratio
        index = bins + limit + 4
        keep = (index >= 0) & (index < pattern.size)
        np.add.at(pattern, index[keep], mass[keep])
    out: Float64Array = pattern[4 : 4 + size]
    return out


def _mixture_weights(
    counts: Float64Array, double: Float64Array, single: Float64Array
) -> tuple[Float64Array, Float64Array]:
    """EM for the weight of each row of ``double`` (candidates x bins) in a
    two-component mixture with ``single``; returns every row's (alpha, ll)."""
    alpha = np.full((double.shape[0], 1), 0.5)
    total = counts.sum()
    for _ in range(12):
        mixed = alpha * double + (1.0 - alpha) * single
        responsibility = alpha * double / np.maximum(mixed, 1e-300)
        alpha = np.clip(_row_sums(counts * responsibility)[:, None] / total, 0.0, 1.0)
    mixed = alpha * double + (1.0 - alpha) * single
    return alpha[:, 0], _row_sums(counts * np.log(np.maximum(mixed, 1e-300)))


def _row_sums(matrix: Float64Array) -> Float64Array:
    """Each row's sum as ``row.sum()`` gives it (``sum(axis=1)`` can differ in the last
    bit, and the fit is kept bit for bit the one-candidate-at-a-time one)."""
    return np.array([row.sum() for row in matrix], dtype=np.float64)


def _erf(values: Float64Array) -> Float64Array:
    """Error function (Abramowitz and Stegun 7.1.26, absolute error below 1.5e-7)."""
    sign = np.sign(values)
    x = np.abs(values)
    t = 1.0 / (1.0 + 0.3275911 * x)
    poly = t * (
        0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429)))
    )
    out: Float64Array = sign * (1.0 - poly * np.exp(-x * x))
    return out
