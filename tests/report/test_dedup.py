"""The dedup page: the scan report's layout and styles, one panel per group, no network."""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime
from pathlib import Path

from PIL import Image

from pixelproof import __version__
from pixelproof.match import DedupResult, DedupRow
from pixelproof.report import write_dedup_report

from .._images import noise
from .test_html import _parse

WHEN = datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)
HOSTILE_NAME = '<img src=x onerror="alert(1)">.png'


def _result(folder: Path) -> DedupResult:
    folder.mkdir()
    original = folder / "a.png"
    Image.fromarray(noise(60, 90, seed=1)).save(original)
    hostile = folder / HOSTILE_NAME
    hostile.write_bytes(original.read_bytes())
    rows = [
        DedupRow(str(original), 0, "near", sha256="a" * 64),
        DedupRow(str(hostile), 0, "exact", sha256="a" * 64),
        DedupRow(str(folder / "gone.png"), 0, "edited"),  # vanished since: no preview
        DedupRow(str(folder / "loner.png"), 3, "unique"),
        DedupRow(str(folder / "bad.jpg"), 4, "unique", error="corrupt", error_type="corrupt"),
    ]
    return DedupResult(rows=rows, threshold=0.75)


def test_groups_thumbnails_and_layout(tmp_path: Path) -> None:
    out = tmp_path / "dedup.html"
    write_dedup_report(_result(tmp_path / "photos"), out, thumb_side=40, generated=WHEN)
    html = out.read_text(encoding="utf-8")
    doc = _parse(html)
    assert f'content="pixelproof {__version__}"' in html and "2024-05-06" in html
    assert len(doc.with_class("section", "panel")) == 1
    images = doc.find("img")
    assert len(images) == 2 and all((i["src"] or "").startswith("data:image/jpeg") for i in images)
    assert all(int(i["width"] or 0) <= 40 and int(i["height"] or 0) <= 40 for i in images)
    assert "No preview" in html and "loner.png" not in html and "bad.jpg" not in html
    tones = [attrs["class"] for attrs in doc.with_class("span", "chip")]
    assert tones == ["chip tone-cyan", "chip tone-grey", "chip tone-amber"]
    assert "<img src=x" not in html  # the hostile name is text
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;.png" in html


def test_the_style_matches_the_csp_and_no_script_is_allowed(tmp_path: Path) -> None:
    out = tmp_path / "dedup.html"
    write_dedup_report(_result(tmp_path / "photos"), out, generated=WHEN)
    doc = _parse(out.read_text(encoding="utf-8"))
    (csp,) = doc.find("meta", **{"http-equiv": "Content-Security-Policy"})
    policy = csp["content"] or ""
    (style,) = doc.raw["style"]
    digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
    assert f"style-src 'sha256-{digest}'" in policy
    assert "script-src 'none'" in policy and not doc.raw["script"]
    assert ".masthead" in style and ".dup-grid" in style  # the scan report's styles, and its own


def test_no_duplicates(tmp_path: Path) -> None:
    out = tmp_path / "dedup.html"
    rows = [DedupRow(str(tmp_path / "x.png"), 0, "unique")]
    write_dedup_report(DedupResult(rows=rows), out, generated=WHEN)
    assert "No duplicates found." in out.read_text(encoding="utf-8")
