"""De-duplication: group a collection into exact duplicates, near-duplicates and edited copies.

1. **Exact**: files with the same SHA-256 are linked.
2. Every distinct image gets the same features as a query and as a reference; they go
   to a temporary index (local features on disk, global descriptors in FAISS).
3. Each image is searched against all the others (its mirror images included); the
   ``neighbours`` most similar are verified with local features and scored with the
   calibrated model. Pairs above ``threshold`` are linked: **near** when their PDQ
   hashes are within ``near_distance`` bits (visually the same picture, re-encoded
   or resized), **edited** otherwise (crops, flips, rotations, overlays...).
4. Links are merged into groups (union-find). Each image's ``kind`` is the strongest
   link that put it in its group, ``unique`` when it has none.

The default ``threshold`` is the calibration's strict one (no false link among the
calibration set's unrelated pairs), because one wrong link merges two groups.
"""

from __future__ import annotations

import sqlite3
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ._features import FeatureFailure, ImageFeatures
from ._index import DEFAULT_DESCRIPTOR, ProvenanceIndex
from ._local import LocalFeatures
from ._search import GENERIC_RANK, generic_similarity, verify_pair
from ._types import DedupKind, DedupRow

NEAR_DISTANCE = 31
_RANK: dict[str, int] = {"unique": 0, "edited": 1, "near": 2, "exact": 3}


@dataclass(frozen=True)
class Link:
    """An accepted duplicate pair (indices into the input list)."""

    a: int
    b: int
    kind: DedupKind
    score: float


@dataclass
class DedupResult:
    """Rows in input order, plus the accepted links."""

    rows: list[DedupRow]
    links: list[Link] = field(default_factory=list)
    threshold: float = 0.5

    def groups(self) -> dict[int, list[DedupRow]]:
        """Members of every group with more than one image."""
        found: dict[int, list[DedupRow]] = {}
        for row in self.rows:
            if row.ok:
                found.setdefault(row.group, []).append(row)
        return {g: rows for g, rows in found.items() if len(rows) > 1}


class _UnionFind:
    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def group_duplicates(
    entries: Sequence[ImageFeatures | FeatureFailure],
    *,
    descriptor: str = DEFAULT_DESCRIPTOR,
    threshold: float | None = None,
    neighbours: int = 10,
    near_distance: int = NEAR_DISTANCE,
) -> DedupResult:
    """Group a collection, given every image's features, into duplicate clusters.

    Parameters
    ----------
    entries : sequence of ImageFeatures or FeatureFailure
        One per input, in input order, computed as a query and as a reference
        (:class:`~pixelproof.match.FeatureOptions` ``query=True, reference=True``).
    descriptor : str
        Global descriptor spec used for the candidate search.
    threshold : float, optional
        Calibrated score above which a verified pair is a duplicate (default: the
        calibration's strict threshold).
    neighbours : int
        Candidates verified per image.
    near_distance : int
        PDQ Hamming distance (of 256 bits) under which a linked pair is ``near``.

    Returns
    -------
    DedupResult
    """
    paths = [entry.path for entry in entries]
    n = len(entries)
    hashes = [e.sha256 if isinstance(e, ImageFeatures) else None for e in entries]
    failures = {i: e for i, e in enumerate(entries) if isinstance(e, FeatureFailure)}
    first_of: dict[str, int] = {}
    links: list[Link] = []
    for i, sha in enumerate(hashes):
        if sha is None:
            continue
        if sha in first_of:
            links.append(Link(first_of[sha], i, "exact", 1.0))
        else:
            first_of[sha] = i
    unique = sorted(first_of.values())
    with tempfile.TemporaryDirectory(prefix="pixelproof-dedup-") as folder:
        index = ProvenanceIndex(Path(folder) / "dedup.db", create=True, descriptor=descriptor)
        limit = threshold if threshold is not None else index.calibration.strict_score
        mirrors = _MirrorStore(Path(folder) / "mirrors.db")
        index_of: dict[str, int] = {}  # sha256 -> input position
        queries: dict[int, np.ndarray] = {}
        pdq: dict[int, bytes] = {}
        batch: list[ImageFeatures] = []
        for position in unique:
            result = entries[position]
            assert isinstance(result, ImageFeatures) and result.query_vectors is not None
            index_of[result.sha256] = position
            queries[position] = result.query_vectors
            pdq[position] = result.pdq
            if result.local_mirror is not None:
                mirrors.put(position, result.local_mirror)
            batch.append(result)
            if len(batch) >= 64:
                index.add_features(batch)
                batch.clear()
        if batch:
            index.add_features(batch)
        position_of_id = {record.id: index_of[record.sha256] for record in index.records()}
        seen: set[tuple[int, int]] = set()
        for position, vectors in queries.items():
            candidates = index.candidates(vectors, max(neighbours + 1, GENERIC_RANK + 1))
            others = [s for i, s in candidates.items() if position_of_id.get(i) != position]
            generic = generic_similarity(vectors, index.descriptor.bank, others)
            candidates = dict(list(candidates.items())[: neighbours + 1])
            own = index.store.image_by_sha(hashes[position] or "")
            if own is None:
                continue
            query_local = LocalFeatures.from_bytes(index.store.local_features(own.id) or b"")
            for image_id, similarity in candidates.items():
                other = position_of_id.get(image_id)
                if other is None or other == position:
                    continue
                pair = (min(position, other), max(position, other))
                if pair in seen:
                    continue
                seen.add(pair)
                check = verify_pair(query_local, mirrors.get(position), _local_of(index, image_id))
                score = index.calibration.score(similarity - generic, check.inliers)
                if score <= limit:
                    continue
                distance = _hamming(pdq[position], pdq[other])
                kind: DedupKind = (
                    "near" if distance <= near_distance and not check.mirrored else "edited"
                )
                links.append(Link(pair[0], pair[1], kind, score))
        mirrors.close()
        index.close()
    return _assemble(paths, hashes, links, failures, limit, n)


def _local_of(index: ProvenanceIndex, image_id: int) -> LocalFeatures:
    blob = index.store.local_features(image_id)
    return (
        LocalFeatures.from_bytes(blob)
        if blob
        else LocalFeatures(np.zeros((0, 2), np.float32), np.zeros((0, 128), np.uint8), 1, 1)
    )


def _hamming(a: bytes, b: bytes) -> int:
    x = np.frombuffer(a, np.uint8) ^ np.frombuffer(b, np.uint8)
    return int(np.unpackbits(x).sum())


def _assemble(
    paths: Sequence[str],
    hashes: Sequence[str | None],
    links: list[Link],
    failures: dict[int, FeatureFailure],
    threshold: float,
    n: int,
) -> DedupResult:
    sets = _UnionFind(n)
    best: dict[int, tuple[DedupKind, int, float]] = {}
    for link in links:
        sets.union(link.a, link.b)
        for me, other in ((link.a, link.b), (link.b, link.a)):
            current = best.get(me)
            if current is None or _RANK[link.kind] > _RANK[current[0]]:
                best[me] = (link.kind, other, link.score)
    exact_failed = {i for i in failures}
    for link in links:  # an exact copy of an unreadable file is unreadable too
        if link.kind == "exact" and link.a in exact_failed:
            exact_failed.add(link.b)
    group_number: dict[int, int] = {}
    rows: list[DedupRow] = []
    for i, path in enumerate(paths):
        if i in exact_failed or hashes[i] is None:
            failure = failures.get(i)
            if failure is None and hashes[i] is not None:
                root = next(k.a for k in links if k.kind == "exact" and k.b == i)
                failure = failures[root]
            rows.append(
                DedupRow(
                    path,
                    -1,
                    "unique",
                    error=failure.error if failure else "cannot read file",
                    error_type=failure.error_type if failure else "read_error",
                )
            )
            continue
        root = sets.find(i)
        group = group_number.setdefault(root, len(group_number))
        link_info = best.get(i)
        if link_info is None:
            rows.append(DedupRow(path, group, "unique", hashes[i]))
        else:
            kind, other, score = link_info
            rows.append(DedupRow(path, group, kind, hashes[i], paths[other], score))
    return DedupResult(rows, links, threshold)


class _MirrorStore:
    """Local features of mirror images, kept on disk until verification needs them."""

    def __init__(self, path: Path) -> None:
        self.conn = sqlite3.connect(path)
        self.conn.execute("PRAGMA journal_mode = OFF")
        self.conn.execute("PRAGMA synchronous = OFF")
        self.conn.execute("CREATE TABLE m (k INTEGER PRIMARY KEY, v BLOB NOT NULL)")

    def put(self, key: int, features: LocalFeatures) -> None:
        self.conn.execute("INSERT OR REPLACE INTO m VALUES (?, ?)", (key, features.to_bytes()))

    def get(self, key: int) -> LocalFeatures | None:
        row = self.conn.execute("SELECT v FROM m WHERE k = ?", (key,)).fetchone()
        return None if row is None else LocalFeatures.from_bytes(bytes(row[0]))

    def close(self) -> None:
        self.conn.close()
