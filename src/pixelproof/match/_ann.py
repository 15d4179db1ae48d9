"""Approximate nearest-neighbour search over the global descriptors (FAISS).

The FAISS index is a cache of the ``vectors`` table (:mod:`._store`): a snapshot file
beside the database covers every vector up to the id in its name, and whatever was
committed after it is added from SQLite when the index is opened. So a writer killed
mid-way leaves either the old snapshot or the new one (written to a temporary file,
then renamed), and readers opening the index while a writer adds see everything
committed so far.

Index structures, named by FAISS factory strings:

``Flat``
    Exact inner-product search over float32 vectors (the default below
    :data:`AUTO_COMPRESS_AT` vectors).
``IVF<n>,PQ<m>``
    Inverted lists with product-quantized codes of ``m`` bytes per vector, trained on
    the stored vectors; the candidates are re-ranked with the exact vectors read back
    from SQLite. ``auto`` switches to it at :data:`AUTO_COMPRESS_AT` vectors, with at
    most :data:`AUTO_MAX_LISTS` lists.
"""

from __future__ import annotations

import math
import os
import re
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ._common import missing_extra
from ._store import Store

AUTO_COMPRESS_AT = 200_000
AUTO_MAX_LISTS = 4096
"""Every vector added is compared with every list centre (one matrix product), so the
build time grows with the list count. Measured on this 2-core machine under load, per
100,000 vectors of 256 dimensions: 15 s to add them to 4,096 lists; for 16,384 lists,
finding the nearest centre of 99.7% of them alone took 26 s through an HNSW graph and
29 s through the centres in 128 groups, and quicker searches (98% and 94% found) lost
9% and 19% of recall@1 (``benchmarks/scale_ray.py``'s synthetic descriptors). A query
scanning 64 of 4,096 lists at 10M vectors still reads only 156,000 codes."""
TRAIN_SIZE = 131_072
"""Vectors a compressed structure is trained on (a random sample of the collection)."""
MAX_SPEC_NUMBER = 1 << 20  # largest list count or code size accepted in a structure spec
MAX_CODE_BITS = 12  # largest bits per product-quantizer code (the codebook has 2**bits rows)
_SNAPSHOT = re.compile(r"^ann-(-?\d+)\.faiss$")


BLAS_FROM_QUERIES = 8
"""Exact search of at least this many vectors at once runs as one BLAS matrix product:
for the 18 parts of a query about 4x faster on one core than FAISS's default (which
scans the references once per vector), while a few vectors are faster scanned."""
_SCAN_ALWAYS = 1 << 30


def faiss_module() -> Any:
    try:
        import faiss
    except ImportError as exc:
        raise missing_extra("faiss-cpu") from exc
    return faiss


def auto_spec(count: int, dim: int) -> str:
    """The structure ``auto`` picks for ``count`` vectors of ``dim`` dimensions."""
    if count < AUTO_COMPRESS_AT:
        return "Flat"
    nlist = 2 ** round(math.log2(4 * math.sqrt(count)))
    return f"IVF{min(nlist, AUTO_MAX_LISTS)},PQ{max(8, dim // 8)}"


class AnnIndex:
    """A FAISS index over ``(id, vector)`` pairs, inner-product (cosine) metric.

    Parameters
    ----------
    dim : int
        Descriptor dimension.
    spec : str
        A FAISS factory string (``"Flat"``, ``"IVF4096,PQ32"``) or ``"auto"``.
    """

    def __init__(self, dim: int, spec: str = "auto") -> None:
        self.dim = dim
        self.spec = spec
        self.built_spec = "Flat"
        self.max_id = -1
        self.nprobe = 64
        self._index = self._make("Flat")

    @staticmethod
    def check_spec(dim: int, spec: str) -> None:
        """Raise ``ValueError`` unless ``spec`` names a structure FAISS can build for ``dim``.

        Sizes in the spec are bounded first (at most :data:`MAX_SPEC_NUMBER`), so that a
        spec read from a damaged or hostile index file cannot make FAISS allocate
        without bound.
        """
        if spec in ("auto", "Flat"):
            return
        numbers = [int(n) for n in re.findall(r"\d+", spec)]
        code_bits = [int(n) for n in re.findall(r"x(\d+)", spec)]  # PQ codebooks: 2**bits
        if (
            len(spec) > 100
            or any(n > MAX_SPEC_NUMBER for n in numbers)
            or any(n > MAX_CODE_BITS for n in code_bits)
        ):
            raise ValueError(f"FAISS structure {spec[:100]!r} is too large")
        faiss = faiss_module()
        try:
            faiss.index_factory(dim, spec, faiss.METRIC_INNER_PRODUCT)
        except RuntimeError as exc:
            message = str(exc).strip().splitlines()[-1:] or ["not a factory string"]
            raise ValueError(f"FAISS cannot build {spec!r}: {message[0][:200]}") from None

    def _make(self, spec: str, train: NDArray[np.float32] | None = None) -> Any:
        faiss = faiss_module()
        if spec == "Flat":
            return faiss.IndexIDMap2(faiss.IndexFlatIP(self.dim))
        index = faiss.index_factory(self.dim, spec, faiss.METRIC_INNER_PRODUCT)
        if not index.is_trained:
            if train is None or train.shape[0] == 0:
                raise ValueError(f"index structure {spec!r} needs training vectors")
            ivf = faiss.try_extract_index_ivf(index)
            if ivf is not None and hasattr(faiss.downcast_index(ivf), "do_polysemous_training"):
                # The factory turns on a re-ordering of the PQ codes for Hamming search,
                # which nothing here uses (the distances stay the same): it took half of
                # the training time (100 of 205 s for IVF4096,PQ32 on 131,072 vectors).
                faiss.downcast_index(ivf).do_polysemous_training = False
            index.train(np.ascontiguousarray(train, dtype=np.float32))
        return index

    @property
    def faiss_index(self) -> Any:
        """The FAISS object itself (to measure or tune it)."""
        return self._index

    @property
    def ntotal(self) -> int:
        return int(self._index.ntotal)

    def add(self, ids: NDArray[np.int64], vectors: NDArray[np.float32]) -> None:
        if len(ids) == 0:
            return
        self._index.add_with_ids(
            np.ascontiguousarray(vectors, dtype=np.float32), np.ascontiguousarray(ids, np.int64)
        )
        self.max_id = max(self.max_id, int(ids.max()))

    def remove(self, ids: NDArray[np.int64]) -> None:
        if len(ids):
            faiss = faiss_module()
            self._index.remove_ids(faiss.IDSelectorBatch(np.ascontiguousarray(ids, np.int64)))

    def search(
        self, queries: NDArray[np.float32], k: int
    ) -> tuple[NDArray[np.float32], NDArray[np.int64]]:
        """``(similarities, ids)``, both ``(n, k)``; missing neighbours have id -1."""
        if self.ntotal == 0:
            n = queries.shape[0]
            return np.full((n, k), -np.inf, np.float32), np.full((n, k), -1, np.int64)
        faiss = faiss_module()
        if self.built_spec != "Flat":
            faiss.ParameterSpace().set_index_parameter(self._index, "nprobe", self.nprobe)
        many = queries.shape[0] >= BLAS_FROM_QUERIES
        faiss.cvar.distance_compute_blas_threshold = BLAS_FROM_QUERIES if many else _SCAN_ALWAYS
        sims, ids = self._index.search(np.ascontiguousarray(queries, dtype=np.float32), k)
        return np.asarray(sims, np.float32), np.asarray(ids, np.int64)

    # -- persistence ----------------------------------------------------------------
    @staticmethod
    def snapshot_dir(db_path: Path) -> Path:
        return db_path.with_name(db_path.name + "-ann")

    @classmethod
    def open(cls, store: Store, dim: int, spec: str = "auto") -> AnnIndex:
        """The latest snapshot plus every vector committed after it."""
        faiss = faiss_module()
        ann = cls(dim, spec)
        folder = cls.snapshot_dir(store.path)
        snapshots = _snapshots(folder)
        for max_id, path in reversed(snapshots):
            try:
                index = faiss.read_index(str(path))
            except RuntimeError:
                continue  # unreadable (partially deleted): try an older one
            if index.d != dim:
                continue
            ann._index = index
            ann.max_id = max_id
            ann.built_spec = _describe(index)
            ann.remove(store.removed_up_to(max_id))
            break
        ann.catch_up(store)
        return ann

    def catch_up(self, store: Store, *, batch: int = 50_000) -> int:
        """Add the vectors committed after ``max_id``; return how many."""
        added = 0
        while True:
            ids, vectors = store.vectors_after(self.max_id, limit=batch)
            if len(ids) == 0:
                return added
            self.add(ids, vectors)
            added += len(ids)

    def save(self, store: Store) -> Path:
        """Write a snapshot (rebuilding a compressed structure when due) atomically."""
        faiss = faiss_module()
        counts = store.counts()
        wanted = self.spec if self.spec != "auto" else auto_spec(counts["vectors"], self.dim)
        if wanted != self.built_spec:
            self._rebuild(store, wanted)
        folder = self.snapshot_dir(store.path)
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / f"ann-{self.max_id}.faiss"
        handle, temp = tempfile.mkstemp(dir=folder, prefix=".ann-", suffix=".tmp")
        os.close(handle)
        try:
            faiss.write_index(self._index, temp)
            with open(temp, "rb+") as file:
                os.fsync(file.fileno())
            os.replace(temp, target)
        finally:
            if os.path.exists(temp):
                os.unlink(temp)
        for max_id, path in _snapshots(folder):
            if max_id != self.max_id:
                path.unlink(missing_ok=True)
        return target

    @classmethod
    def trained(cls, dim: int, spec: str, sample: NDArray[np.float32]) -> AnnIndex:
        """An empty index of structure ``spec`` trained on ``sample`` (a few hundred
        thousand vectors drawn from the whole collection); the vectors are then added
        batch by batch with :meth:`add`, as a distributed build adds its shards."""
        ann = cls(dim, spec)
        ann._index = ann._make(spec, sample)
        ann.built_spec = spec
        return ann

    def _rebuild(self, store: Store, spec: str, *, train_size: int = TRAIN_SIZE) -> None:
        fresh = self.trained(self.dim, spec, store.sample_vectors(train_size))
        self._index = fresh._index
        self.built_spec = spec
        self.max_id = -1
        self.catch_up(store)


def _describe(index: Any) -> str:
    faiss = faiss_module()
    inner = faiss.downcast_index(index)
    if isinstance(inner, faiss.IndexIDMap2 | faiss.IndexIDMap):
        return "Flat"
    ivf = faiss.try_extract_index_ivf(inner)
    if ivf is not None:
        pq = getattr(faiss.downcast_index(ivf), "pq", None)
        if pq is not None:
            bits = "" if int(pq.nbits) == 8 else f"x{int(pq.nbits)}"
            return f"IVF{ivf.nlist},PQ{pq.M}{bits}"
        return f"IVF{ivf.nlist}"
    return "Flat"


def _snapshots(folder: Path) -> list[tuple[int, Path]]:
    if not folder.is_dir():
        return []
    found = []
    for path in folder.iterdir():
        match = _SNAPSHOT.match(path.name)
        if match:
            found.append((int(match.group(1)), path))
    return sorted(found)
