"""Perceptual-hash baselines for copy detection: pHash (imagehash) and PDQ (pdqhash)."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from PIL import Image

_INSTALL_HINT = "the hash baselines need: pip install 'pixelproof[baselines]'"


class _HammingIndex:
    """Brute-force Hamming search over packed bit codes (fine for benchmark sizes)."""

    n_bits: int
    name: str

    def __init__(self) -> None:
        self._ids: list[str] = []
        self._codes: list[NDArray[np.bool_]] = []

    def code(self, rgb: NDArray[np.uint8]) -> NDArray[np.bool_]:
        raise NotImplementedError

    def add(self, ref_id: str, rgb: NDArray[np.uint8]) -> None:
        self._ids.append(ref_id)
        self._codes.append(self.code(rgb))

    def search(self, rgb: NDArray[np.uint8], k: int) -> list[tuple[str, float]]:
        if not self._codes:
            return []
        distances = np.count_nonzero(np.stack(self._codes) != self.code(rgb), axis=1)
        order = np.argsort(distances, kind="stable")[:k]
        return [(self._ids[i], 1.0 - float(distances[i]) / self.n_bits) for i in order]


class PHashMatcher(_HammingIndex):
    """64-bit DCT perceptual hash; score = 1 - Hamming distance / 64."""

    name = "phash"
    n_bits = 64

    def code(self, rgb: NDArray[np.uint8]) -> NDArray[np.bool_]:
        try:
            import imagehash
        except ImportError as exc:
            raise ImportError(_INSTALL_HINT) from exc
        return np.asarray(imagehash.phash(Image.fromarray(rgb)).hash, dtype=bool).ravel()


class PdqMatcher(_HammingIndex):
    """Meta's 256-bit PDQ hash; score = 1 - Hamming distance / 256."""

    name = "pdq"
    n_bits = 256

    def code(self, rgb: NDArray[np.uint8]) -> NDArray[np.bool_]:
        try:
            import pdqhash
        except ImportError as exc:
            raise ImportError(_INSTALL_HINT) from exc
        bits, _quality = pdqhash.compute(np.ascontiguousarray(rgb))
        return np.asarray(bits, dtype=bool)
