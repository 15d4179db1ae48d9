"""The report of ``forensics`` rows: verdict, per-analysis table, fused heat-map overlay."""

from __future__ import annotations

import base64
import hashlib
import io
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from pixelproof.forensics import check_analyses
from pixelproof.report import kind_of, write_report
from pixelproof.runner import Row, run
from pixelproof.tasks.forensics import AnalysisSummary, ForensicsFindings, ForensicsTask

from .._images import encode, noise, smooth
from .test_html import HOSTILE_HTML, _data_payload, _parse

WHEN = datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)
HOSTILE_FILE = '<img src=x onerror="alert(1)">.png'


def _spliced(height: int = 120, width: int = 160) -> bytes:
    """A smooth JPEG with a pasted block of noise, saved again at another quality."""
    base = Image.open(io.BytesIO(encode(smooth(height, width), "JPEG", quality=70)))
    pixels = np.asarray(base.convert("RGB")).copy()
    pixels[30:80, 40:110] = noise(50, 70, seed=4)
    return encode(pixels, "JPEG", quality=92)


@pytest.fixture(scope="module")
def forensics_rows(tmp_path_factory: pytest.TempPathFactory) -> list[Row[Any]]:
    folder = tmp_path_factory.mktemp("forensics")
    (folder / "spliced.jpg").write_bytes(_spliced())
    (folder / HOSTILE_FILE).write_bytes(encode(smooth(48, 64), "PNG"))
    broken = encode(noise(64, 64), "JPEG", quality=90)
    (folder / "broken.jpg").write_bytes(broken[: len(broken) // 3])
    files = [str(folder / name) for name in ("spliced.jpg", HOSTILE_FILE, "broken.jpg")]
    task = ForensicsTask(check_analyses(None), str(folder / "heat"), thumbnails=True)
    (folder / "heat").mkdir()
    return list(run(task, files))


def test_a_page_from_real_forensics_rows(forensics_rows: list[Row[Any]], tmp_path: Path) -> None:
    rows = forensics_rows
    assert [row.ok for row in rows] == [True, True, False]
    assert {kind_of(row.result) for row in rows if row.ok} == {"forensics"}
    out = tmp_path / "forensics.html"
    assert write_report(rows, out, protect=[row.path for row in rows], generated=WHEN) == out
    html = out.read_text("utf-8")
    doc = _parse(html)

    assert "<title>pixelproof forensics · 3 images</title>" in html
    assert "Forensic analysis report" in html and "The verdict" in html
    cards = doc.with_class("article", "card")
    assert [card["id"] for card in cards] == ["img-1", "img-2", "img-3"]
    assert "card-error" in (cards[2]["class"] or "") and "This file could not be analysed" in html

    spliced = rows[0].result
    assert isinstance(spliced, ForensicsFindings)
    assert f">{spliced.label}</span>" in html and f"{spliced.score:.2f}" in html
    # one row per analysis, for each image analysed
    analyses = doc.with_class("tr", "an-on") + doc.with_class("tr", "an-off")
    assert len(analyses) == 2 * len(spliced.analyses)
    # the card's preview, and the fused map over it with its slider
    overlays = doc.with_class("img", "heat-overlay")
    assert [o["id"] for o in overlays] == ["ov-1-fused", "ov-2-fused"]
    sliders = doc.find("input", type="range")
    assert [s["data-overlay"] for s in sliders] == ["ov-1-fused", "ov-2-fused"]
    overlay = Image.open(io.BytesIO(_data_payload(overlays[0]["src"], "image/png")))
    assert overlay.mode == "RGBA" and max(overlay.size) <= 384
    assert spliced.heatmap is not None and spliced.heatmap in html  # the saved map's name
    # the JSON row is unchanged: no preview in it
    assert set(spliced.to_dict()) == {
        "score",
        "label",
        "explanation",
        "heatmap",
        "analyses",
        "elapsed_ms",
    }


def test_security_properties(forensics_rows: list[Row[Any]], tmp_path: Path) -> None:
    rows = forensics_rows
    out = tmp_path / "forensics.html"
    write_report(rows, out)
    html = out.read_text("utf-8")
    doc = _parse(html)
    assert "<img src=x" not in html
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;.png" in html
    for _, attrs in doc.tags:
        for name in ("src", "href"):
            value = attrs.get(name)
            assert value is None or value.startswith(("data:", "#")), value
    (csp,) = doc.find("meta", **{"http-equiv": "Content-Security-Policy"})
    policy = csp["content"] or ""
    assert "default-src 'none'" in policy
    for kind, directive in (("script", "script-src"), ("style", "style-src")):
        (text,) = doc.raw[kind]
        digest = base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()
        assert f"{directive} 'sha256-{digest}'" in policy
    assert ".an-file" in doc.raw["style"][0]  # the forensics styles are in


def test_fused_map_read_from_the_heatmap_file_without_previews(tmp_path: Path) -> None:
    source = tmp_path / "spliced.jpg"
    source.write_bytes(_spliced())
    (tmp_path / "heat").mkdir()
    task = ForensicsTask(("ela", "noise"), str(tmp_path / "heat"))
    (row,) = run(task, [str(source)])
    assert row.result is not None and row.result.thumbnail_jpeg is None
    assert row.result.fused_preview is None and row.result.heatmap
    out = tmp_path / "r.html"
    write_report([row], out)
    html = out.read_text("utf-8")
    doc = _parse(html)
    assert "No preview" in html and not doc.with_class("img", "heat-overlay")
    (alone,) = doc.find("image")  # the map alone, from the PNG on disk
    assert Image.open(io.BytesIO(_data_payload(alone["href"], "image/png"))).mode == "RGB"

    Path(row.result.heatmap).unlink()  # gone since: no map, no error
    write_report([row], out)
    assert not _parse(out.read_text("utf-8")).find("image")


def test_hostile_text_and_failed_rows(tmp_path: Path) -> None:
    found = ForensicsFindings(
        score=0.97,
        label=HOSTILE_HTML,
        explanation=f"Edited {HOSTILE_HTML}",
        analyses={
            HOSTILE_HTML: AnalysisSummary(0.9, True, HOSTILE_HTML, heatmap=HOSTILE_HTML),
            "dq": AnalysisSummary(0.0, False, "Not a JPEG."),
        },
        heatmap=f"/heat/{HOSTILE_HTML}.png",
    )
    rows: list[Row[Any]] = [
        Row(f"/in/{HOSTILE_HTML}.jpg", "1" * 64, result=found),
        Row.failed(HOSTILE_HTML, "corrupt_image", HOSTILE_HTML),
    ]
    out = tmp_path / "r.html"
    write_report(rows, out)
    html = out.read_text("utf-8")
    assert "<img src=x" not in html
    assert html.count("&lt;img src=x onerror=&#34;alert(2)&#34;&gt;") >= 8
    doc = _parse(html)
    assert len(doc.find("script")) == 1
    assert all("onerror" not in attrs for _, attrs in doc.tags)
    # an unknown label is text in the neutral tone, never a class name
    assert {a["class"] for a in doc.with_class("span", "chip")} <= {
        "chip tone-grey",
        "chip tone-error",
        "chip tone-red",
        "chip tone-amber",
        "chip tone-green",
    }
    assert doc.with_class("tr", "an-off") and doc.with_class("tr", "row-error")
    assert "The fused heat-map could not be drawn." not in html  # no map: nothing to draw


def test_all_failed_rows_with_a_kind(tmp_path: Path) -> None:
    out = tmp_path / "r.html"
    write_report([Row.failed("x.jpg", "not_found", "no such file")], out, kind="forensics")
    html = out.read_text("utf-8")
    assert "Forensic analysis report" in html and "no such file" in html
    write_report([], out, kind="forensics")
    assert "No images were analysed." in out.read_text("utf-8")
    with pytest.raises(ValueError, match="unknown report kind"):
        write_report([], out, kind="nope")
