"""The provenance index: adding, searching, removing, persistence and concurrent readers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from pixelproof.match import IndexFormatError, ProvenanceIndex
from pixelproof.match._ann import AnnIndex, auto_spec
from pixelproof.match._store import Store
from pixelproof.tasks.match import add_paths

from .conftest import scene


def _crop_resize_jpeg(source: Path, target: Path) -> Path:
    image = Image.open(source)
    width, height = image.size
    cropped = image.crop((width // 4, height // 4, width - width // 8, height - height // 8))
    cropped.resize((width // 2, height // 2)).save(target, quality=70)
    return target


def test_add_is_idempotent_by_content(tmp_path: Path, photo_folder: Path) -> None:
    db = tmp_path / "refs.db"
    with ProvenanceIndex(db, create=True) as index:
        first = list(add_paths(index, [str(p) for p in sorted(photo_folder.iterdir())]))
        assert [r.result.status for r in first] == ["added"] * 8
    copy = tmp_path / "same.png"
    copy.write_bytes((photo_folder / "ref0.png").read_bytes())
    with ProvenanceIndex(db, create=True) as index:
        again = list(add_paths(index, [str(photo_folder / "ref1.png"), str(copy)]))
        assert [r.result.status for r in again] == ["present", "present"]
        assert len(index) == 8


def test_edited_copy_ranks_its_reference_first(tmp_path: Path, photo_folder: Path) -> None:
    with ProvenanceIndex(tmp_path / "refs.db", create=True) as index:
        list(add_paths(index, [str(p) for p in sorted(photo_folder.iterdir())]))
        query = _crop_resize_jpeg(photo_folder / "ref3.png", tmp_path / "q.jpg")
        result = index.search(str(query), k=3)
    best = result.matches[0]
    assert Path(best.ref).name == "ref3.png"
    assert best.score > 0.5 and best.verified and best.inliers > 10
    assert best.region is not None and best.region[0] == pytest.approx(0.25, abs=0.05)
    assert all(m.score < 0.5 for m in result.matches[1:])
    assert [m.score for m in result.matches] == sorted(
        (m.score for m in result.matches), reverse=True
    )


def test_unrelated_query_scores_low(tmp_path: Path, photo_folder: Path) -> None:
    with ProvenanceIndex(tmp_path / "refs.db", create=True) as index:
        list(add_paths(index, [str(p) for p in sorted(photo_folder.iterdir())]))
        result = index.search(scene(999), k=5)
    assert result.matches and all(0.0 <= m.score < 0.5 for m in result.matches)


def test_mirrored_copy_is_found(tmp_path: Path) -> None:
    with ProvenanceIndex(tmp_path / "refs.db", create=True) as index:
        for i in range(4):
            index.add(scene(200 + i), name=f"s{i}")
        result = index.search(np.ascontiguousarray(scene(202)[::-1]), k=2)
    assert result.matches[0].ref == "s2" and result.matches[0].mirrored


def test_remove_by_path_and_folder(tmp_path: Path, photo_folder: Path) -> None:
    db = tmp_path / "refs.db"
    with ProvenanceIndex(db, create=True) as index:
        list(add_paths(index, [str(p) for p in sorted(photo_folder.iterdir())]))
        removed = index.remove([str(photo_folder / "ref2.png")])
        assert [Path(r.path).name for r in removed] == ["ref2.png"]
        result = index.search(str(photo_folder / "ref2.png"), k=8)
        assert all(Path(m.ref).name != "ref2.png" for m in result.matches)
    with ProvenanceIndex(db) as index:  # the snapshot drops the removed vectors
        assert len(index) == 7
        assert index.ann.ntotal == 7
        assert len(index.remove([str(photo_folder)])) == 7
        assert len(index) == 0


def test_reader_sees_what_a_writer_commits(tmp_path: Path) -> None:
    db = tmp_path / "refs.db"
    writer = ProvenanceIndex(db, create=True)
    writer.add(scene(300), name="a")
    reader = ProvenanceIndex(db, readonly=True)
    assert reader.search(scene(301), k=5).matches[0].ref == "a"
    writer.add(scene(301), name="b")  # committed, no snapshot written yet
    assert reader.search(scene(301), k=5).matches[0].ref == "b"
    reader.close()
    writer.close()


def test_not_an_index(tmp_path: Path) -> None:
    bogus = tmp_path / "bogus.db"
    bogus.write_bytes(b"not a database at all" * 100)
    with pytest.raises(IndexFormatError):
        ProvenanceIndex(bogus)


def test_descriptor_of_an_existing_index_is_kept(tmp_path: Path) -> None:
    db = tmp_path / "refs.db"
    ProvenanceIndex(db, create=True, descriptor="pdq").close()
    with ProvenanceIndex(db) as index:
        assert index.descriptor.spec == "pdq"
    with pytest.raises(ValueError, match="was built with"):
        ProvenanceIndex(db, descriptor="effnet")


def test_stats_and_snapshot(tmp_path: Path) -> None:
    db = tmp_path / "refs.db"
    with ProvenanceIndex(db, create=True) as index:
        index.add(scene(400), name="x")
    with ProvenanceIndex(db, readonly=True) as index:
        stats = index.stats()
    assert stats.images == 1 and stats.vectors == 1 and stats.ann == "Flat"
    assert stats.ann_bytes > 0 and stats.db_bytes > 0


def test_compressed_index_round_trips(tmp_path: Path) -> None:
    import faiss

    faiss.omp_set_num_threads(1)
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(1500, 32)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    store = Store(tmp_path / "v.db", create=True)
    with store.conn:
        store.conn.executemany(
            "INSERT INTO vectors(id, image_id, vec) VALUES(?, ?, ?)",
            [(i * 8, i, v.astype(np.float16).tobytes()) for i, v in enumerate(vectors)],
        )
    ann = AnnIndex.open(store, 32, "IVF8,PQ8x4")
    ann.save(store)
    again = AnnIndex.open(store, 32, "IVF8,PQ8x4")
    assert again.built_spec == "IVF8,PQ8x4" and again.ntotal == 1500
    _, ids = again.search(vectors[:50], 10)
    assert np.mean([(i * 8) in row for i, row in enumerate(ids)]) > 0.8
    store.close()


def test_auto_spec_switches_to_compressed_codes() -> None:
    assert auto_spec(1000, 256) == "Flat"
    assert auto_spec(250_000, 256) == "IVF2048,PQ32"
    assert auto_spec(1_000_000, 256) == "IVF4096,PQ32"
    # The list count stops growing (adding compares each vector with every list centre).
    assert auto_spec(10_000_000, 256) == auto_spec(100_000_000, 256) == "IVF4096,PQ32"
