"""``--report FILE`` of ``forensics`` (and the target checks every command shares)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pixelproof.cli import app

from .._images import encode, noise, smooth

runner = CliRunner()


@pytest.fixture
def photos(tmp_path: Path) -> Path:
    folder = tmp_path / "photos"
    folder.mkdir()
    (folder / "a.jpg").write_bytes(encode(smooth(48, 64), "JPEG", quality=85))
    (folder / '<b onmouseover="x()">.png').write_bytes(encode(noise(40, 40), "PNG"))
    data = encode(noise(64, 64), "JPEG", quality=90)
    (folder / "broken.jpg").write_bytes(data[: len(data) // 3])
    return folder


def test_forensics_report(photos: Path, tmp_path: Path) -> None:
    report = tmp_path / "f.html"
    args = ["forensics", str(photos), "-a", "ela,noise", "--json", "--report", str(report)]
    result = runner.invoke(app, args)
    assert result.exit_code == 1, result.output  # the broken file
    rows = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert len(rows) == 3 and all("thumbnail" not in json.dumps(row) for row in rows)
    assert f"report written to {report}" in result.stderr
    html = report.read_text("utf-8")
    assert "<title>pixelproof forensics · 3 images</title>" in html
    assert html.count('class="heat-overlay"') == 2  # the fused map over each preview
    assert html.count('<tr class="an-') == 4  # two analyses, two images analysed
    assert "This file could not be analysed" in html
    assert "<b onmouseover" not in html and "&lt;b onmouseover=&#34;x()&#34;&gt;.png" in html


def test_report_targets_are_checked_before_any_work(photos: Path, tmp_path: Path) -> None:
    source = photos / "a.jpg"
    before = source.read_bytes()
    for command in (["forensics", "-a", "ela"], ["scan", "--only", "metadata"]):
        refused = runner.invoke(app, [*command, str(photos), "--report", str(source)])
        assert refused.exit_code == 2, refused.output
        assert "one of the input files" in refused.stderr and not refused.stdout
        assert source.read_bytes() == before

    elsewhere = tmp_path / "precious.txt"
    elsewhere.write_text("keep")
    link = tmp_path / "link.html"
    link.symlink_to(elsewhere)
    refused = runner.invoke(app, ["forensics", "-a", "ela", str(source), "--report", str(link)])
    assert refused.exit_code == 2 and "symbolic link" in refused.stderr
    assert elsewhere.read_text() == "keep" and link.is_symlink()

    missing = tmp_path / "nowhere" / "r.html"
    refused = runner.invoke(app, ["forensics", "-a", "ela", str(source), "--report", str(missing)])
    assert refused.exit_code == 2 and "no folder" in refused.stderr
