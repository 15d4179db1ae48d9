"""The section of a ``scan`` card: every analyzer's evidence, with heat-map overlays."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ..evidence import Evidence, Label
from ..runner import Row
from ..tasks.scan import ScanFindings
from ._images import HeatmapPictures, Thumbnail
from ._view import Chip, DetailRow, format_ms, format_value, heat_view, score_percent, tone_of


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
class ScanSection:
    evidence: tuple[EvidenceView, ...]
    analyzer_errors: tuple[DetailRow, ...]


def _findings(row: Row[Any]) -> ScanFindings:
    return row.result if isinstance(row.result, ScanFindings) else ScanFindings()


def thumbnail_jpeg(row: Row[Any]) -> bytes | None:
    return _findings(row).thumbnail_jpeg


def chips(row: Row[Any], titles: dict[str, str]) -> Iterator[Chip]:
    # The summary shows findings; purely informational evidence stays in the card,
    # counted in one chip, so a dozen "info" badges do not drown the one that matters.
    quiet = 0
    for evidence in _findings(row).evidence:
        if evidence.label == Label.INFO:
            quiet += 1
            continue
        title = titles.get(evidence.analyzer, evidence.analyzer)
        yield Chip(title, evidence.label, tone_of(evidence.label), evidence.explanation)
    if quiet:
        plural = "s" if quiet > 1 else ""
        yield Chip(f"{quiet} more analyzer{plural}", "info", tone_of(Label.INFO), "see the card")
    for name, message in _findings(row).analyzer_errors.items():
        yield Chip(titles.get(name, name), "failed", "error", message)
    findings = _findings(row)
    if findings.skipped:
        left_out = ", ".join(titles.get(name, name) for name in findings.skipped)
        hint = f"not run: {left_out}; their silence is no finding"
        yield Chip(f"{findings.profile} profile", "triage", tone_of(Label.INCONCLUSIVE), hint)


def section(row: Row[Any], thumb: Thumbnail | None, titles: dict[str, str]) -> ScanSection:
    findings = _findings(row)
    return ScanSection(
        evidence=tuple(_evidence_view(e, titles, thumb) for e in findings.evidence),
        analyzer_errors=tuple(
            DetailRow(titles.get(name, name), message)
            for name, message in findings.analyzer_errors.items()
        ),
    )


def _evidence_view(
    evidence: Evidence, titles: dict[str, str], thumb: Thumbnail | None
) -> EvidenceView:
    heat = heat_view(evidence.heatmap, thumb)
    score = evidence.score
    return EvidenceView(
        title=titles.get(evidence.analyzer, evidence.analyzer),
        analyzer=evidence.analyzer,
        capability=evidence.capability,
        chip=Chip("", evidence.label, tone_of(evidence.label)),
        score=None if score is None else f"{score:.2f}",
        score_percent=score_percent(score),
        explanation=evidence.explanation,
        details=tuple(_detail_rows(evidence)),
        elapsed=format_ms(evidence.elapsed_ms),
        heatmap=heat.heatmap,
        heatmap_error=heat.heatmap_error,
        heat_width=heat.heat_width,
        heat_height=heat.heat_height,
    )


def _detail_rows(evidence: Evidence) -> Iterator[DetailRow]:
    details = evidence.to_dict()["details"]
    if not isinstance(details, dict):
        return
    for key, value in details.items():
        yield DetailRow(str(key).replace("_", " "), format_value(value))
