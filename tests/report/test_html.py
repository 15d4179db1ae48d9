"""The self-contained HTML report: structure, embedded pictures, no network, escaping."""

from __future__ import annotations

import base64
import hashlib
import io
import re
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from pixelproof import __version__
from pixelproof.evidence import Evidence, Heatmap, ImageFacts, Label
from pixelproof.report import write_html_report
from pixelproof.report._images import MAX_SIZE, fit_within, make_heatmap_pictures
from pixelproof.report._view import file_name, format_value
from pixelproof.runner import Row
from pixelproof.tasks.scan import ScanFindings, scan_image

from .._images import encode, noise

TITLES = {"ela": "Error level analysis", "metadata": "File metadata"}
HOSTILE_NAME = "<script>alert(1)</script>.png"
HOSTILE_HTML = '<img src=x onerror="alert(2)">'


class _Collector(HTMLParser):
    """Every start tag with its attributes, plus the text of each <script> and <style>."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.raw: dict[str, list[str]] = {"script": [], "style": []}
        self._open: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag in self.raw:
            self._open = tag
            self.raw[tag].append("")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_endtag(self, tag: str) -> None:
        if tag == self._open:
            self._open = None

    def handle_data(self, data: str) -> None:
        if self._open is not None:
            self.raw[self._open][-1] += data

    def find(self, tag: str, **wanted: str) -> list[dict[str, str | None]]:
        return [
            attrs
            for name, attrs in self.tags
            if name == tag and all(attrs.get(k) == v for k, v in wanted.items())
        ]

    def with_class(self, tag: str, cls: str) -> list[dict[str, str | None]]:
        return [
            attrs
            for name, attrs in self.tags
            if name == tag and cls in (attrs.get("class") or "").split()
        ]


def _parse(html: str) -> _Collector:
    parser = _Collector()
    parser.feed(html)
    parser.close()
    return parser


def _thumbnail(width: int = 96, height: int = 64) -> bytes:
    image = Image.fromarray(noise(height, width, seed=3))
    image.thumbnail((MAX_SIZE, MAX_SIZE))
    return encode(image, "JPEG", quality=85)


def _facts(width: int = 96, height: int = 64) -> ImageFacts:
    return ImageFacts("JPEG", width, height, "RGB", 8, False, 1, ())


def _report(
    path: str,
    *,
    sha256: str | None = None,
    image: ImageFacts | None = None,
    evidence: tuple[Evidence, ...] = (),
    warnings: tuple[str, ...] = (),
    analyzer_errors: dict[str, str] | None = None,
    thumbnail_jpeg: bytes | None = None,
) -> Row[ScanFindings]:
    findings = ScanFindings(evidence, analyzer_errors or {}, {}, thumbnail_jpeg)
    return Row(path, sha256, image, warnings, findings)


def _failed(path: str, error_type: str, message: str) -> Row[ScanFindings]:
    return Row(path, error=message, error_type=error_type)  # type: ignore[arg-type]


def _heatmap(width: int = 96, height: int = 64) -> Heatmap:
    y, x = np.mgrid[0 : height // 8, 0 : width // 8]
    return Heatmap.from_float((x + y) / float(x.max() + y.max()), (width, height))


def _good_report(path: str = "/photos/good.jpg") -> Row[ScanFindings]:
    return _report(
        path=path,
        sha256="0" * 64,
        image=_facts(),
        evidence=(
            Evidence(
                "ela",
                "forensics",
                Label.INFO,
                "Bright areas changed more.",
                heatmap=_heatmap(),
                details={"quality": 90, "median_level": 0.25},
                elapsed_ms=12.5,
            ),
            Evidence("metadata", "metadata", Label.SYNTHETIC, "Made by a generator.", score=0.9),
        ),
        warnings=("file extension '.png' suggests PNG, but the content is JPEG",),
        analyzer_errors={"broken": "RuntimeError: analyzer exploded"},
        thumbnail_jpeg=_thumbnail(),
    )


def _render(tmp_path: Path, reports: list[Row[ScanFindings]]) -> str:
    target = tmp_path / "report.html"
    write_html_report(reports, target, analyzer_titles=TITLES)
    return target.read_text("utf-8")


def _data_payload(uri: str | None, mime: str) -> bytes:
    assert uri is not None
    prefix = f"data:{mime};base64,"
    assert uri.startswith(prefix)
    return base64.b64decode(uri[len(prefix) :], validate=True)


def test_header_counts_and_one_card_per_report(tmp_path: Path) -> None:
    reports = [
        _good_report("/a/one.jpg"),
        _good_report("/a/two.jpg"),
        _failed("/a/bad.jpg", "corrupt_image", "damaged JPEG data"),
    ]
    html = _render(tmp_path, reports)
    doc = _parse(html)
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]  # no partial file left

    cards = doc.with_class("article", "card")
    assert [card["id"] for card in cards] == ["img-1", "img-2", "img-3"]
    assert html.startswith("<!DOCTYPE html>")
    assert f"pixelproof {__version__}" in html
    assert re.search(r'<div class="stat-num">3</div><div class="stat-label">inputs', html)
    assert re.search(r'<div class="stat-num">1</div><div class="stat-label">failed', html)
    assert "How to read this report" in html
    assert "proves nothing" in html
    # one summary row per input, each linking to its card
    rows = doc.with_class("a", "file-link")
    assert [row["href"] for row in rows] == ["#img-1", "#img-2", "#img-3"]
    assert "one.jpg" in html and "two.jpg" in html


def test_card_shows_facts_evidence_details_and_errors(tmp_path: Path) -> None:
    html = _render(tmp_path, [_good_report()])
    for text in (
        "96 \u00d7 64 px",
        "8 bits per channel",
        "1 (normal)",
        "Error level analysis",
        "Bright areas changed more.",
        "median level",
        "12.5 ms",
        "0.90",  # the score
        "suggests PNG",  # the warning
        "RuntimeError: analyzer exploded",  # analyzer_errors
    ):
        assert text in html, text
    doc = _parse(html)
    assert doc.with_class("span", "tone-magenta")  # synthetic chip
    assert doc.with_class("span", "tone-error")  # failed analyzer chip in the summary


def test_images_are_embedded_as_data_uris(tmp_path: Path) -> None:
    doc = _parse(_render(tmp_path, [_good_report()]))
    images = doc.find("img")
    assert images
    for attrs in images:
        assert (attrs["src"] or "").startswith("data:image/")

    thumb = Image.open(io.BytesIO(_data_payload(doc.find("img")[0]["src"], "image/jpeg")))
    assert thumb.format == "JPEG"

    overlays = doc.with_class("img", "heat-overlay")
    assert len(overlays) == 1
    overlay = Image.open(io.BytesIO(_data_payload(overlays[0]["src"], "image/png")))
    assert overlay.mode == "RGBA"
    assert max(overlay.size) <= MAX_SIZE
    # the heat-map alone, drawn inside an SVG so it keeps the thumbnail's aspect ratio
    (alone,) = doc.find("image")
    assert Image.open(io.BytesIO(_data_payload(alone["href"], "image/png"))).mode == "RGB"

    # the slider drives an overlay that exists
    (slider,) = doc.find("input", type="range")
    assert slider["data-overlay"] == overlays[0]["id"]


def test_no_network_references(tmp_path: Path) -> None:
    html = _render(tmp_path, [_good_report(), _failed("x.jpg", "corrupt_image", "bad")])
    doc = _parse(html)
    for tag, attrs in doc.tags:
        for name in ("src", "href", "xlink:href", "poster", "data", "action"):
            value = attrs.get(name)
            if value is not None:
                assert value.startswith(("data:", "#")), (tag, name, value[:60])
    assert "http://" not in html
    assert "https://" not in html
    assert not re.search(r"url\(|@import|<link\b|<iframe\b", html, re.IGNORECASE)

    (csp,) = doc.find("meta", **{"http-equiv": "Content-Security-Policy"})
    assert "default-src 'none'" in (csp["content"] or "")
    assert "img-src data:" in (csp["content"] or "")


def test_inline_script_and_style_match_the_csp_hashes(tmp_path: Path) -> None:
    doc = _parse(_render(tmp_path, [_good_report()]))
    (csp,) = doc.find("meta", **{"http-equiv": "Content-Security-Policy"})
    policy = csp["content"] or ""
    for kind, directive in (("script", "script-src"), ("style", "style-src")):
        (text,) = doc.raw[kind]
        digest = base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()
        assert f"{directive} 'sha256-{digest}'" in policy


def test_hostile_names_and_text_are_escaped(tmp_path: Path) -> None:
    report = _report(
        path=HOSTILE_NAME,
        sha256="1" * 64,
        image=_facts(),
        evidence=(
            Evidence(
                "metadata",
                "metadata",
                HOSTILE_HTML,  # even a label is text, never markup or a CSS class
                f"Camera says {HOSTILE_HTML}",
                details={"software": HOSTILE_HTML, HOSTILE_NAME: "key too"},
            ),
        ),
        warnings=(f"warning {HOSTILE_HTML}",),
        analyzer_errors={"<b>x</b>": f"ValueError: {HOSTILE_HTML}"},
        thumbnail_jpeg=_thumbnail(),
    )
    failed = _failed(f"/in/{HOSTILE_HTML}.jpg", HOSTILE_HTML, HOSTILE_HTML)
    html = _render(tmp_path, [report, failed])

    assert "<script>alert(1)" not in html
    assert "<img src=x" not in html
    assert "<b>x</b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;.png" in html
    assert "&lt;img src=x onerror=&#34;alert(2)&#34;&gt;" in html
    doc = _parse(html)
    assert len(doc.find("script")) == 1  # only the report's own script
    assert all("onerror" not in attrs for _, attrs in doc.tags)
    assert all((attrs.get("src") or "data:").startswith("data:") for _, attrs in doc.tags)
    # an unknown label is shown as text in the neutral colour, never used as a class name
    chip_classes = {
        cls for attrs in doc.with_class("span", "chip") for cls in (attrs["class"] or "").split()
    }
    assert chip_classes <= {
        "chip",
        "tone-grey",
        "tone-error",
        "tone-red",
        "tone-magenta",
        "tone-cyan",
        "tone-green",
        "tone-amber",
    }


def test_error_rows_and_cards(tmp_path: Path) -> None:
    html = _render(tmp_path, [_failed("/x/broken.jpg", "corrupt_image", "premature end of data")])
    doc = _parse(html)
    (card,) = doc.with_class("article", "card")
    assert "card-error" in (card["class"] or "")
    assert "This file could not be analysed" in html
    assert "premature end of data" in html
    chips = doc.with_class("span", "tone-error")
    assert chips
    assert ">corrupt_image</span>" in html
    assert doc.with_class("tr", "row-error")


def test_missing_or_unreadable_thumbnail_and_empty_input(tmp_path: Path) -> None:
    report = _good_report()
    no_thumb = _report(
        path="a.png",
        image=_facts(),
        evidence=report.result.evidence if report.result else (),
        thumbnail_jpeg=None,
    )
    junk = _report(
        path="b.png",
        image=_facts(),
        evidence=report.result.evidence if report.result else (),
        thumbnail_jpeg=b"not a jpeg",
    )
    html = _render(tmp_path, [no_thumb, junk])
    assert html.count("No preview") == 2
    doc = _parse(html)
    assert len(doc.find("image")) == 2  # the heat-map alone is still shown
    assert not doc.find("input", type="range")  # no overlay without a picture under it

    empty = _render(tmp_path, [])
    assert "No images were scanned." in empty
    assert not _parse(empty).with_class("article", "card")


def test_heatmaps_are_reduced_to_the_thumbnail_size() -> None:
    values = np.tile(np.linspace(0.0, 1.0, 1200), (900, 1))  # left to right
    heatmap = Heatmap.from_float(values, (1200, 900))
    box = fit_within(heatmap.size)
    assert box == (384, 288)
    pictures = make_heatmap_pictures(heatmap, box)
    assert (pictures.overlay.width, pictures.overlay.height) == box
    overlay = np.asarray(Image.open(io.BytesIO(_data_payload(pictures.overlay.uri, "image/png"))))
    assert overlay.shape == (288, 384, 4)
    assert overlay[:, 0, 3].max() <= 10  # ~0: transparent
    assert overlay[-1, -1, 3] == 255  # strongest evidence: opaque
    assert overlay[-1, -1, 0] > overlay[-1, -1, 1]  # ... and red


def test_small_heatmaps_stay_small() -> None:
    pictures = make_heatmap_pictures(_heatmap(800, 600), (384, 288))
    assert (pictures.alone.width, pictures.alone.height) == (100, 75)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, "—"),
        (True, "yes"),
        (0.123456789, "0.1235"),
        ([1, 2, "a"], "1, 2, a"),
        ({"a": [1, 2]}, '{"a": [1, 2]}'),
        ("x" * 1000, "x" * 399 + "…"),
    ],
)
def test_format_value(value: object, text: str) -> None:
    assert format_value(value) == text


def test_file_name() -> None:
    assert file_name("/a/b/c.jpg") == "c.jpg"
    assert file_name("C:\\x\\y.png") == "y.png"
    assert file_name("<bytes>") == "<bytes>"


def test_report_from_a_real_scan(tmp_path: Path) -> None:
    source = tmp_path / f"{HOSTILE_HTML.replace('/', '_')}.jpg"
    source.write_bytes(encode(noise(120, 200, seed=5), "JPEG", quality=80))
    report = scan_image(source, thumbnails=True)
    assert report.ok
    html = _render(tmp_path, [report])
    assert "<img src=x" not in html
    doc = _parse(html)
    assert len(doc.with_class("article", "card")) == 1
    assert doc.with_class("div", "card-body")
    assert "200 \u00d7 120 px" in html
    if report.result is not None and any(e.heatmap is not None for e in report.result.evidence):
        assert doc.with_class("img", "heat-overlay")
