"""Manifests as inputs (CSV, Parquet) and ``--out-parquet`` shards of the rows."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pixelproof.cli import app
from pixelproof.inputs import expand_inputs

from ._images import encode, noise


@pytest.fixture
def listed(tmp_path: Path) -> Path:
    """Two images in a sub-folder and a CSV manifest beside it listing them, a missing
    file and an empty path."""
    (tmp_path / "img").mkdir()
    (tmp_path / "img" / "a.png").write_bytes(encode(noise(8, 8), "PNG"))
    (tmp_path / "img" / "b.jpg").write_bytes(encode(noise(8, 8, seed=1), "JPEG"))
    manifest = tmp_path / "list.csv"
    manifest.write_text("id,path\n7,img/a.png\n,img/gone.png\n9,\nx,img/b.jpg\n7,img/a.png\n")
    return manifest


def test_a_csv_manifest_lists_files_relative_to_itself(listed: Path) -> None:
    expanded = expand_inputs([str(listed)])
    folder = listed.parent / "img"
    assert expanded.files == [
        str(folder / "a.png"),
        str(folder / "gone.png"),
        str(folder / "b.jpg"),
    ]
    assert expanded.ids == {str(folder / "a.png"): "7", str(folder / "b.jpg"): "x"}
    assert expanded.skipped == 1  # the empty path


def test_a_parquet_manifest_is_read_like_a_csv_one(listed: Path) -> None:
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    target = listed.with_suffix(".parquet")
    pq.write_table(pa.table({"path": ["img/b.jpg", "/abs/c.png"], "id": [1, None]}), target)
    expanded = expand_inputs([str(target)])
    assert expanded.files == [str(listed.parent / "img" / "b.jpg"), "/abs/c.png"]
    assert expanded.ids == {str(listed.parent / "img" / "b.jpg"): "1"}


@pytest.mark.parametrize("text", ["file,id\na.png,1\n", "\x00\x01garbage"])
def test_a_manifest_without_a_path_column_is_refused(tmp_path: Path, text: str) -> None:
    manifest = tmp_path / "bad.csv"
    manifest.write_text(text)
    with pytest.raises(ValueError, match="path"):
        expand_inputs([str(manifest)])
    result = CliRunner().invoke(app, ["meta", str(manifest)])
    assert result.exit_code == 2 and "Traceback" not in result.output


def test_out_parquet_holds_every_row_with_its_manifest_id(listed: Path, tmp_path: Path) -> None:
    pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    out = tmp_path / "rows"
    result = CliRunner().invoke(app, ["meta", str(listed), "--json", "--out-parquet", str(out)])
    assert result.exit_code == 1  # gone.png
    printed = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    table = pq.read_table(out / "part-00000.parquet").to_pylist()
    assert [json.loads(r["row"]) for r in table] == printed
    assert [(Path(r["path"]).name, r["id"], r["error_type"]) for r in table] == [
        ("a.png", "7", None),
        ("gone.png", None, "not_found"),
        ("b.jpg", "x", None),
    ]
