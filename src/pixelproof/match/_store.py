"""The index's durable state: one SQLite database in WAL mode.

Every table lives in one file, so one transaction covers an image's metadata, its
global descriptors and its local features: an image is either fully in the index or
not at all. WAL lets readers query while a writer adds, and a killed writer loses only
its open transaction. The FAISS search structure (:mod:`._ann`) is a cache rebuilt
from the ``vectors`` table; it is never the only copy of anything.

Tables
------
meta(key, value)
    Settings fixed at creation (descriptor spec, format version).
images(id, sha256, path, width, height, added, pdq, pdq_quality)
    One row per distinct image content; ``sha256`` of the file bytes is unique. Ids
    are never reused, so a FAISS snapshot can never confuse a removed image with a new
    one.
vectors(id, image_id, vec)
    Global descriptors, float16. ``id = image_id * REGIONS + region``.
local(image_id, data)
    Serialized local features, read only for verification candidates.
removed(vector_id)
    Vectors removed after being added: FAISS snapshots drop them when loaded.
"""

from __future__ import annotations

import json
import re
import sqlite3
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

SCHEMA_VERSION = 1
REGIONS = 8  # vector ids reserve this many slots per image

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS images (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    sha256 TEXT NOT NULL UNIQUE,
    path TEXT NOT NULL,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    added REAL NOT NULL,
    pdq BLOB,
    pdq_quality INTEGER
);
CREATE INDEX IF NOT EXISTS images_path ON images(path);
CREATE TABLE IF NOT EXISTS vectors (
    id INTEGER PRIMARY KEY,
    image_id INTEGER NOT NULL,
    vec BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS vectors_image ON vectors(image_id);
CREATE TABLE IF NOT EXISTS local (image_id INTEGER PRIMARY KEY, data BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS removed (vector_id INTEGER PRIMARY KEY);
"""


# Columns every table must have: a file whose schema lacks one is not a pixelproof index.
_COLUMNS = {
    "meta": {"key", "value"},
    "images": {"id", "sha256", "path", "width", "height", "added", "pdq", "pdq_quality"},
    "vectors": {"id", "image_id", "vec"},
    "local": {"image_id", "data"},
    "removed": {"vector_id"},
}
# SQLite's primary result codes for a damaged file: CORRUPT, FORMAT, NOTADB.
_DAMAGE_CODES = {11, 24, 26}


class IndexFormatError(ValueError):
    """The file is not a pixelproof index, or one written by an incompatible version.

    Also raised when an index turns out to be damaged while it is read (SQLite finds a
    corrupt page, a row holds values of the wrong type or size).
    """


class _Damage:
    """Turns what SQLite raises for a damaged file into :class:`IndexFormatError`."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __enter__(self) -> None:
        return None

    def __exit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> None:
        if isinstance(exc, sqlite3.DatabaseError) and _is_damage(exc):
            raise IndexFormatError(f"{self.path} is damaged ({exc})") from exc
        if isinstance(exc, UnicodeDecodeError):  # SQLite's message quotes a damaged schema
            raise IndexFormatError(f"{self.path} is damaged (its schema is not UTF-8)") from exc
        if isinstance(exc, MemoryError):
            # SQLite reports some damaged records (a length far beyond the file) as
            # SQLITE_NOMEM, which Python raises as MemoryError.
            raise IndexFormatError(
                f"{self.path} is damaged or too large (SQLite ran out of memory reading it)"
            ) from exc

    def text(self, raw: bytes) -> str:
        """The connection's text factory: UTF-8, or the file is damaged."""
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            raise IndexFormatError(f"{self.path} is damaged (text that is not UTF-8)") from None


def _is_damage(exc: sqlite3.DatabaseError) -> bool:
    code = getattr(exc, "sqlite_errorcode", None)
    if isinstance(code, int):
        return (code & 0xFF) in _DAMAGE_CODES
    return type(exc) is sqlite3.DatabaseError  # what Python raises for a corrupt file


class _Cursor(sqlite3.Cursor):
    """A cursor whose corruption errors name the index file (see :class:`_Damage`)."""

    damage: _Damage

    def execute(self, sql: str, parameters: Any = (), /) -> _Cursor:
        with self.damage:
            super().execute(sql, parameters)
        return self

    def executemany(self, sql: str, seq_of_parameters: Any, /) -> _Cursor:
        with self.damage:
            super().executemany(sql, seq_of_parameters)
        return self

    def fetchone(self) -> Any:
        with self.damage:
            return super().fetchone()

    def fetchall(self) -> list[Any]:
        with self.damage:
            return super().fetchall()

    def __next__(self) -> Any:
        with self.damage:
            return super().__next__()


class _Connection(sqlite3.Connection):
    """The store's connection: every cursor is a :class:`_Cursor`."""

    damage: _Damage

    def cursor(self, factory: Any = None) -> Any:
        cursor = super().cursor(factory or _Cursor)
        cursor.damage = self.damage
        return cursor

    def execute(self, sql: str, parameters: Any = (), /) -> _Cursor:
        cursor: _Cursor = self.cursor()
        return cursor.execute(sql, parameters)

    def executemany(self, sql: str, seq_of_parameters: Any, /) -> _Cursor:
        cursor: _Cursor = self.cursor()
        return cursor.executemany(sql, seq_of_parameters)

    def executescript(self, sql_script: str, /) -> sqlite3.Cursor:
        with self.damage:
            return super().executescript(sql_script)


@dataclass(frozen=True)
class ImageRecord:
    """What the index stores about one image, besides its descriptors."""

    id: int
    sha256: str
    path: str
    width: int
    height: int
    added: float
    pdq: bytes | None = None
    pdq_quality: int | None = None


@dataclass(frozen=True)
class NewImage:
    """Everything written for one image in :meth:`Store.add_many`."""

    sha256: str
    path: str
    width: int
    height: int
    vectors: NDArray[np.float32]  # (R, D)
    local: bytes
    pdq: bytes | None = None
    pdq_quality: int | None = None


class Store:
    """SQLite access for one index file. Not thread-safe: one per thread or process."""

    def __init__(self, path: str | Path, *, create: bool, readonly: bool = False) -> None:
        self.path = Path(path)
        if not create and not self.path.exists():
            raise FileNotFoundError(f"no index at {self.path}")
        if create:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        uri = f"file:{self.path}?mode={'ro' if readonly else 'rwc'}"
        try:
            self.conn = sqlite3.connect(
                uri, uri=True, timeout=60.0, isolation_level=None, factory=_Connection
            )
        except sqlite3.DatabaseError as exc:
            raise IndexFormatError(f"{self.path} is not a pixelproof index ({exc})") from None
        self.conn.damage = _Damage(self.path)
        self.conn.text_factory = self.conn.damage.text
        try:
            self._open(readonly)
        except BaseException:
            self.conn.close()
            raise

    def _open(self, readonly: bool) -> None:
        try:
            self.conn.execute("PRAGMA busy_timeout = 60000")
            if not readonly:
                self.conn.execute("PRAGMA journal_mode = WAL")
                self.conn.execute("PRAGMA synchronous = NORMAL")
                self.conn.executescript(_SCHEMA)
            missing = self._missing_columns()
            version = self.get_meta("schema_version") if not missing else None
        except sqlite3.DatabaseError as exc:
            raise IndexFormatError(f"{self.path} is not a pixelproof index ({exc})") from None
        if missing:
            raise IndexFormatError(f"{self.path} is not a pixelproof index (no {missing})")
        if version is None:
            if readonly:
                raise IndexFormatError(f"{self.path} is not a pixelproof index")
            self.set_meta("schema_version", str(SCHEMA_VERSION))
        elif version.strip() != str(SCHEMA_VERSION):
            raise IndexFormatError(
                f"{self.path}: index format {version[:40]!r}, this pixelproof reads "
                f"{SCHEMA_VERSION}"
            )

    def _missing_columns(self) -> str | None:
        """The first table or column of the schema the file lacks, or None."""
        for table, columns in _COLUMNS.items():
            found = {str(row[1]) for row in self.conn.execute(f"PRAGMA table_info({table})")}
            if not found:
                return f"table {table!r}"
            for column in sorted(columns - found):
                return f"column {table}.{column}"
        return None

    def close(self) -> None:
        self.conn.close()

    # -- metadata -----------------------------------------------------------------
    def get_meta(self, key: str) -> str | None:
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str) -> None:
        self.conn.execute(
            "INSERT INTO meta(key, value) VALUES(?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    def settings(self) -> dict[str, Any]:
        raw = self.get_meta("settings")
        if raw is None:
            return {}
        try:
            settings = json.loads(raw)
        except ValueError:
            settings = None
        if not isinstance(settings, dict):
            raise IndexFormatError(f"{self.path}: the index settings are not a JSON object")
        return settings

    # -- writes -------------------------------------------------------------------
    def add_many(self, images: Sequence[NewImage]) -> list[int]:
        """Insert ``images`` in one transaction; return their ids (existing ones kept)."""
        ids: list[int] = []
        cur = self.conn.cursor()
        cur.execute("BEGIN IMMEDIATE")
        try:
            for image in images:
                row = cur.execute(
                    "SELECT id FROM images WHERE sha256 = ?", (image.sha256,)
                ).fetchone()
                if row is not None:
                    ids.extend(self._ids([row]))
                    continue
                cur.execute(
                    "INSERT INTO images(sha256, path, width, height, added, pdq, pdq_quality) "
                    "VALUES(?, ?, ?, ?, ?, ?, ?)",
                    (
                        image.sha256,
                        image.path,
                        image.width,
                        image.height,
                        time.time(),
                        image.pdq,
                        image.pdq_quality,
                    ),
                )
                image_id = int(cur.lastrowid or 0)
                if image.vectors.shape[0] > REGIONS:
                    raise ValueError(f"at most {REGIONS} descriptors per image")
                cur.executemany(
                    "INSERT INTO vectors(id, image_id, vec) VALUES(?, ?, ?)",
                    [
                        (image_id * REGIONS + r, image_id, v.astype(np.float16).tobytes())
                        for r, v in enumerate(image.vectors)
                    ],
                )
                cur.execute(
                    "INSERT INTO local(image_id, data) VALUES(?, ?)", (image_id, image.local)
                )
                ids.append(image_id)
            cur.execute("COMMIT")
        except BaseException:
            self._rollback()
            raise
        return ids

    def _rollback(self) -> None:
        # SQLite has already rolled back itself after some errors (a corrupt page, a full
        # disk): a second ROLLBACK would hide the real error behind "no transaction".
        if self.conn.in_transaction:
            self.conn.execute("ROLLBACK")

    def remove(self, image_ids: Iterable[int]) -> int:
        """Delete images (and their descriptors) by id, in one transaction."""
        removed = 0
        cur = self.conn.cursor()
        cur.execute("BEGIN IMMEDIATE")
        try:
            for image_id in image_ids:
                vector_ids = self._ids(
                    cur.execute("SELECT id FROM vectors WHERE image_id = ?", (image_id,)).fetchall()
                )
                cur.executemany(
                    "INSERT OR IGNORE INTO removed(vector_id) VALUES(?)",
                    [(v,) for v in vector_ids],
                )
                cur.execute("DELETE FROM vectors WHERE image_id = ?", (image_id,))
                cur.execute("DELETE FROM local WHERE image_id = ?", (image_id,))
                removed += cur.execute("DELETE FROM images WHERE id = ?", (image_id,)).rowcount
            cur.execute("COMMIT")
        except BaseException:
            self._rollback()
            raise
        return removed

    # -- reads --------------------------------------------------------------------
    def has_sha(self, sha256: str) -> bool:
        row = self.conn.execute("SELECT 1 FROM images WHERE sha256 = ?", (sha256,)).fetchone()
        return row is not None

    def image_by_sha(self, sha256: str) -> ImageRecord | None:
        row = self.conn.execute(
            f"SELECT {_IMAGE_COLUMNS} FROM images WHERE sha256 = ?", (sha256,)
        ).fetchone()
        return None if row is None else self._record(row)

    def images_by_path(self, path: str) -> list[ImageRecord]:
        rows = self.conn.execute(
            f"SELECT {_IMAGE_COLUMNS} FROM images WHERE path = ? OR path LIKE ? ESCAPE '\\'",
            (path, _like_prefix(path)),
        ).fetchall()
        return [self._record(row) for row in rows]

    def images(self, ids: Iterable[int]) -> dict[int, ImageRecord]:
        wanted = sorted({int(i) for i in ids})
        found: dict[int, ImageRecord] = {}
        for chunk in _chunks(wanted, 500):
            marks = ",".join("?" * len(chunk))
            for row in self.conn.execute(
                f"SELECT {_IMAGE_COLUMNS} FROM images WHERE id IN ({marks})", chunk
            ):
                found[int(row[0])] = self._record(row)
        return found

    def iter_images(self) -> Iterator[ImageRecord]:
        for row in self.conn.execute(f"SELECT {_IMAGE_COLUMNS} FROM images ORDER BY id"):
            yield self._record(row)

    def local_features(self, image_id: int) -> bytes | None:
        row = self.conn.execute("SELECT data FROM local WHERE image_id = ?", (image_id,)).fetchone()
        return None if row is None else bytes(row[0])

    def vectors_after(
        self, after_id: int, *, limit: int | None = None
    ) -> tuple[NDArray[np.int64], NDArray[np.float32]]:
        """Descriptors with ``id > after_id`` in id order: ``(ids, (n, D) float32)``."""
        sql = "SELECT id, vec FROM vectors WHERE id > ? ORDER BY id"
        params: tuple[int, ...] = (after_id,)
        if limit is not None:
            sql += " LIMIT ?"
            params = (after_id, limit)
        rows = self.conn.execute(sql, params).fetchall()
        if not rows:
            return np.zeros(0, np.int64), np.zeros((0, 0), np.float32)
        ids = np.array(self._ids(rows), np.int64)
        if ids[0] <= after_id or np.any(np.diff(ids) <= 0):
            # Only a damaged table does this; callers that page through the table by
            # id (AnnIndex.catch_up) would otherwise never reach its end.
            raise IndexFormatError(f"{self.path} is damaged (vector ids out of order)")
        return ids, self.decode_vectors([r[1] for r in rows])

    def sample_vectors(self, count: int) -> NDArray[np.float32]:
        """About ``count`` descriptors drawn evenly over the table (for training)."""
        rows = self.conn.execute(
            "SELECT vec FROM vectors ORDER BY random() LIMIT ?", (count,)
        ).fetchall()
        if not rows:
            return np.zeros((0, 0), np.float32)
        return self.decode_vectors([r[0] for r in rows])

    def decode_vectors(self, blobs: Sequence[Any]) -> NDArray[np.float32]:
        """Stored float16 descriptors as an ``(n, D)`` float32 array, all of one size."""
        sizes = {len(b) if isinstance(b, bytes) else -1 for b in blobs}
        if len(sizes) != 1 or min(sizes) <= 0 or min(sizes) % 2:
            raise IndexFormatError(f"{self.path} is damaged (stored vectors differ in size)")
        return np.stack([np.frombuffer(b, np.float16) for b in blobs]).astype(np.float32)

    def _record(self, row: Sequence[Any]) -> ImageRecord:
        """An :class:`ImageRecord` from an ``images`` row whose values have their types."""
        types = (int, str, str, int, int, float | int, bytes | None, int | None)
        if not all(isinstance(v, t) for v, t in zip(row, types, strict=True)):
            raise IndexFormatError(f"{self.path} is damaged (an image row has wrong types)")
        if not _SHA256.fullmatch(row[1]):
            raise IndexFormatError(f"{self.path} is damaged (an image's sha256 is not one)")
        return ImageRecord(*row)

    def removed_up_to(self, max_id: int) -> NDArray[np.int64]:
        rows = self.conn.execute(
            "SELECT vector_id FROM removed WHERE vector_id <= ?", (max_id,)
        ).fetchall()
        return np.array(self._ids(rows), np.int64).reshape(-1)

    def _ids(self, rows: Sequence[Sequence[Any]]) -> list[int]:
        """The first column of ``rows``: ids, which a damaged file may hold as anything."""
        ids = [r[0] for r in rows]
        if not all(type(i) is int for i in ids):
            raise IndexFormatError(f"{self.path} is damaged (an id is not an integer)")
        return ids

    def counts(self) -> dict[str, int]:
        images = self.conn.execute("SELECT COUNT(*) FROM images").fetchone()[0]
        vectors = self.conn.execute("SELECT COUNT(*) FROM vectors").fetchone()[0]
        max_vec = self.conn.execute("SELECT COALESCE(MAX(id), -1) FROM vectors").fetchall()
        return {
            "images": int(images),
            "vectors": int(vectors),
            "max_vector_id": self._ids(max_vec)[0],
        }


_SHA256 = re.compile(r"[0-9a-f]{64}")
_IMAGE_COLUMNS = "id, sha256, path, width, height, added, pdq, pdq_quality"


def _like_prefix(path: str) -> str:
    escaped = path.rstrip("/").replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped + "/%"


def _chunks(values: list[int], size: int) -> Iterator[list[int]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]
