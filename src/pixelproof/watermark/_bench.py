"""The adapter ``pixelproof bench watermark`` uses to run pixelproof's own mark."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from ._api import DEFAULT_KEY, detect, embed
from ._layout import PAYLOAD_BITS


class PixelproofWatermarkSystem:
    """pixelproof's mark behind the benchmark's ``embed/decode/detect`` protocol."""

    name = "pixelproof"
    n_bits = PAYLOAD_BITS

    def __init__(self, key: str | bytes = DEFAULT_KEY) -> None:
        self.key = key

    def embed(self, rgb: NDArray[np.uint8], bits: NDArray[np.bool_]) -> NDArray[np.uint8]:
        if len(bits) != self.n_bits:
            raise ValueError(f"pixelproof carries exactly {self.n_bits} bits, got {len(bits)}")
        value = 0
        for bit in np.asarray(bits, dtype=bool).tolist():
            value = (value << 1) | int(bit)
        return np.asarray(embed(rgb, value, key=self.key), dtype=np.uint8)

    def decode(self, rgb: NDArray[np.uint8]) -> NDArray[np.bool_]:
        return self.detect(rgb)[1]

    def detect(self, rgb: NDArray[np.uint8]) -> tuple[bool, NDArray[np.bool_]]:
        """Whether the mark is there (p <= 1e-6 and CRC), and the best-guess bits."""
        result = detect(rgb, key=self.key)
        value = int(str(result.details["decoded_message"]), 16)
        bits = np.array([(value >> (self.n_bits - 1 - i)) & 1 for i in range(self.n_bits)])
        return result.detected, bits.astype(bool)


def bench_system() -> PixelproofWatermarkSystem:
    """Factory the benchmark runner looks up as ``pixelproof.watermark.bench_system``."""
    return PixelproofWatermarkSystem()
