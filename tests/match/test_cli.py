"""The index, match and dedup commands: JSON Lines, error rows and exit codes."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from pixelproof.cli import app

from .conftest import save, scene

runner = CliRunner()


def _rows(output: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in output.splitlines() if line.startswith("{")]


def test_index_match_and_maintenance(tmp_path: Path, photo_folder: Path) -> None:
    db = tmp_path / "idx"
    result = runner.invoke(app, ["index", "add", "--db", str(db), str(photo_folder), "--json"])
    assert result.exit_code == 0, result.output
    rows = _rows(result.stdout)
    assert len(rows) == 8 and all(r["status"] == "added" and "path" in r for r in rows)
    again = runner.invoke(app, ["index", "add", "--db", str(db), str(photo_folder)])
    assert again.exit_code == 0 and "already present 8" in again.stdout

    query = save(scene(104)[40:300, 60:400], tmp_path / "q.jpg", quality=60)
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8\xff not a jpeg")
    found = runner.invoke(
        app, ["match", "--db", str(db), str(query), str(broken), "--top-k", "2", "--json"]
    )
    assert found.exit_code == 1
    ok, bad = _rows(found.stdout)
    assert Path(str(ok["matches"][0]["ref"])).name == "ref4.png"  # type: ignore[index]
    assert ok["matches"][0]["score"] > 0.5 and "region" in ok["matches"][0]  # type: ignore[index]
    assert bad["path"] == str(broken) and "error" in bad and "error_type" in bad
    assert "Traceback" not in found.output

    assert ok["calibrated"] is True and "uncalibrated" not in found.stderr
    stats = runner.invoke(app, ["index", "stats", "--db", str(db), "--json"])
    assert stats.exit_code == 0 and _rows(stats.stdout)[0]["images"] == 8
    assert _rows(stats.stdout)[0]["calibrated"] is True
    exported = runner.invoke(app, ["index", "export", "--db", str(db)])
    assert exported.exit_code == 0 and len(_rows(exported.stdout)) == 8

    removed = runner.invoke(
        app, ["index", "remove", "--db", str(db), str(photo_folder / "ref0.png"), "nope", "--json"]
    )
    assert removed.exit_code == 1
    first, second = _rows(removed.stdout)
    assert first["removed"] == [str(photo_folder / "ref0.png")]
    assert second["error_type"] == "not_in_index"


def test_an_uncalibrated_descriptor_says_so(tmp_path: Path, photo_folder: Path) -> None:
    # PDQ has no fitted score model: the fallback's scores promise no false-match rate,
    # so every row, the index stats and a warning say so.
    db = tmp_path / "pdq"
    added = runner.invoke(
        app, ["index", "add", "--db", str(db), str(photo_folder), "--descriptor", "pdq"]
    )
    assert added.exit_code == 0, added.output
    query = save(scene(102), tmp_path / "q.jpg", quality=80)
    found = runner.invoke(app, ["match", "--db", str(db), str(query), "--json"])
    assert found.exit_code == 0, found.output
    (row,) = _rows(found.stdout)
    assert row["calibrated"] is False
    assert Path(str(row["matches"][0]["ref"])).name == "ref2.png"  # type: ignore[index]
    assert "warning: no score calibration" in found.stderr and "pdq" in found.stderr
    stats = runner.invoke(app, ["index", "stats", "--db", str(db), "--json"])
    assert _rows(stats.stdout)[0]["calibrated"] is False
    text = runner.invoke(app, ["index", "stats", "--db", str(db)])
    assert "scores      uncalibrated" in text.stdout


def test_replication_summary(tmp_path: Path, photo_folder: Path) -> None:
    db = tmp_path / "train"
    assert runner.invoke(app, ["index", "add", "--db", str(db), str(photo_folder)]).exit_code == 0
    generated = tmp_path / "gen"
    generated.mkdir()
    save(scene(101)[::-1], generated / "copy.png")
    save(scene(4242), generated / "new.png")
    summary = tmp_path / "summary.json"
    result = runner.invoke(
        app,
        [
            "match",
            "--db",
            str(db),
            str(generated),
            "--replication",
            "--summary",
            str(summary),
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    rows = {Path(str(r["path"])).name: r for r in _rows(result.stdout)}
    assert rows["copy.png"]["replicated"] is True and rows["new.png"]["replicated"] is False
    data = json.loads(summary.read_text())
    assert data["images"] == 2 and data["replicated"] == 1 and data["rate"] == 0.5


def test_dedup_command(tmp_path: Path) -> None:
    folder = tmp_path / "c"
    folder.mkdir()
    save(scene(900), folder / "a.png")
    save(scene(900)[:, ::-1], folder / "a_flip.png")
    for i in range(5):  # unrelated images (alike to the network: all procedural)
        save(scene(901 + i), folder / f"b{i}.png")
    report = tmp_path / "r.html"
    result = runner.invoke(app, ["dedup", str(folder), "--json", "--report", str(report)])
    assert result.exit_code == 0, result.output
    rows = {Path(str(r["path"])).name: r for r in _rows(result.stdout)}
    assert rows["a.png"]["group"] == rows["a_flip.png"]["group"] != rows["b0.png"]["group"]
    assert len({rows[f"b{i}.png"]["group"] for i in range(5)}) == 5
    assert rows["b0.png"]["kind"] == "unique" and rows["a_flip.png"]["kind"] == "edited"
    assert report.exists()


def test_match_without_index_is_a_usage_error(tmp_path: Path) -> None:
    query = save(scene(1), tmp_path / "q.png")
    result = runner.invoke(app, ["match", "--db", str(tmp_path / "none"), str(query)])
    assert result.exit_code == 2 and "Traceback" not in result.output


def test_match_report(tmp_path: Path) -> None:
    refs = tmp_path / "refs"
    refs.mkdir()
    for i in range(3):
        save(scene(300 + i), refs / f"ref{i}.png")
    db = tmp_path / "idx"
    assert runner.invoke(app, ["index", "add", "--db", str(db), str(refs)]).exit_code == 0
    query = save(scene(301)[30:280, 50:420], tmp_path / "q.jpg", quality=70)
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8\xff not a jpeg")
    report = tmp_path / "m.html"
    args = ["match", "--db", str(db), str(query), str(broken), "-k", "2", "--report", str(report)]
    found = runner.invoke(app, args)
    assert found.exit_code == 1 and "Traceback" not in found.output  # the broken input
    assert "ref1.png" in found.stdout  # the rows are printed as usual, then the page written
    assert f"report written to {report}" in found.stderr
    html = report.read_text("utf-8")
    assert "<title>pixelproof match · 2 images</title>" in html
    assert html.count('<li class="match">') == 2 and 'class="match-region' in html
    assert ">ref1.png</span>" in html and "This file could not be analysed" in html
    assert 'src="http' not in html and 'href="http' not in html

    # never over an input nor the index; nothing runs then
    for target in (query, db):
        before = target.read_bytes()
        refused = runner.invoke(
            app, ["match", "--db", str(db), str(query), "--report", str(target)]
        )
        assert refused.exit_code == 2 and "one of the input files" in refused.stderr
        assert target.read_bytes() == before


def test_an_index_of_a_retired_whitening_is_refused_with_how_to_rebuild(tmp_path: Path) -> None:
    # An index built before the whitening was refitted (2026-12-07) stores vectors of
    # another descriptor: searching or extending it with today's would compare vectors
    # of two whitenings, so every command refuses it and says how to rebuild.
    import sqlite3

    import pytest

    from pixelproof.match import IndexFormatError, ProvenanceIndex

    db = tmp_path / "old.db"
    ProvenanceIndex(db, create=True).close()
    old = "effnet:size=256,layer=head,regions=false,whitening=effnet_lite0"
    conn = sqlite3.connect(db)
    with conn:
        (raw,) = conn.execute("SELECT value FROM meta WHERE key = 'settings'").fetchone()
        settings = {**json.loads(raw), "descriptor": old}
        conn.execute("UPDATE meta SET value = ? WHERE key = 'settings'", (json.dumps(settings),))
    conn.close()
    query = save(scene(1), tmp_path / "q.jpg")
    for command in (["match", str(query)], ["index", "add", str(query)], ["index", "stats"]):
        result = runner.invoke(app, [*command, "--db", str(db)])
        assert result.exit_code == 2, result.output
        message = " ".join(result.stderr.split())
        assert f"built with descriptor '{old}'" in message and "no longer ships" in message
        assert "`pixelproof index add --db NEW.db IMAGES...`" in message
        assert "Traceback" not in result.output
    with pytest.raises(IndexFormatError, match=f"built with descriptor '{old}'"):
        ProvenanceIndex(db, readonly=True)
