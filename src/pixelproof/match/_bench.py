"""pixelproof's own matcher for ``pixelproof bench match`` (see :func:`bench_system`)."""

from __future__ import annotations

import contextlib
import tempfile
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from ._index import DEFAULT_DESCRIPTOR, ProvenanceIndex


class BenchMatcher:
    """A :class:`ProvenanceIndex` in a temporary folder, behind the benchmark protocol.

    Parameters
    ----------
    descriptor : str
        Global descriptor spec (default ``"effnet"``).
    """

    name = "pixelproof"

    def __init__(self, descriptor: str = DEFAULT_DESCRIPTOR) -> None:
        self._folder = tempfile.TemporaryDirectory(prefix="pixelproof-bench-")
        self._index = ProvenanceIndex(
            Path(self._folder.name) / "bench.db", create=True, descriptor=descriptor
        )

    def add(self, ref_id: str, rgb: NDArray[np.uint8]) -> None:
        self._index.add(rgb, name=ref_id)

    def search(self, rgb: NDArray[np.uint8], k: int) -> list[tuple[str, float]]:
        result = self._index.search(rgb, k=k)
        return [(m.ref, m.score) for m in result.matches]

    def close(self) -> None:
        self._index.close()
        self._folder.cleanup()

    def __del__(self) -> None:
        with contextlib.suppress(Exception):
            self._folder.cleanup()


def bench_system() -> BenchMatcher:
    """The matcher ``pixelproof bench match`` runs under the name ``pixelproof``."""
    return BenchMatcher()
