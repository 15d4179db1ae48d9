"""De-duplication: group a collection into exact duplicates, near-duplicates and edited copies.

1. **Exact**: files with the same SHA-256 are linked.
2. Every distinct image gets the same features as a query and as a reference; they go
   to a temporary index (local features on disk, global descriptors in FAISS).
3. Each image is searched against all the others (its mirror images included); the
   ``neighbours`` most similar are verified with local features and scored with the
   calibrated model. Pairs above ``threshold`` are linked: **near** when their PDQ
   hashes are within ``near_distance`` bits (visually the same picture, re-encoded
   or resized), **edited** otherwise (crops, flips, rotations, overlays...). The
   search and the verification run as jobs of a few hundred images through a mapper,
   in this process or on a runner's workers (a Ray cluster), with the same links.
4. Links are merged into groups (union-find). Each image's ``kind`` is the strongest
   link that put it in its group, ``unique`` when it has none.

The default ``threshold`` is the calibration's strict one (no false link among the
calibration set's unrelated pairs), because one wrong link merges two groups.
"""

from __future__ import annotations

import sqlite3
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ._features import FeatureFailure, ImageFeatures
from ._index import DEFAULT_DESCRIPTOR, ProvenanceIndex
from ._local import LocalFeatures
from ._search import GENERIC_RANK, generic_similarity, verify_pair
from ._types import DedupKind, DedupRow

NEAR_DISTANCE = 31
SEARCH_CHUNK = 256
"""Images per candidate-search or verification job."""
_INDEX = "dedup.db"
_SIDE = "side.db"

Mapper = Callable[[Callable[[Any], Any], Sequence[Any]], Iterable[Any]]
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
    mapper: Mapper = map,
    work_dir: str | None = None,
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
    mapper : callable
        ``mapper(func, jobs)`` yields ``func(job)`` for every job, in order: the
        candidate search and the verification are cut into jobs of
        :data:`SEARCH_CHUNK` images run through it (``map``: here, one after the
        other; a runner's executor: on its workers, such as a Ray cluster's). The
        result is the same whichever mapper runs them.
    work_dir : str, optional
        Where the temporary index goes (a folder every worker can read).

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
    with tempfile.TemporaryDirectory(prefix="pixelproof-dedup-", dir=work_dir) as folder:
        # Exact search ("Flat"), as for any collection: the snapshot written when the
        # index is closed holds the same vectors the workers search.
        index = ProvenanceIndex(
            Path(folder) / _INDEX, create=True, descriptor=descriptor, ann="Flat"
        )
        limit = threshold if threshold is not None else index.calibration.strict_score
        side = _SideStore(Path(folder) / _SIDE, create=True)
        batch: list[ImageFeatures] = []
        for position in unique:
            result = entries[position]
            assert isinstance(result, ImageFeatures) and result.query_vectors is not None
            side.put(position, result)
            batch.append(result)
            if len(batch) >= 64:
                index.add_features(batch)
                batch.clear()
        if batch:
            index.add_features(batch)
        position_of = {record.id: first_of[record.sha256] for record in index.records()}
        side.put_positions(position_of)
        side.commit()
        index.close()
        # Candidate search, then verification, each sharded over ``mapper``'s workers;
        # which pair is verified from which side follows the input order, so the links
        # (and the groups) are the same however the work is spread.
        chunks = [unique[at : at + SEARCH_CHUNK] for at in range(0, len(unique), SEARCH_CHUNK)]
        found: dict[int, _Candidates] = {}
        for part in mapper(_search_chunk, [(folder, chunk, neighbours) for chunk in chunks]):
            found.update(part)
        pairs = _pairs_to_verify(found)
        jobs = [
            (folder, pairs[at : at + SEARCH_CHUNK], limit, near_distance)
            for at in range(0, len(pairs), SEARCH_CHUNK)
        ]
        for verified in mapper(_verify_chunk, jobs):
            links.extend(verified)
        side.close()
        _release(folder)
    return _assemble(paths, hashes, links, failures, limit, n)


@dataclass(frozen=True)
class _Candidates:
    """One image's nearest images: ``(position, similarity)``, best first, and its
    generic similarity."""

    own_id: int
    found: tuple[tuple[int, int, float], ...]  # (position, image id, similarity)
    generic: float


def _search_chunk(job: tuple[str, list[int], int]) -> dict[int, _Candidates]:
    """The candidates of the images at some positions (in a worker)."""
    folder, positions, neighbours = job
    index, side = _opened(folder)
    position_of = side.positions()
    id_of = {p: i for i, p in position_of.items()}
    result: dict[int, _Candidates] = {}
    for position in positions:
        vectors = side.query_vectors(position)
        candidates = index.candidates(vectors, max(neighbours + 1, GENERIC_RANK + 1))
        others = [s for i, s in candidates.items() if position_of.get(i) != position]
        generic = generic_similarity(vectors, index.descriptor.bank, others)
        nearest = list(candidates.items())[: neighbours + 1]
        result[position] = _Candidates(
            id_of[position],
            tuple((position_of[i], i, s) for i, s in nearest if i in position_of),
            generic,
        )
    return result


def _pairs_to_verify(
    found: dict[int, _Candidates],
) -> list[tuple[int, int, int, int, float, float]]:
    """``(position, own id, other, other id, similarity, generic)`` for every pair to
    verify, in the order one pass over the inputs meets them: a pair is verified once,
    from the first image (in input order) that has the other among its candidates."""
    pairs = []
    seen: set[tuple[int, int]] = set()
    for position in sorted(found):
        mine = found[position]
        for other, other_id, similarity in mine.found:
            pair = (min(position, other), max(position, other))
            if other == position or pair in seen:
                continue
            seen.add(pair)
            pairs.append((position, mine.own_id, other, other_id, similarity, mine.generic))
    return pairs


def _verify_chunk(
    job: tuple[str, list[tuple[int, int, int, int, float, float]], float, int],
) -> list[Link]:
    """Verify pairs with local features and keep those above the threshold (in a worker)."""
    folder, pairs, limit, near_distance = job
    index, side = _opened(folder)
    links = []
    for position, own_id, other, other_id, similarity, generic in pairs:
        query_local = _local_of(index, own_id)
        check = verify_pair(query_local, side.mirror(position), _local_of(index, other_id))
        score = index.calibration.score(similarity - generic, check.inliers)
        if score <= limit:
            continue
        distance = _hamming(side.pdq(position), side.pdq(other))
        kind: DedupKind = "near" if distance <= near_distance and not check.mirrored else "edited"
        links.append(Link(min(position, other), max(position, other), kind, score))
    return links


_OPENED: dict[str, tuple[ProvenanceIndex, _SideStore]] = {}


def _opened(folder: str) -> tuple[ProvenanceIndex, _SideStore]:
    """The de-duplication's index and side store, opened once per worker process (only
    the latest job's: a worker that moves on to another job lets the old one go)."""
    if folder not in _OPENED:
        for old in list(_OPENED):
            _release(old)
        _OPENED[folder] = (
            ProvenanceIndex(Path(folder) / _INDEX, readonly=True),
            _SideStore(Path(folder) / _SIDE, create=False),
        )
    return _OPENED[folder]


def _release(folder: str) -> None:
    opened = _OPENED.pop(folder, None)
    if opened is not None:
        opened[0].close()
        opened[1].close()


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


class _SideStore:
    """What verification needs besides the index, on disk for the workers: each
    image's query vectors, mirror-image local features and PDQ hash, and the image id
    to input position map."""

    def __init__(self, path: Path, *, create: bool) -> None:
        if create:
            self.conn = sqlite3.connect(path)
            self.conn.execute("PRAGMA journal_mode = OFF")
            self.conn.execute("PRAGMA synchronous = OFF")
            self.conn.execute(
                "CREATE TABLE side (k INTEGER PRIMARY KEY, query BLOB NOT NULL, "
                "rows INTEGER NOT NULL, mirror BLOB, pdq BLOB NOT NULL)"
            )
            self.conn.execute("CREATE TABLE ids (id INTEGER PRIMARY KEY, k INTEGER NOT NULL)")
        else:
            self.conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        self._positions: dict[int, int] | None = None

    def put(self, key: int, features: ImageFeatures) -> None:
        assert features.query_vectors is not None
        vectors = np.ascontiguousarray(features.query_vectors, dtype=np.float32)
        mirror = None if features.local_mirror is None else features.local_mirror.to_bytes()
        self.conn.execute(
            "INSERT OR REPLACE INTO side VALUES (?, ?, ?, ?, ?)",
            (key, vectors.tobytes(), vectors.shape[0], mirror, features.pdq),
        )

    def put_positions(self, position_of: dict[int, int]) -> None:
        self.conn.executemany("INSERT INTO ids VALUES (?, ?)", position_of.items())

    def commit(self) -> None:
        self.conn.commit()

    def positions(self) -> dict[int, int]:
        """Image id in the index -> input position."""
        if self._positions is None:
            self._positions = dict(self.conn.execute("SELECT id, k FROM ids").fetchall())
        return self._positions

    def query_vectors(self, key: int) -> NDArray[np.float32]:
        blob, rows = self.conn.execute(
            "SELECT query, rows FROM side WHERE k = ?", (key,)
        ).fetchone()
        return np.frombuffer(blob, np.float32).reshape(int(rows), -1)

    def mirror(self, key: int) -> LocalFeatures | None:
        row = self.conn.execute("SELECT mirror FROM side WHERE k = ?", (key,)).fetchone()
        return None if row is None or row[0] is None else LocalFeatures.from_bytes(bytes(row[0]))

    def pdq(self, key: int) -> bytes:
        return bytes(self.conn.execute("SELECT pdq FROM side WHERE k = ?", (key,)).fetchone()[0])

    def close(self) -> None:
        self.conn.close()
