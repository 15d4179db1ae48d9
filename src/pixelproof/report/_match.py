"""The section of a ``match`` card: the indexed images the input was matched to, best
first, each with a preview of the reference and where the input lies in it.

Match rows carry no pictures (they are rebuilt on the driver from the workers'
features), so the previews are read from the files now, with the safe loader: the
input's from its path, each reference's from the path it was indexed under. A file
whose SHA-256 is no longer the one analysed or indexed gets no preview, so the page
never shows other content under a matched name.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from ..evidence import Label
from ..io import LoadLimits
from ..match import Match, QueryResult
from ..runner import Row
from ._images import MAX_SIZE, Picture, file_preview, jpeg_bytes, jpeg_picture
from ._view import Chip, DetailRow, file_name, format_value, score_percent, tone_of

REF_SIZE = 200
"""Largest side of a reference's preview in the card."""

DEFAULT_THRESHOLD = 0.5
"""Calibrated score above which a match is an edited copy (see :mod:`pixelproof.match`)."""

_SUMMARY_CHIPS = 3


@dataclass(frozen=True)
class RefPreview:
    picture: Picture | None
    note: str


@dataclass(frozen=True)
class MatchView:
    rank: int
    name: str
    path: str
    copy: bool
    chip: Chip
    score: str
    score_percent: float | None
    preview: RefPreview
    region: tuple[float, float, float, float] | None  # x, y, width, height in preview pixels
    details: tuple[DetailRow, ...]


@dataclass(frozen=True)
class MatchSection:
    error: str
    threshold: str
    replicated: bool | None
    matches: tuple[MatchView, ...]


class MatchContext:
    """What the match sections of one page share: the threshold, the load limits and
    the reference previews already made (each reference is read once per page)."""

    def __init__(self, threshold: float | None, limits: LoadLimits | None) -> None:
        self.threshold = DEFAULT_THRESHOLD if threshold is None else threshold
        self.limits = limits
        self.ref_preview: Callable[[str, str], RefPreview] = lru_cache(maxsize=512)(
            self._ref_preview
        )

    def _ref_preview(self, path: str, sha256: str) -> RefPreview:
        found = file_preview(path, REF_SIZE, sha256=sha256 or None, limits=self.limits)
        if found.image is None:
            return RefPreview(None, found.note)
        return RefPreview(jpeg_picture(found.image), "")


def thumbnail_jpeg(row: Row[Any], context: MatchContext) -> bytes | None:
    """The input's preview, read from its file (only while it is the file matched)."""
    found = file_preview(row.path, MAX_SIZE, sha256=row.sha256, limits=context.limits)
    return jpeg_bytes(found.image) if found.image is not None else None


def chips(row: Row[Any], context: MatchContext) -> Iterator[Chip]:
    result = row.result
    if not isinstance(result, QueryResult):
        return
    if not result.ok:
        yield Chip("match", result.error_type or "error", "error", result.error or "")
        return
    copies = [m for m in result.matches if m.score > context.threshold]
    for match in copies[:_SUMMARY_CHIPS]:
        yield Chip(file_name(match.ref), f"{match.score:.2f}", tone_of(Label.MATCH), match.ref)
    if len(copies) > _SUMMARY_CHIPS:
        yield Chip("", f"{len(copies) - _SUMMARY_CHIPS} more", "grey", "see the card")
    if not copies:
        best = f"best score {result.matches[0].score:.2f}" if result.matches else "no candidate"
        yield Chip("", "no match", "grey", best)
    if result.replicated:
        yield Chip("", "replicated", tone_of(Label.SYNTHETIC), "a training image is copied")


def section(row: Row[Any], context: MatchContext) -> MatchSection:
    result = row.result
    assert isinstance(result, QueryResult)
    return MatchSection(
        error="" if result.ok else (result.error or "error"),
        threshold=f"{context.threshold:.2f}",
        replicated=result.replicated,
        matches=tuple(
            _match_view(rank, match, context) for rank, match in enumerate(result.matches, 1)
        ),
    )


def _match_view(rank: int, match: Match, context: MatchContext) -> MatchView:
    copy = match.score > context.threshold
    preview = context.ref_preview(match.ref, match.sha256)
    return MatchView(
        rank=rank,
        name=file_name(match.ref),
        path=match.ref,
        copy=copy,
        chip=Chip("", "copy" if copy else "weak", tone_of(Label.MATCH) if copy else "grey"),
        score=f"{match.score:.2f}",
        score_percent=score_percent(match.score),
        preview=preview,
        region=_region_box(match.region, preview.picture),
        details=tuple(_details(match)),
    )


def _region_box(
    region: tuple[float, float, float, float] | None, picture: Picture | None
) -> tuple[float, float, float, float] | None:
    if region is None or picture is None:
        return None
    left, top, right, bottom = (min(max(float(v), 0.0), 1.0) for v in region)
    if right <= left or bottom <= top:
        return None
    width, height = picture.width, picture.height
    return (
        round(left * width, 1),
        round(top * height, 1),
        round((right - left) * width, 1),
        round((bottom - top) * height, 1),
    )


def _details(match: Match) -> Iterator[DetailRow]:
    yield DetailRow("similarity", format_value(round(match.similarity, 4)))
    yield DetailRow("inliers", format_value(match.inliers) if match.verified else "not verified")
    if match.mirrored:
        yield DetailRow("mirrored", "yes")
    if match.exact:
        yield DetailRow("identical file", "yes")
    if match.region is not None:
        where = ", ".join(f"{v:.2f}" for v in match.region)
        yield DetailRow("region in reference", where)
    yield DetailRow("SHA-256", match.sha256)
