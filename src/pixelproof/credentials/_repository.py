"""The manifest repository: signed manifest stores, found again by watermark or fingerprint.

A repository is a folder::

    REPO/manifests.db        SQLite: one row per manifest, keyed by its manifest id
                             (the active manifest's label, ``urn:c2pa:<uuid>``), with
                             the 32-bit watermark identifier (unique), the SHA-256 of
                             the signed file and the manifest store (application/c2pa)
    REPO/fingerprints.db     a provenance index (pixelproof.match) of the signed
                             pixels, one image per manifest, named by its manifest id

The fingerprints reuse the provenance index as it is (descriptor, FAISS, local
verification, calibrated scores), so a recovered manifest's fingerprint score means
what a ``match`` score means.
"""

from __future__ import annotations

import secrets
import sqlite3
import time
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import TracebackType

import numpy as np
from numpy.typing import NDArray

from ..match import FeatureOptions, ImageFeatures, ProvenanceIndex, RetiredIndexError
from ._bindings import IDENTIFIER_BITS

MANIFESTS_FILE = "manifests.db"
FINGERPRINTS_FILE = "fingerprints.db"
FORMAT_VERSION = "1"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS manifests(
    manifest_id TEXT PRIMARY KEY,
    identifier INTEGER NOT NULL UNIQUE,
    sha256 TEXT NOT NULL,
    title TEXT NOT NULL,
    mime TEXT NOT NULL,
    created REAL NOT NULL,
    store BLOB NOT NULL
);
"""
_COLUMNS = "manifest_id, identifier, sha256, title, mime, created, store"


class RepositoryError(ValueError):
    """The folder is not a manifest repository this pixelproof can read."""


@dataclass(frozen=True)
class StoredManifest:
    """One manifest of the repository."""

    manifest_id: str
    identifier: int
    sha256: str
    title: str
    mime: str
    created: float
    store: bytes


@dataclass(frozen=True)
class FingerprintHit:
    """A manifest whose signed pixels the query resembles."""

    manifest_id: str
    score: float
    similarity: float
    inliers: int = 0


class ManifestRepository:
    """A folder of manifests, looked up by manifest id, watermark identifier or content.

    Parameters
    ----------
    folder : str or Path
        The repository folder.
    create : bool
        Create it when missing (signers); readers pass False.
    readonly : bool
        Open for lookups only (the recover workers, the service).
    """

    def __init__(self, folder: str | Path, *, create: bool = False, readonly: bool = False) -> None:
        self.folder = Path(folder)
        database = self.folder / MANIFESTS_FILE
        if not create or readonly:
            if not database.is_file():
                raise FileNotFoundError(f"no manifest repository at {self.folder}")
        else:
            self.folder.mkdir(parents=True, exist_ok=True)
        mode = "ro" if readonly else "rwc"
        try:
            self._conn = sqlite3.connect(
                f"file:{database}?mode={mode}", uri=True, timeout=60.0, isolation_level=None
            )
        except sqlite3.DatabaseError as exc:
            raise RepositoryError(f"{self.folder} is not a manifest repository ({exc})") from None
        try:
            self._check(readonly)
            self.fingerprints = ProvenanceIndex(
                self.folder / FINGERPRINTS_FILE, create=not readonly, readonly=readonly
            )
        except RetiredIndexError as exc:
            self._conn.close()
            raise RepositoryError(
                f"{self.folder}: its fingerprints ({FINGERPRINTS_FILE}) were made with "
                f"descriptor {exc.spec!r}, which this version of pixelproof no longer ships "
                f"({exc.reason}), so it cannot look them up; recover with the version that "
                "signed them, or sign the images again into a new repository"
            ) from None
        except BaseException:
            self._conn.close()
            raise

    def _check(self, readonly: bool) -> None:
        try:
            if not readonly:
                self._conn.execute("PRAGMA journal_mode = WAL")
                self._conn.executescript(_SCHEMA)
                self._conn.execute(
                    "INSERT OR IGNORE INTO meta(key, value) VALUES('format', ?)", (FORMAT_VERSION,)
                )
            row = self._conn.execute("SELECT value FROM meta WHERE key = 'format'").fetchone()
            self._conn.execute(f"SELECT {_COLUMNS} FROM manifests LIMIT 0")
        except sqlite3.DatabaseError as exc:
            raise RepositoryError(f"{self.folder} is not a manifest repository ({exc})") from None
        if row is None or str(row[0]) != FORMAT_VERSION:
            raise RepositoryError(f"{self.folder}: unknown repository format")

    # -- context management ----------------------------------------------------------
    def __enter__(self) -> ManifestRepository:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self.fingerprints.close()
        self._conn.close()

    # -- writing --------------------------------------------------------------------
    def new_identifier(self) -> int:
        """A random 32-bit identifier that no manifest of this repository carries."""
        while True:
            identifier = secrets.randbits(IDENTIFIER_BITS)
            if self.by_identifier(identifier) is None:
                return identifier

    def feature_options(self) -> FeatureOptions:
        """What to compute from an image to index it and to search with it."""
        return self.fingerprints.feature_options(query=True, reference=True, parts=True)

    def add(self, manifest: StoredManifest, features: ImageFeatures) -> None:
        """Store a manifest and the fingerprint of its signed pixels.

        The fingerprint goes first: a fingerprint without a manifest row is skipped by
        lookups, a manifest without a fingerprint would only be found by its mark.
        """
        named = ImageFeatures(
            path=manifest.manifest_id,
            sha256=manifest.sha256,
            width=features.width,
            height=features.height,
            ref_vectors=features.ref_vectors,
            query_vectors=None,
            part_vectors=None,
            local=features.local,
            local_mirror=None,
            pdq=features.pdq,
            pdq_quality=features.pdq_quality,
        )
        self.fingerprints.add_features([named])
        self._conn.execute(
            f"INSERT INTO manifests({_COLUMNS}) VALUES(?, ?, ?, ?, ?, ?, ?)",
            (
                manifest.manifest_id,
                manifest.identifier,
                manifest.sha256,
                manifest.title,
                manifest.mime,
                manifest.created or time.time(),
                manifest.store,
            ),
        )

    # -- reading --------------------------------------------------------------------
    def __len__(self) -> int:
        return int(self._conn.execute("SELECT COUNT(*) FROM manifests").fetchone()[0])

    def by_identifier(self, identifier: int) -> StoredManifest | None:
        row = self._conn.execute(
            f"SELECT {_COLUMNS} FROM manifests WHERE identifier = ?", (int(identifier),)
        ).fetchone()
        return None if row is None else _record(row)

    def by_manifest_id(self, manifest_id: str) -> StoredManifest | None:
        row = self._conn.execute(
            f"SELECT {_COLUMNS} FROM manifests WHERE manifest_id = ?", (manifest_id,)
        ).fetchone()
        return None if row is None else _record(row)

    def search(self, features: ImageFeatures, *, k: int = 5) -> list[FingerprintHit]:
        """Manifests whose signed pixels ``features`` resemble, best calibrated score first."""
        if len(self.fingerprints) == 0:
            return []
        found = self.fingerprints.search_features(features, k=k)
        return [
            FingerprintHit(m.ref, m.score, m.similarity, m.inliers)
            for m in found.matches
            if self.by_manifest_id(m.ref) is not None
        ]

    def by_vector(self, vector: NDArray[np.float32], *, k: int = 5) -> list[FingerprintHit]:
        """Manifests nearest to a fingerprint binding's vector (global similarity only)."""
        if len(self.fingerprints) == 0:
            return []
        best = self.fingerprints.candidates(vector[None, :].astype(np.float32), k)
        records = self.fingerprints.store.images(best)
        hits = [
            FingerprintHit(records[i].path, max(0.0, sim), sim)
            for i, sim in best.items()
            if i in records and self.by_manifest_id(records[i].path) is not None
        ]
        return sorted(hits, key=lambda hit: -hit.similarity)[:k]


@cache
def open_readonly(folder: str) -> ManifestRepository:
    """One read-only view of a repository per process (it sees later additions)."""
    return ManifestRepository(folder, readonly=True)


def _record(row: tuple[object, ...]) -> StoredManifest:
    manifest_id, identifier, sha256, title, mime, created, store = row
    if not isinstance(store, bytes):
        raise RepositoryError("a manifest row holds no manifest store")
    return StoredManifest(
        str(manifest_id),
        int(str(identifier)),
        str(sha256),
        str(title),
        str(mime),
        float(str(created)),
        store,
    )
