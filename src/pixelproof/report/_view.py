"""What the HTML template shows, prepared from ``scan`` rows (:class:`~pixelproof.runner.Row`).

The template only prints plain strings and numbers from these records; every string
that comes from an input (file names, EXIF text, explanations) is escaped by Jinja2.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from ..evidence import Evidence, Label
from ..runner import Row
from ..tasks.scan import ScanFindings
from ._images import (
    HeatmapPictures,
    Picture,
    Thumbnail,
    fit_within,
    make_heatmap_pictures,
    make_thumbnail,
)

MAX_VALUE_CHARS = 400
"""Longest detail value shown; longer ones are cut (the JSON output has them whole)."""

# Label -> CSS tone of its chip. Unknown labels fall back to the neutral tone.
_TONES = {
    Label.MANIPULATED: "red",
    Label.SYNTHETIC: "magenta",
    Label.WATERMARKED: "cyan",
    Label.MATCH: "cyan",
    Label.AUTHENTIC: "green",
    Label.REAL: "green",
    Label.INCONCLUSIVE: "amber",
    Label.INFO: "grey",
}

_TIMES = " \u00d7 "  # " x " with the multiplication sign

_ORIENTATIONS = {
    1: "normal",
    2: "mirrored",
    3: "rotated 180°",
    4: "flipped vertically",
    5: "mirrored, rotated 90° CCW",
    6: "rotated 90° CW",
    7: "mirrored, rotated 90° CW",
    8: "rotated 90° CCW",
}


@dataclass(frozen=True)
class Chip:
    """A coloured label badge: ``key`` (analyzer title) and ``text`` (label)."""

    key: str
    text: str
    tone: str
    hint: str = ""


@dataclass(frozen=True)
class SummaryRow:
    index: int
    name: str
    path: str
    format: str
    thumb: Picture | None
    chips: tuple[Chip, ...]
    warnings: int
    ok: bool


@dataclass(frozen=True)
class Fact:
    key: str
    value: str


@dataclass(frozen=True)
class DetailRow:
    key: str
    value: str


@dataclass(frozen=True)
class EvidenceView:
    title: str
    analyzer: str
    capability: str
    chip: Chip
    score: str | None
    score_percent: float | None
    explanation: str
    details: tuple[DetailRow, ...]
    elapsed: str
    heatmap: HeatmapPictures | None
    heatmap_error: bool
    heat_width: int
    heat_height: int


@dataclass(frozen=True)
class CardView:
    index: int
    name: str
    path: str
    ok: bool
    error: str
    error_type: str
    sha256: str
    thumb: Picture | None
    facts: tuple[Fact, ...]
    normalization: tuple[str, ...]
    warnings: tuple[str, ...]
    evidence: tuple[EvidenceView, ...]
    analyzer_errors: tuple[DetailRow, ...]


def file_name(path: str) -> str:
    """The last component of ``path`` (either separator), or the path itself."""
    name = path.replace("\\", "/").rstrip("/").rsplit("/", 1)[-1]
    return name or path


def _findings(row: Row[ScanFindings]) -> ScanFindings:
    return row.result if row.result is not None else ScanFindings()


def tone_of(label: str) -> str:
    return _TONES.get(label, "grey")


def summary_rows(reports: Sequence[Row[ScanFindings]], titles: dict[str, str]) -> list[SummaryRow]:
    """One light-weight row per report (small thumbnails only)."""
    rows = []
    for index, report in enumerate(reports, start=1):
        thumb = make_thumbnail(_findings(report).thumbnail_jpeg) if report.ok else None
        rows.append(
            SummaryRow(
                index=index,
                name=file_name(report.path),
                path=report.path,
                format=_format_line(report),
                thumb=thumb.row if thumb else None,
                chips=tuple(_report_chips(report, titles)),
                warnings=len(report.warnings),
                ok=report.ok,
            )
        )
    return rows


def cards(reports: Sequence[Row[ScanFindings]], titles: dict[str, str]) -> Iterator[CardView]:
    """Card views, built one at a time while the report is written."""
    for index, report in enumerate(reports, start=1):
        yield card_view(index, report, titles)


def card_view(index: int, report: Row[ScanFindings], titles: dict[str, str]) -> CardView:
    thumb = make_thumbnail(_findings(report).thumbnail_jpeg) if report.ok else None
    facts = report.image
    return CardView(
        index=index,
        name=file_name(report.path),
        path=report.path,
        ok=report.ok,
        error=report.error or "",
        error_type=report.error_type or "error",
        sha256=report.sha256 or "",
        thumb=thumb.card if thumb else None,
        facts=tuple(_facts(report)),
        normalization=tuple(facts.normalization) if facts else (),
        warnings=tuple(report.warnings),
        evidence=tuple(_evidence_view(e, titles, thumb) for e in _findings(report).evidence),
        analyzer_errors=tuple(
            DetailRow(titles.get(name, name), message)
            for name, message in _findings(report).analyzer_errors.items()
        ),
    )


def _report_chips(report: Row[ScanFindings], titles: dict[str, str]) -> Iterator[Chip]:
    if not report.ok:
        yield Chip("error", report.error_type or "error", "error", report.error or "")
        return
    # The summary shows findings; purely informational evidence stays in the card,
    # counted in one chip, so a dozen "info" badges do not drown the one that matters.
    quiet = 0
    for evidence in _findings(report).evidence:
        if evidence.label == Label.INFO:
            quiet += 1
            continue
        title = titles.get(evidence.analyzer, evidence.analyzer)
        yield Chip(title, evidence.label, tone_of(evidence.label), evidence.explanation)
    if quiet:
        plural = "s" if quiet > 1 else ""
        yield Chip(f"{quiet} more analyzer{plural}", "info", tone_of(Label.INFO), "see the card")
    for name, message in _findings(report).analyzer_errors.items():
        yield Chip(titles.get(name, name), "failed", "error", message)


def _format_line(report: Row[ScanFindings]) -> str:
    facts = report.image
    if facts is None:
        return ""
    return f"{facts.format} · {facts.width}{_TIMES}{facts.height}"


def _facts(report: Row[ScanFindings]) -> Iterator[Fact]:
    facts = report.image
    if facts is None:
        return
    yield Fact("Format", facts.format)
    yield Fact("Size", f"{facts.width}{_TIMES}{facts.height} px")
    yield Fact("Mode", facts.mode)
    yield Fact("Bit depth", f"{facts.bit_depth} bits per channel")
    yield Fact("Alpha", "yes" if facts.has_alpha else "no")
    meaning = _ORIENTATIONS.get(facts.orientation, "unknown")
    yield Fact("Orientation", f"{facts.orientation} ({meaning})")


def _evidence_view(
    evidence: Evidence, titles: dict[str, str], thumb: Thumbnail | None
) -> EvidenceView:
    box = _heatmap_box(evidence, thumb)
    pictures, failed = _heatmap_pictures(evidence, box)
    score = evidence.score
    return EvidenceView(
        title=titles.get(evidence.analyzer, evidence.analyzer),
        analyzer=evidence.analyzer,
        capability=evidence.capability,
        chip=Chip("", evidence.label, tone_of(evidence.label)),
        score=None if score is None else f"{score:.2f}",
        score_percent=None if score is None else round(score * 100.0, 1),
        explanation=evidence.explanation,
        details=tuple(_detail_rows(evidence)),
        elapsed=_format_ms(evidence.elapsed_ms),
        heatmap=pictures,
        heatmap_error=failed,
        heat_width=box[0],
        heat_height=box[1],
    )


def _heatmap_box(evidence: Evidence, thumb: Thumbnail | None) -> tuple[int, int]:
    """Display size of a heat-map: the thumbnail's, else the image's fitted to MAX_SIZE."""
    if thumb is not None:
        return thumb.card.width, thumb.card.height
    if evidence.heatmap is not None:
        return fit_within(evidence.heatmap.size)
    return 0, 0


def _heatmap_pictures(
    evidence: Evidence, box: tuple[int, int]
) -> tuple[HeatmapPictures | None, bool]:
    if evidence.heatmap is None:
        return None, False
    try:
        return make_heatmap_pictures(evidence.heatmap, box), False
    except (ValueError, TypeError, OSError):
        return None, True


def _detail_rows(evidence: Evidence) -> Iterator[DetailRow]:
    details = evidence.to_dict()["details"]
    if not isinstance(details, dict):
        return
    for key, value in details.items():
        yield DetailRow(str(key).replace("_", " "), format_value(value))


def format_value(value: Any) -> str:
    """A JSON-like detail value as a short human-readable string."""
    if value is None:
        text = "—"
    elif isinstance(value, bool):
        text = "yes" if value else "no"
    elif isinstance(value, float):
        text = f"{value:.4g}" if math.isfinite(value) else str(value)
    elif isinstance(value, list) and all(not isinstance(v, list | dict) for v in value):
        text = ", ".join(format_value(v) for v in value) if value else "—"
    elif isinstance(value, list | dict):
        text = json.dumps(value, ensure_ascii=False, separators=(", ", ": "), default=str)
    else:
        text = str(value)
    if len(text) > MAX_VALUE_CHARS:
        text = text[: MAX_VALUE_CHARS - 1] + "…"
    return text


def _format_ms(ms: float) -> str:
    if ms < 1.0:
        return f"{ms:.2f} ms"
    if ms < 1000.0:
        return f"{ms:.1f} ms" if ms < 100.0 else f"{ms:.0f} ms"
    return f"{ms / 1000.0:.2f} s"
