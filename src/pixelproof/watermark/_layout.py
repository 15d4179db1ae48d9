"""The keyed layout of the watermark tile and its rendering into pixels.

The mark is one square tile of ``TILE_CHIPS x TILE_CHIPS`` chips repeated over the
whole image. A key-dependent permutation splits the chips into a synchronisation set
(known signs: it tells the detector where the tile starts and which way up it is) and
a payload set, in which each chip carries one coded bit multiplied by a keyed sign.
Each coded bit is spread over several chips scattered across the tile.

A second, coarse layer shares the tile: ``COARSE_CHIPS x COARSE_CHIPS`` chips, each
``COARSE_FACTOR`` fine chips wide, rendered in the same band relative to their size,
so three times lower in frequency. It is what survives where codecs flatten smooth
areas (WebP, strong JPEG), whose fine chips are gone. Its own keyed permutation gives
``COARSE_SYNC_CHIPS`` synchronisation chips; the others carry a punctured subset of
the coded bits (all of the first generator's outputs, then every other one of the
second's): a rate-0.6 code that decodes on its own when the fine layer is lost.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from numpy.typing import NDArray

from ._ecc import CRC_BITS, coded_length

TILE_CHIPS = 33
"""Chips per tile side (odd, so the tile period is never a multiple of the 8-pixel JPEG grid)."""
PAYLOAD_BITS = 32
"""User bits carried by the mark."""
INFO_BITS = PAYLOAD_BITS + CRC_BITS
N_CODED = coded_length(INFO_BITS)
SYNC_CHIPS = 256
"""Chips reserved for synchronisation (the rest carry the payload)."""
COARSE_FACTOR = 3
"""Fine chips per coarse chip side (``TILE_CHIPS`` is a multiple of it)."""
COARSE_CHIPS = TILE_CHIPS // COARSE_FACTOR
COARSE_SYNC_CHIPS = 40
"""Coarse chips reserved for synchronisation (the other 81 carry coded bits)."""
FORMAT_VERSION = 2

FloatArray = NDArray[np.float32]

# Band-pass of the rendered chips, in cycles per chip.
_F_HIGH = 0.7
_F_LOW = 0.3


def key_bytes(key: str | bytes) -> bytes:
    """Normalise a key given as text (UTF-8) or bytes."""
    if isinstance(key, str):
        data = key.encode("utf-8")
    elif isinstance(key, bytes | bytearray | memoryview):
        data = bytes(key)
    else:
        raise TypeError(f"key must be str or bytes, got {type(key).__name__}")
    if not data:
        raise ValueError("key must not be empty")
    return data


@dataclass(frozen=True, eq=False)
class Layout:
    """Where each chip of the tile goes, for one key.

    The coarse layer's arrays are on the same ``(P, P)`` grid of fine chips, non-zero
    only at the centre of each coarse chip (every ``COARSE_FACTOR``-th fine chip,
    starting at ``COARSE_FACTOR // 2``), so that the detector scores both layers at
    the same cyclic shifts.

    Attributes
    ----------
    sync : (P, P) float32 ndarray
        +1/-1 on synchronisation chips, 0 on payload chips.
    sync_mask : (P, P) float32 ndarray
        1 on synchronisation chips, 0 elsewhere.
    bit_index : (P, P) int ndarray
        Coded-bit index carried by each payload chip (-1 on synchronisation chips).
    spread : (P, P) float32 ndarray
        Keyed sign of each payload chip (0 on synchronisation chips).
    coarse_sync, coarse_sync_mask, coarse_bit_index, coarse_spread : (P, P) ndarrays
        The same for the coarse layer (``coarse_bit_index`` is -1 off the coarse
        payload chips' centres).
    """

    sync: FloatArray
    sync_mask: FloatArray
    bit_index: NDArray[np.intp]
    spread: FloatArray
    coarse_sync: FloatArray
    coarse_sync_mask: FloatArray
    coarse_bit_index: NDArray[np.intp]
    coarse_spread: FloatArray

    def chips(self, coded: NDArray[np.uint8]) -> FloatArray:
        """The fine chip values (+1/-1) of the tile carrying ``coded`` bits, (P, P)."""
        return _chip_values(self.sync, self.bit_index, self.spread, coded)

    def coarse_chips(self, coded: NDArray[np.uint8]) -> FloatArray:
        """The coarse chip values (+1/-1), ``(COARSE_CHIPS, COARSE_CHIPS)``."""
        centres = _coarse_centres()
        values = _chip_values(self.coarse_sync, self.coarse_bit_index, self.coarse_spread, coded)
        return np.ascontiguousarray(values[centres, :][:, centres])


def _chip_values(
    sync: FloatArray, bit_index: NDArray[np.intp], spread: FloatArray, coded: NDArray[np.uint8]
) -> FloatArray:
    antipodal = 1.0 - 2.0 * coded.astype(np.float32)
    payload = np.where(bit_index >= 0, antipodal[np.maximum(bit_index, 0)], 0.0)
    return (sync + spread * payload).astype(np.float32)


def _coarse_centres() -> slice:
    return slice(COARSE_FACTOR // 2, TILE_CHIPS, COARSE_FACTOR)


def _punctured_order() -> NDArray[np.intp]:
    """The coded bits the coarse payload chips carry: every output of the first
    generator and every other one of the second (81 of 162)."""
    steps = np.arange(N_CODED // 3)
    return np.concatenate([3 * steps, 3 * steps[::2] + 1])


def _keyed_chips(
    key: bytes, person: bytes, side: int, n_sync: int, coded_order: NDArray[np.intp]
) -> tuple[FloatArray, NDArray[np.intp], FloatArray]:
    """Sync signs, coded-bit index and spread signs of a ``side x side`` chip grid.

    A key-seeded permutation takes ``n_sync`` chips for synchronisation; the others
    carry the coded bits in ``coded_order``, cyclically.
    """
    digest = hashlib.blake2b(key, digest_size=32, person=person).digest()
    rng = np.random.Generator(np.random.PCG64(int.from_bytes(digest, "big")))
    n = side * side
    order = rng.permutation(n)
    signs = np.array([-1.0, 1.0], dtype=np.float32)
    sync = np.zeros(n, dtype=np.float32)
    sync[order[:n_sync]] = rng.choice(signs, n_sync)
    bit_index = np.full(n, -1, dtype=np.intp)
    payload_chips = order[n_sync:]
    bit_index[payload_chips] = coded_order[np.arange(payload_chips.size) % coded_order.size]
    spread = np.zeros(n, dtype=np.float32)
    spread[payload_chips] = rng.choice(signs, payload_chips.size)
    shape = (side, side)
    return sync.reshape(shape), bit_index.reshape(shape), spread.reshape(shape)


@lru_cache(maxsize=32)
def make_layout(key: bytes) -> Layout:
    """The layout for a (normalised) key."""
    sync, bit_index, spread = _keyed_chips(
        key, b"pixelproof-wm1", TILE_CHIPS, SYNC_CHIPS, np.arange(N_CODED)
    )
    coarse = _keyed_chips(
        key, b"pixelproof-wm2c", COARSE_CHIPS, COARSE_SYNC_CHIPS, _punctured_order()
    )
    # the coarse layer on the fine grid, at the coarse chips' centres
    c_sync, c_index, c_spread = (np.zeros((TILE_CHIPS, TILE_CHIPS), a.dtype) for a in coarse)
    c_index -= 1
    centres = _coarse_centres()
    for grid, values in zip((c_sync, c_index, c_spread), coarse, strict=True):
        grid[centres, centres] = values
    arrays = (sync, bit_index, spread, c_sync, c_index, c_spread)
    for array in arrays:
        array.setflags(write=False)
    return Layout(
        sync=sync,
        sync_mask=(sync != 0).astype(np.float32),
        bit_index=bit_index,
        spread=spread,
        coarse_sync=c_sync,
        coarse_sync_mask=(c_sync != 0).astype(np.float32),
        coarse_bit_index=c_index,
        coarse_spread=c_spread,
    )


def chip_filter(size: int, samples_per_chip: float) -> NDArray[np.float64]:
    """The band-pass transfer function on a ``size x size`` periodic grid.

    ``samples_per_chip`` is the grid's resolution; frequencies are in cycles per chip.
    """
    f = np.fft.fftfreq(size) * samples_per_chip
    r2 = f[:, None] ** 2 + f[None, :] ** 2
    return np.exp(-0.5 * r2 / _F_HIGH**2) * (1.0 - np.exp(-0.5 * r2 / _F_LOW**2))


def render_tile(chips: FloatArray, chip_px: int) -> FloatArray:
    """Render chip values as a smooth periodic tile of ``P * chip_px`` pixels, unit RMS."""
    up = np.repeat(np.repeat(chips, chip_px, axis=0), chip_px, axis=1).astype(np.float64)
    size = up.shape[0]
    spectrum = np.fft.rfft2(up)
    h = chip_filter(size, chip_px)[:, : size // 2 + 1]
    tile = np.fft.irfft2(spectrum * h, s=up.shape)
    tile /= np.sqrt(np.mean(tile**2)) + 1e-12
    return tile.astype(np.float32)
