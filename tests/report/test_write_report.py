"""write_report: any command's rows on one template set, written safely."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from pixelproof.io import UnsafeOutputError
from pixelproof.match import DedupRow
from pixelproof.report import kind_of, write_report
from pixelproof.runner import Row, run
from pixelproof.tasks.forensics import ForensicsFindings
from pixelproof.tasks.meta import MetaTask

from .._images import encode, smooth
from .test_html import HOSTILE_HTML, _good_report, _parse


def test_any_other_command_shows_its_fields(tmp_path: Path) -> None:
    source = tmp_path / "photo.jpg"
    source.write_bytes(encode(smooth(32, 48), "JPEG", quality=90))
    (row,) = run(MetaTask(c2pa=False), [str(source)])
    assert row.ok and kind_of(row.result) == "result"
    out = tmp_path / "meta.html"
    write_report([row], out, title=f"Case {HOSTILE_HTML}")
    html = out.read_text("utf-8")
    doc = _parse(html)
    assert "<title>Case &lt;img src=x" in html and "<img src=x" not in html
    assert "How to read this report" not in html  # nothing to explain about unknown results
    assert doc.with_class("table", "kv") and "48 \u00d7 32 px" in html


def test_rows_of_several_commands_share_one_page(tmp_path: Path) -> None:
    forensic = Row("/b.jpg", "2" * 64, result=ForensicsFindings(0.1, "authentic", "Nothing found."))
    out = tmp_path / "mixed.html"
    write_report([_good_report("/a.jpg"), forensic], out)
    html = out.read_text("utf-8")
    doc = _parse(html)
    assert "Image provenance &amp; forensics report" in html  # named after the first row
    assert "Error level analysis heat-maps" in html and "The verdict" in html
    assert len(doc.with_class("section", "ev")) == 2 + 1  # two analyzers, one verdict
    assert ".an-file" in doc.raw["style"][0]


def test_dedup_rows_make_the_groups_page(tmp_path: Path) -> None:
    rows: list[Row[Any]] = [
        Row("/x/a.png", "a" * 64, result=DedupRow("/x/a.png", 0, "near", "a" * 64)),
        Row("/x/b.png", "b" * 64, result=DedupRow("/x/b.png", 0, "edited", "b" * 64)),
        Row("/x/c.png", "c" * 64, result=DedupRow("/x/c.png", 2, "unique", "c" * 64)),
        Row.failed("/x/d.png", "corrupt_image", "bad"),
    ]
    out = tmp_path / "dedup.html"
    write_report(rows, out, threshold=0.75)
    html = out.read_text("utf-8")
    doc = _parse(html)
    assert "<title>pixelproof dedup · 4 images</title>" in html and "0.750" in html
    assert len(doc.with_class("section", "panel")) == 1 and "c.png" not in html
    (csp,) = doc.find("meta", **{"http-equiv": "Content-Security-Policy"})
    assert "script-src 'none'" in (csp["content"] or "") and not doc.raw["script"]


def test_never_over_an_input_nor_through_a_link(tmp_path: Path) -> None:
    source = tmp_path / "photo.jpg"
    source.write_bytes(b"precious")
    with pytest.raises(UnsafeOutputError):
        write_report([_good_report(str(source))], source, protect=[source])
    assert source.read_bytes() == b"precious"
    link = tmp_path / "r.html"
    link.symlink_to(source)
    with pytest.raises(UnsafeOutputError):
        write_report([_good_report()], link)
    assert source.read_bytes() == b"precious" and link.is_symlink()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["photo.jpg", "r.html"]
