"""The keyed layout of the watermark tile and its rendering into pixels.

The mark is one square tile of ``TILE_CHIPS x TILE_CHIPS`` chips repeated over the
whole image. A key-dependent permutation splits the chips into a synchronisation set
(known signs: it tells the detector where the tile starts and which way up it is) and
a payload set, in which each chip carries one coded bit multiplied by a keyed sign.
Each coded bit is spread over several chips scattered across the tile.
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
FORMAT_VERSION = 1

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
    """

    sync: FloatArray
    sync_mask: FloatArray
    bit_index: NDArray[np.intp]
    spread: FloatArray

    def chips(self, coded: NDArray[np.uint8]) -> FloatArray:
        """The chip values (+1/-1) of the tile carrying ``coded`` bits."""
        antipodal = 1.0 - 2.0 * coded.astype(np.float32)
        payload = np.where(self.bit_index >= 0, antipodal[np.maximum(self.bit_index, 0)], 0.0)
        return (self.sync + self.spread * payload).astype(np.float32)


@lru_cache(maxsize=32)
def make_layout(key: bytes) -> Layout:
    """The layout for a (normalised) key."""
    digest = hashlib.blake2b(key, digest_size=32, person=b"pixelproof-wm1").digest()
    rng = np.random.Generator(np.random.PCG64(int.from_bytes(digest, "big")))
    n = TILE_CHIPS * TILE_CHIPS
    order = rng.permutation(n)
    sync = np.zeros(n, dtype=np.float32)
    sync[order[:SYNC_CHIPS]] = rng.choice(np.array([-1.0, 1.0], dtype=np.float32), SYNC_CHIPS)
    bit_index = np.full(n, -1, dtype=np.intp)
    payload_chips = order[SYNC_CHIPS:]
    bit_index[payload_chips] = np.arange(payload_chips.size) % N_CODED
    spread = np.zeros(n, dtype=np.float32)
    spread[payload_chips] = rng.choice(np.array([-1.0, 1.0], dtype=np.float32), payload_chips.size)
    shape = (TILE_CHIPS, TILE_CHIPS)
    for array in (sync, bit_index, spread):
        array.setflags(write=False)
    return Layout(
        sync=sync.reshape(shape),
        sync_mask=(sync != 0).astype(np.float32).reshape(shape),
        bit_index=bit_index.reshape(shape),
        spread=spread.reshape(shape),
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
