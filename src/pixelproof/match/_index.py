"""The provenance index: add images, remove them, and find edited copies of them.

Three tiers, as in the Image Similarity Challenge systems:

1. a **global descriptor** per image (:mod:`._descriptors`) searched with FAISS
   (:mod:`._ann`) gives candidates, the query's mirror images included, plus a few
   found by parts of the query (a copy pasted small into another picture);
2. **local features** of each candidate (SIFT, stored in SQLite and read only for
   candidates) are matched against the query's and an affine transform is fitted with
   RANSAC (:mod:`._local`), which confirms the copy and locates it;
3. a **calibrated score** (:mod:`._scoring`) turns both into a probability-like
   number whose 0.5 is the 1%-false-match threshold on unrelated images.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..io import ImageSource, as_rgb, load_image
from ._ann import AnnIndex
from ._descriptors import GlobalDescriptor, bank_similarity, create_descriptor
from ._features import (
    FeatureOptions,
    ImageFeatures,
    compute_features,
)
from ._local import NO_MATCH, LocalFeatures, Verification, single_threaded_opencv, verify
from ._scoring import Calibration, calibration_for, pair_features
from ._store import REGIONS, ImageRecord, IndexFormatError, NewImage, Store
from ._types import AddResult, IndexStats, Match, QueryResult

DEFAULT_DESCRIPTOR = "effnet"
DEFAULT_VERIFY = 12
GENERIC_RANK = 8  # the 8th most similar reference stands for "unrelated but alike"
STRONG_INLIERS = 15
PART_CANDIDATES = 4  # extra candidates, found by the query's parts, that are verified
SNAPSHOT_EVERY = 100_000


def pixel_digest(rgb: NDArray[np.uint8]) -> str:
    """A content hash for an in-memory image (shape and pixels)."""
    digest = hashlib.sha256(str(rgb.shape).encode())
    digest.update(np.ascontiguousarray(rgb).tobytes())
    return digest.hexdigest()


class ProvenanceIndex:
    """An on-disk index of reference images, searchable for edited copies.

    Parameters
    ----------
    path : str or Path
        The SQLite database file (the FAISS snapshots go to ``<path>-ann/``).
    create : bool
        Create the index when it does not exist (writers); readers pass False.
    descriptor : str, optional
        Global descriptor spec for a new index (default ``"effnet"``); an existing
        index keeps the one it was created with.
    ann : str
        FAISS structure: ``"auto"`` (exact up to 200,000 vectors, then IVF-PQ),
        ``"Flat"`` or a factory string such as ``"IVF4096,PQ32"``.
    readonly : bool
        Open for searching only.

    Examples
    --------
    >>> with ProvenanceIndex("refs.db", create=True) as index:   # doctest: +SKIP
    ...     index.add("photo.jpg")
    ...     result = index.search("edited_copy.jpg", k=3)
    """

    def __init__(
        self,
        path: str | Path,
        *,
        create: bool = False,
        descriptor: str | None = None,
        ann: str = "auto",
        readonly: bool = False,
        local_side: int = 512,
        local_features: int = 500,
    ) -> None:
        single_threaded_opencv()
        self.path = Path(path)
        self.store = Store(self.path, create=create and not readonly, readonly=readonly)
        try:
            self._open(descriptor, ann, readonly, local_side, local_features)
        except BaseException:
            self.store.close()
            raise

    def _open(
        self,
        descriptor: str | None,
        ann: str,
        readonly: bool,
        local_side: int,
        local_features: int,
    ) -> None:
        settings = self.store.settings()
        if not settings:
            if readonly:
                raise FileNotFoundError(f"{self.path} is an empty index")
            backend = create_descriptor(descriptor or DEFAULT_DESCRIPTOR)
            AnnIndex.check_spec(backend.dim, ann)
            spec = backend.spec
            settings = {
                "descriptor": spec,
                "ann": ann,
                "local_side": local_side,
                "local_features": local_features,
            }
            self.store.set_meta("settings", json.dumps(settings))
        elif (
            descriptor is not None and create_descriptor(descriptor).spec != settings["descriptor"]
        ):
            raise ValueError(
                f"{self.path} was built with descriptor {settings['descriptor']!r}, "
                f"not {descriptor!r}"
            )
        else:
            _check_settings(settings, self.path)
        self.settings = settings
        self.descriptor: GlobalDescriptor = create_descriptor(settings["descriptor"])
        self.calibration: Calibration = calibration_for(self.descriptor.spec)
        self.readonly = readonly
        self._ann: AnnIndex | None = None
        self._added_since_snapshot = 0
        self._dirty = False

    # -- context management ----------------------------------------------------------
    def __enter__(self) -> ProvenanceIndex:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Write a FAISS snapshot if anything was added, and close the database."""
        if self._dirty and not self.readonly:
            self.ann.catch_up(self.store)
            self.ann.save(self.store)
            self._dirty = False
        self.store.close()

    # -- options ------------------------------------------------------------------
    def feature_options(
        self,
        *,
        query: bool,
        reference: bool = True,
        parts: bool = False,
    ) -> FeatureOptions:
        return FeatureOptions(
            descriptor=self.descriptor.spec,
            local_side=int(self.settings.get("local_side", 512)),
            local_features=int(self.settings.get("local_features", 500)),
            reference=reference,
            query=query,
            parts=parts,
        )

    @property
    def ann(self) -> AnnIndex:
        if self._ann is None:
            self._ann = AnnIndex.open(
                self.store, self.descriptor.dim, str(self.settings.get("ann", "auto"))
            )
        return self._ann

    # -- adding -------------------------------------------------------------------
    def add(self, image: ImageSource | Any, *, name: str | None = None) -> AddResult:
        """Index one image (a path, file bytes, a PIL image or an RGB array)."""
        if isinstance(image, str | Path | bytes):
            loaded = load_image(image)
            rgb, sha = loaded.pixels, loaded.sha256
            label = name or ("<bytes>" if isinstance(image, bytes) else str(image))
        else:
            rgb = as_rgb(image)
            sha = pixel_digest(rgb)
            label = name or sha[:16]
        if self.store.has_sha(sha):
            record = self.store.image_by_sha(sha)
            return AddResult(label, "present", sha, record.id if record else None)
        features = compute_features(
            rgb, path=label, sha256=sha, options=self.feature_options(query=False)
        )
        (result,) = self.add_features([features])
        return result

    def add_features(self, batch: Sequence[ImageFeatures]) -> list[AddResult]:
        """Write computed features in one transaction (all or none)."""
        if self.readonly:
            raise PermissionError("the index was opened read-only")
        fresh: list[NewImage] = []
        seen: set[str] = set()
        for item in batch:
            if item.ref_vectors is None:
                raise ValueError("features computed without reference vectors")
            if item.sha256 in seen:
                continue
            seen.add(item.sha256)
            fresh.append(
                NewImage(
                    sha256=item.sha256,
                    path=item.path,
                    width=item.width,
                    height=item.height,
                    vectors=item.ref_vectors,
                    local=item.local.to_bytes(),
                    pdq=item.pdq,
                    pdq_quality=item.pdq_quality,
                )
            )
        before = {f.sha256 for f in fresh if self.store.has_sha(f.sha256)}
        ids = dict(zip((f.sha256 for f in fresh), self.store.add_many(fresh), strict=True))
        results = []
        for item in batch:
            present = item.sha256 in before
            before.add(item.sha256)  # a second copy in the same batch is "present"
            results.append(
                AddResult(
                    item.path, "present" if present else "added", item.sha256, ids.get(item.sha256)
                )
            )
        added = sum(r.status == "added" for r in results)
        if added:
            self._dirty = True
            self._added_since_snapshot += added
            if self._ann is not None:
                self._ann.catch_up(self.store)
            if self._added_since_snapshot >= SNAPSHOT_EVERY:
                self.ann.catch_up(self.store)
                self.ann.save(self.store)
                self._added_since_snapshot = 0
        return results

    # -- removing -----------------------------------------------------------------
    def remove(self, targets: Iterable[str]) -> list[ImageRecord]:
        """Remove images by path (a file, or every image under a folder) or sha256."""
        if self.readonly:
            raise PermissionError("the index was opened read-only")
        found: dict[int, ImageRecord] = {}
        for target in targets:
            if "\x00" in target:  # no path or sha256 has one (and SQLite's LIKE stops at it)
                continue
            record = self.store.image_by_sha(target.lower())
            if record is not None:
                found[record.id] = record
                continue
            for record in self.store.images_by_path(target):
                found[record.id] = record
            resolved = str(Path(target).resolve()) if target else target
            if resolved != target:
                for record in self.store.images_by_path(resolved):
                    found[record.id] = record
        if found:
            self.store.remove(found)
            vector_ids = np.array(
                [i * REGIONS + r for i in found for r in range(REGIONS)], dtype=np.int64
            )
            if self._ann is not None:
                self._ann.remove(vector_ids)
            self._dirty = True
        return list(found.values())

    # -- reading --------------------------------------------------------------------
    def __len__(self) -> int:
        return self.store.counts()["images"]

    def stats(self) -> IndexStats:
        counts = self.store.counts()
        folder = AnnIndex.snapshot_dir(self.path)
        ann_bytes = sum(p.stat().st_size for p in folder.glob("*.faiss")) if folder.is_dir() else 0
        db_bytes = sum(
            p.stat().st_size for p in (self.path, Path(f"{self.path}-wal")) if p.exists()
        )
        ann = self.ann
        return IndexStats(
            path=str(self.path),
            images=counts["images"],
            vectors=counts["vectors"],
            descriptor=self.descriptor.spec,
            dim=self.descriptor.dim,
            ann=ann.built_spec,
            snapshot_vectors=ann.ntotal,
            db_bytes=db_bytes,
            ann_bytes=ann_bytes,
            settings=dict(self.settings),
        )

    def records(self) -> Iterator[ImageRecord]:
        """Every indexed image, in insertion order."""
        return self.store.iter_images()

    def vectors(self) -> tuple[NDArray[np.int64], NDArray[np.float32]]:
        """All stored global descriptors: ``(vector ids, (n, dim) float32)``."""
        return self.store.vectors_after(-1)

    # -- searching ----------------------------------------------------------------
    def search(
        self, image: ImageSource | Any, *, k: int = 10, verify_top: int = DEFAULT_VERIFY
    ) -> QueryResult:
        """Find the references that ``image`` is an edited copy of, best first."""
        if isinstance(image, str | Path | bytes):
            label = "<bytes>" if isinstance(image, bytes) else str(image)
            loaded = load_image(image)
            rgb, sha = loaded.pixels, loaded.sha256
        else:
            rgb = as_rgb(image)
            sha = pixel_digest(rgb)
            label = sha[:16]
        features = compute_features(
            rgb,
            path=label,
            sha256=sha,
            options=self.feature_options(query=True, reference=False, parts=True),
        )
        return self.search_features(features, k=k, verify_top=verify_top)

    def refresh(self) -> int:
        """Pick up vectors committed by other processes since the last search."""
        if self._ann is None:
            return 0
        latest = self.store.counts()["max_vector_id"]
        if latest > self._ann.max_id:
            return self._ann.catch_up(self.store)
        return 0

    def search_features(
        self, features: ImageFeatures, *, k: int = 10, verify_top: int = DEFAULT_VERIFY
    ) -> QueryResult:
        """Search with precomputed query features (see :func:`compute_features`)."""
        if features.query_vectors is None:
            raise ValueError("features computed without query vectors")
        self.refresh()
        candidates = self.candidates(features.query_vectors, max(k, verify_top, GENERIC_RANK))
        exact = self.store.image_by_sha(features.sha256)
        if exact is not None:
            candidates.setdefault(exact.id, 1.0)
        ranked = sorted(candidates.items(), key=lambda item: -item[1])
        generic = generic_similarity(
            features.query_vectors, self.descriptor.bank, [s for _, s in ranked]
        )
        to_verify = {image_id for image_id, _ in ranked[:verify_top]}
        by_parts = self._part_candidates(features, exclude=candidates)
        to_verify.update(by_parts)
        ranked.extend(by_parts.items())
        records = self.store.images([i for i, _ in ranked])
        matches: list[Match] = []
        for image_id, similarity in ranked:
            record = records.get(image_id)
            if record is None:  # removed since the snapshot
                continue
            verified = image_id in to_verify
            check = self.verify_against(features, image_id) if verified else NO_MATCH
            matches.append(
                self._match(record, similarity, generic, check, verified, features.sha256)
            )
        matches.sort(key=lambda m: (-m.score, -m.similarity))
        return QueryResult(features.path, tuple(matches[:k]), features.sha256)

    def candidates(self, query_vectors: NDArray[np.float32], count: int) -> dict[int, float]:
        """Best global similarity per image id, for about ``count`` images."""
        ann = self.ann
        per_variant = min(max(count * 2, 16), max(1, ann.ntotal))
        sims, ids = ann.search(query_vectors, per_variant)
        best: dict[int, float] = {}
        for sim, vid in zip(sims.ravel(), ids.ravel(), strict=True):
            if vid < 0:
                continue
            image_id = int(vid) // REGIONS
            value = float(sim)
            if value > best.get(image_id, -2.0):
                best[image_id] = value
        if ann.built_spec != "Flat" and best:
            best = self._rerank(query_vectors, best)
        top = sorted(best.items(), key=lambda item: -item[1])[:count]
        return dict(top)

    def _part_candidates(
        self, features: ImageFeatures, *, exclude: dict[int, float]
    ) -> dict[int, float]:
        """Up to :data:`PART_CANDIDATES` more images, found by the query's parts.

        Their similarity stays the whole query's (read back from the stored vectors), so
        the score means the same whichever way a candidate was found; only local
        verification can make it a match.
        """
        parts = features.part_vectors
        if parts is None or parts.shape[0] == 0 or features.query_vectors is None:
            return {}
        found = self.candidates(parts, PART_CANDIDATES + len(exclude))
        new = [image_id for image_id in found if image_id not in exclude][:PART_CANDIDATES]
        return self._rerank(features.query_vectors, dict.fromkeys(new, 0.0))

    def _rerank(
        self, query_vectors: NDArray[np.float32], approx: dict[int, float]
    ) -> dict[int, float]:
        """Exact similarities, from the stored vectors, for compressed-search candidates."""
        exact: dict[int, float] = {}
        for image_id in approx:
            rows = self.store.conn.execute(
                "SELECT vec FROM vectors WHERE image_id = ?", (image_id,)
            ).fetchall()
            if not rows:
                continue
            refs = self.store.decode_vectors([r[0] for r in rows])
            exact[image_id] = float((query_vectors @ refs.T).max())
        return exact

    def verify_against(self, features: ImageFeatures, image_id: int) -> Verification:
        """Geometric verification of the query against one indexed image."""
        blob = self.store.local_features(image_id)
        if blob is None:
            return NO_MATCH
        reference = LocalFeatures.from_bytes(blob)
        return verify_pair(features.local, features.local_mirror, reference)

    @staticmethod
    def pair_features(match: Match) -> NDArray[np.float64]:
        """The score model's inputs for one match (used when calibrating)."""
        return _pair_features(match)

    def _match(
        self,
        record: ImageRecord,
        similarity: float,
        generic: float,
        check: Verification,
        verified: bool,
        query_sha: str,
    ) -> Match:
        exact = record.sha256 == query_sha
        normalized = similarity - generic
        score = 1.0 if exact else self.calibration.score(normalized, check.inliers)
        return Match(
            ref=record.path,
            score=score,
            sha256=record.sha256,
            similarity=similarity,
            normalized=normalized,
            inliers=check.inliers,
            verified=verified,
            mirrored=check.mirrored,
            region=check.region,
            query_region=check.query_region,
            exact=exact,
            ref_id=record.id,
        )


def _check_settings(settings: dict[str, Any], path: Path) -> None:
    """Refuse stored settings that this pixelproof could not have written.

    They come from the index file, which may be damaged or hostile: a descriptor spec
    that does not parse, a FAISS structure FAISS cannot build (or one sized to exhaust
    memory), local-feature sizes that are not small positive integers.
    """
    problem = None
    spec, ann = settings.get("descriptor"), settings.get("ann", "auto")
    if not isinstance(spec, str):
        problem = "no descriptor"
    elif not isinstance(ann, str):
        problem = "the FAISS structure is not a string"
    else:
        for key, default, top in (("local_side", 512, 16384), ("local_features", 500, 100_000)):
            value = settings.get(key, default)
            if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= top:
                problem = f"{key} {value!r} is not an integer from 1 to {top}"
    if problem is None:
        try:
            AnnIndex.check_spec(create_descriptor(str(spec)).dim, str(ann))
        except ValueError as exc:
            problem = str(exc)
    if problem is not None:
        raise IndexFormatError(f"{path}: the index settings are invalid ({problem})")


def generic_similarity(
    query_vectors: NDArray[np.float32],
    bank: NDArray[np.float32] | None,
    candidate_similarities: Sequence[float],
) -> float:
    """How similar the query is to images it does not copy.

    The larger of its resemblance to the shipped bank of unrelated images and its
    similarity to the :data:`GENERIC_RANK`-th best reference of the index (or the
    middle one of a smaller candidate list; a query
    that resembles many references equally, like a plain graphic, copies none of them
    on global evidence alone).
    """
    generic = bank_similarity(query_vectors, bank)
    ordered = sorted(candidate_similarities, reverse=True)
    rank = min(GENERIC_RANK, len(ordered) // 2)
    if rank >= 2:
        generic = max(generic, ordered[rank - 1])
    return generic


def _pair_features(match: Match) -> NDArray[np.float64]:
    return pair_features(match.normalized, match.inliers)


def verify_pair(
    query: LocalFeatures, query_mirror: LocalFeatures | None, reference: LocalFeatures
) -> Verification:
    """Verify directly, and through the mirror image unless the direct match is strong."""
    direct = verify(query, reference)
    if direct.inliers >= STRONG_INLIERS or query_mirror is None:
        return direct
    flipped = verify(query_mirror, reference, mirrored=True)
    return flipped if flipped.inliers > direct.inliers else direct
