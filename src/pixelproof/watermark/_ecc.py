"""Error control for the payload: CRC-16 and a K=7, rate-1/3 convolutional code.

The encoder is the classic constraint-length-7 code with generators 133, 171 and 165
(octal), terminated with six zero tail bits. The decoder is max-log-MAP (the
forward-backward algorithm with ``max`` in place of ``log-sum-exp``): its hard
decisions are those of a soft-decision Viterbi decoder, and it also gives a
log-likelihood ratio for every information bit, which becomes the per-bit confidence.
"""

from __future__ import annotations

from functools import cache

import numpy as np
from numpy.typing import NDArray

CONSTRAINT = 7
MEMORY = CONSTRAINT - 1
GENERATORS = (0o133, 0o171, 0o165)
RATE_INV = len(GENERATORS)
N_STATES = 1 << MEMORY
CRC_BITS = 16
_CRC_POLY = 0x1021  # CRC-16/CCITT
_CRC_INIT = 0xFFFF

BitArray = NDArray[np.uint8]
FloatArray = NDArray[np.float64]


def crc16(bits: BitArray) -> BitArray:
    """CRC-16/CCITT (initial value 0xFFFF) of a bit sequence, as 16 bits, MSB first."""
    reg = _CRC_INIT
    for bit in bits.tolist():
        top = ((reg >> 15) & 1) ^ int(bit)
        reg = (reg << 1) & 0xFFFF
        if top:
            reg ^= _CRC_POLY
    return np.array([(reg >> (15 - i)) & 1 for i in range(16)], dtype=np.uint8)


@cache
def _trellis() -> tuple[NDArray[np.intp], NDArray[np.float64], NDArray[np.intp]]:
    """Next states (S, 2), antipodal outputs (S, 2, R) and predecessors (S, 2, 2)."""
    next_state = np.zeros((N_STATES, 2), dtype=np.intp)
    outputs = np.zeros((N_STATES, 2, RATE_INV), dtype=np.float64)
    for state in range(N_STATES):
        for bit in (0, 1):
            register = (bit << MEMORY) | state
            next_state[state, bit] = register >> 1
            for k, gen in enumerate(GENERATORS):
                parity = bin(register & gen).count("1") & 1
                outputs[state, bit, k] = 1.0 - 2.0 * parity  # bit 0 -> +1, bit 1 -> -1
    # predecessors[ns] = ((state, bit), (state, bit)) for the two branches into ns
    predecessors = np.zeros((N_STATES, 2, 2), dtype=np.intp)
    filled = np.zeros(N_STATES, dtype=np.intp)
    for state in range(N_STATES):
        for bit in (0, 1):
            ns = next_state[state, bit]
            predecessors[ns, filled[ns]] = (state, bit)
            filled[ns] += 1
    return next_state, outputs, predecessors


def coded_length(n_info: int) -> int:
    """Number of coded bits for ``n_info`` information bits (tail included)."""
    return (n_info + MEMORY) * RATE_INV


def conv_encode(bits: BitArray) -> BitArray:
    """Encode information bits; returns ``coded_length(len(bits))`` bits."""
    next_state, outputs, _ = _trellis()
    state = 0
    out: list[int] = []
    for bit in [*bits.tolist(), *([0] * MEMORY)]:
        out.extend(int(v < 0) for v in outputs[state, bit])
        state = int(next_state[state, bit])
    return np.array(out, dtype=np.uint8)


def conv_decode(llr: FloatArray, n_info: int) -> tuple[BitArray, FloatArray]:
    """Max-log-MAP decoding.

    Parameters
    ----------
    llr : (coded_length(n_info),) float ndarray
        Log-likelihood ratios ``log P(c=0) / P(c=1)`` of the coded bits.
    n_info : int
        Number of information bits.

    Returns
    -------
    bits : (n_info,) uint8 ndarray
        The decoded information bits.
    info_llr : (n_info,) float ndarray
        Max-log LLR of each information bit (positive favours 0).
    """
    next_state, outputs, predecessors = _trellis()
    steps = n_info + MEMORY
    if llr.shape != (steps * RATE_INV,):
        raise ValueError(f"expected {steps * RATE_INV} LLRs, got {llr.shape}")
    # gamma[t, s, b]: branch metric of leaving state s with input b at step t
    gamma = 0.5 * np.einsum("tk,sbk->tsb", llr.reshape(steps, RATE_INV), outputs)
    neg = -1e30
    alpha = np.full((steps + 1, N_STATES), neg)
    alpha[0, 0] = 0.0
    p_state, p_bit = predecessors[..., 0], predecessors[..., 1]
    for t in range(steps):
        cand = alpha[t][p_state] + gamma[t][p_state, p_bit]
        if t >= n_info:  # tail: only zero inputs are possible
            cand = np.where(p_bit == 0, cand, neg)
        alpha[t + 1] = cand.max(axis=1)
    beta = np.full((steps + 1, N_STATES), neg)
    beta[steps, 0] = 0.0
    for t in range(steps - 1, -1, -1):
        cand = beta[t + 1][next_state] + gamma[t]
        if t >= n_info:
            cand[:, 1] = neg
        beta[t] = cand.max(axis=1)
    info = alpha[:n_info, :, None] + gamma[:n_info] + beta[1 : n_info + 1][:, next_state]
    best = info.max(axis=1)  # (n_info, 2)
    info_llr = best[:, 0] - best[:, 1]
    bits = (info_llr < 0).astype(np.uint8)
    return bits, info_llr
