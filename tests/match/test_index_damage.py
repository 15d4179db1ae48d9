"""Damaged or hostile index files give ``IndexFormatError``, never another error.

Each case here was first found by the index fuzzer (``fuzz/fuzz_index.py``).
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from pixelproof.match import IndexFormatError, ProvenanceIndex

from .conftest import scene


@pytest.fixture
def index_file(tmp_path: Path) -> Path:
    path = tmp_path / "refs.db"
    with ProvenanceIndex(path, create=True, descriptor="pdq") as index:
        index.add(scene(1, 96, 128), name="one")
        index.add(scene(2, 96, 128), name="two")
    return path


def _edit(path: Path, *statements: str) -> None:
    conn = sqlite3.connect(path)
    with conn:
        for statement in statements:
            conn.execute(statement)
    conn.close()


def _settings(path: Path, **changes: object) -> None:
    conn = sqlite3.connect(path)
    raw = conn.execute("SELECT value FROM meta WHERE key = 'settings'").fetchone()[0]
    settings = {**json.loads(raw), **changes}
    with conn:
        conn.execute("UPDATE meta SET value = ? WHERE key = 'settings'", (json.dumps(settings),))
    conn.close()


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE meta SET value = 'not json {' WHERE key = 'settings'",
        "UPDATE meta SET value = '[1, 2]' WHERE key = 'settings'",
        "UPDATE meta SET value = 'one' WHERE key = 'schema_version'",
    ],
    ids=["settings-not-json", "settings-not-object", "version-not-a-number"],
)
@pytest.mark.parametrize("readonly", [True, False])
def test_damaged_meta_or_schema(index_file: Path, statement: str, readonly: bool) -> None:
    _edit(index_file, statement)
    with pytest.raises(IndexFormatError):
        ProvenanceIndex(index_file, readonly=readonly)


def test_missing_table_read_only(index_file: Path) -> None:
    """A writer creates missing tables; a reader refuses the file."""
    _edit(index_file, "DROP TABLE local")
    with pytest.raises(IndexFormatError, match="no table 'local'"):
        ProvenanceIndex(index_file, readonly=True)
    with ProvenanceIndex(index_file) as index:
        assert len(index) == 2


@pytest.mark.parametrize(
    "changes",
    [
        {"descriptor": "nonsense"},
        {"descriptor": 3},
        {"ann": "autp"},
        {"ann": "IVF100000000,PQ8"},
        {"ann": "IVF16,PQ8x24"},
        {"local_side": "512"},
        {"local_features": 10**12},
    ],
)
def test_invalid_settings(index_file: Path, changes: dict[str, object]) -> None:
    _settings(index_file, **changes)
    with pytest.raises(IndexFormatError, match="settings are invalid"):
        ProvenanceIndex(index_file)


def test_a_new_index_refuses_a_structure_faiss_cannot_build(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="FAISS cannot build"):
        ProvenanceIndex(tmp_path / "new.db", create=True, descriptor="pdq", ann="garbage")


def test_vectors_of_different_sizes(index_file: Path) -> None:
    _edit(index_file, "UPDATE vectors SET vec = x'0000' WHERE id = (SELECT MIN(id) FROM vectors)")
    with ProvenanceIndex(index_file, readonly=True) as index, pytest.raises(IndexFormatError):
        index.vectors()


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE images SET path = x'00ff' WHERE path = 'one'",
        "UPDATE images SET path = CAST(x'66ff6f' AS TEXT) WHERE path = 'one'",
        "UPDATE images SET sha256 = 'not a sha' WHERE path = 'one'",
    ],
    ids=["blob-for-text", "text-not-utf8", "sha256-not-hex"],
)
def test_image_rows_of_the_wrong_type(index_file: Path, statement: str) -> None:
    _edit(index_file, statement)
    with ProvenanceIndex(index_file, readonly=True) as index, pytest.raises(IndexFormatError):
        list(index.records())


def test_corrupt_pages(index_file: Path) -> None:
    data = bytearray(index_file.read_bytes())
    page = int.from_bytes(data[16:18], "big")
    data[page * 2 : page * 2 + 64] = b"\xff" * 64  # the third page: inside a table
    index_file.write_bytes(bytes(data))
    with pytest.raises(IndexFormatError), ProvenanceIndex(index_file, readonly=True) as index:
        len(index), list(index.records()), index.vectors()


def test_remove_a_target_that_is_no_path(index_file: Path) -> None:
    with ProvenanceIndex(index_file) as index:
        assert index.remove(["one\x00two", ""]) == []
        assert len(index) == 2
