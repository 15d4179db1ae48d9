"""The provenance index: add images, remove them, and find edited copies of them
(the search itself is in :mod:`._search`).

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
from ._descriptors import (
    RETIRED_WHITENINGS,
    GlobalDescriptor,
    RetiredDescriptorError,
    create_descriptor,
)
from ._features import (
    FeatureOptions,
    ImageFeatures,
    compute_features,
)
from ._local import Verification, single_threaded_opencv
from ._scoring import Calibration, calibration_for
from ._search import (
    _pair_features,
    candidates,
    search_features,
    verify_against,
)
from ._store import REGIONS, ImageRecord, IndexFormatError, NewImage, Store
from ._types import AddResult, IndexStats, Match, QueryResult

DEFAULT_DESCRIPTOR = "effnet"
DEFAULT_VERIFY = 12
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
        else:
            _check_settings(settings, self.path)
            if (
                descriptor is not None
                and create_descriptor(descriptor).spec != settings["descriptor"]
            ):
                raise ValueError(
                    f"{self.path} was built with descriptor {settings['descriptor']!r}, "
                    f"not {descriptor!r}"
                )
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
            calibrated=self.calibration.calibrated,
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
        self.refresh()
        return search_features(self, features, k=k, verify_top=verify_top)

    def candidates(self, query_vectors: NDArray[np.float32], count: int) -> dict[int, float]:
        """Best global similarity per image id, for about ``count`` images."""
        return candidates(self, query_vectors, count)

    def verify_against(self, features: ImageFeatures, image_id: int) -> Verification:
        """Geometric verification of the query against one indexed image."""
        return verify_against(self, features, image_id)

    @staticmethod
    def pair_features(match: Match) -> NDArray[np.float64]:
        """The score model's inputs for one match (used when calibrating)."""
        return _pair_features(match)


class RetiredIndexError(IndexFormatError):
    """The index was built with a descriptor this version of pixelproof no longer ships
    (:data:`~pixelproof.match._descriptors.RETIRED_WHITENINGS`)."""

    def __init__(self, path: Path, retired: RetiredDescriptorError) -> None:
        self.path = path
        self.spec = retired.spec
        self.reason = RETIRED_WHITENINGS[retired.whitening]
        super().__init__(
            f"{path} was built with descriptor {self.spec!r}, which this version of "
            f"pixelproof no longer ships ({self.reason}), so its vectors cannot be compared "
            "with today's. Rebuild it: add the same images to a new index (`pixelproof "
            f"index add --db NEW.db IMAGES...`); the paths it indexed are in its images "
            f"table (`sqlite3 {path} 'SELECT path FROM images'`)"
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
        except RetiredDescriptorError as exc:
            # Never search it: its vectors and today's queries would come from two
            # different descriptors, and every similarity would be meaningless.
            raise RetiredIndexError(path, exc) from None
        except ValueError as exc:
            problem = str(exc)
    if problem is not None:
        raise IndexFormatError(f"{path}: the index settings are invalid ({problem})")
