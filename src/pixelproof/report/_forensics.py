"""The section of a ``forensics`` card: the fused verdict, its heat-map over the
preview, and every analysis's score and explanation."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ..io import LoadLimits
from ..runner import Row
from ..tasks.forensics import ForensicsFindings
from ._images import HeatmapPictures, Thumbnail, heatmap_from_file
from ._view import Chip, format_ms, heat_view, score_percent, score_text, tone_of


@dataclass(frozen=True)
class AnalysisView:
    name: str
    informative: bool
    score: str | None
    score_percent: float | None
    explanation: str
    heatmap_file: str


@dataclass(frozen=True)
class ForensicsSection:
    chip: Chip
    score: str | None
    score_percent: float | None
    explanation: str
    elapsed: str
    heatmap: HeatmapPictures | None
    heatmap_error: bool
    heat_width: int
    heat_height: int
    heatmap_file: str
    analyses: tuple[AnalysisView, ...]


def thumbnail_jpeg(row: Row[Any]) -> bytes | None:
    found = row.result
    return found.thumbnail_jpeg if isinstance(found, ForensicsFindings) else None


def chips(row: Row[Any]) -> Iterator[Chip]:
    found = row.result
    if isinstance(found, ForensicsFindings):
        key = f"forensics {found.score:.2f}"
        yield Chip(key, found.label, tone_of(found.label), found.explanation)


def section(row: Row[Any], thumb: Thumbnail | None, limits: LoadLimits | None) -> ForensicsSection:
    found = row.result
    assert isinstance(found, ForensicsFindings)
    fused = found.fused_preview
    if fused is None and found.heatmap:
        fused = heatmap_from_file(found.heatmap, limits=limits)
    heat = heat_view(fused, thumb)
    return ForensicsSection(
        chip=Chip("", found.label, tone_of(found.label)),
        score=score_text(found.score),
        score_percent=score_percent(found.score),
        explanation=found.explanation,
        elapsed=format_ms(found.elapsed_ms),
        heatmap=heat.heatmap,
        heatmap_error=heat.heatmap_error,
        heat_width=heat.heat_width,
        heat_height=heat.heat_height,
        heatmap_file=found.heatmap or "",
        analyses=tuple(
            AnalysisView(
                name=name,
                informative=entry.informative,
                score=score_text(entry.score) if entry.informative else None,
                score_percent=score_percent(entry.score) if entry.informative else None,
                explanation=entry.explanation,
                heatmap_file=entry.heatmap or "",
            )
            for name, entry in found.analyses.items()
        ),
    )
