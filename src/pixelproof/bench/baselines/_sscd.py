"""SSCD (Pizzi et al., CVPR 2022) as a copy-detection baseline.

The network itself (and where to get it) is :func:`pixelproof.nets.sscd_embedding`.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from ...nets import sscd_embedding


class SscdMatcher:
    """Exhaustive cosine search over SSCD descriptors."""

    name = "sscd"
    model = "sscd"

    def __init__(self) -> None:
        self._ids: list[str] = []
        self._vectors: list[NDArray[np.float32]] = []

    def add(self, ref_id: str, rgb: NDArray[np.uint8]) -> None:
        self._ids.append(ref_id)
        self._vectors.append(sscd_embedding(rgb, model=self.model))

    def search(self, rgb: NDArray[np.uint8], k: int) -> list[tuple[str, float]]:
        if not self._vectors:
            return []
        similarity = np.stack(self._vectors) @ sscd_embedding(rgb, model=self.model)
        order = np.argsort(-similarity, kind="stable")[:k]
        return [(self._ids[i], float(similarity[i])) for i in order]


class SscdDistilledMatcher(SscdMatcher):
    """The distilled MobileNetV4 student of SSCD (about 10x smaller)."""

    name = "sscd-distilled"
    model = "sscd_distilled"
