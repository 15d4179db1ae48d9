"""The page of ``pixelproof dedup --report``: every group of duplicates with a
thumbnail of each member, on the shared layout and styles."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..io import LoadLimits, ProtectedFiles
from ..runner import Row
from ._images import Picture, file_preview, jpeg_picture
from ._view import Chip, file_name

if TYPE_CHECKING:
    from ..match import DedupResult, DedupRow

DEDUP_THUMB_SIZE = 160
"""Largest side of a group member's thumbnail."""

_KIND_TONES = {"exact": "grey", "near": "cyan", "edited": "amber"}


@dataclass(frozen=True)
class MemberView:
    name: str
    path: str
    chip: Chip
    thumb: Picture | None


@dataclass(frozen=True)
class GroupView:
    number: int
    members: list[MemberView]


def groups_of(rows: Iterable[DedupRow]) -> dict[int, list[DedupRow]]:
    """Members of every group with more than one image (as ``DedupResult.groups``)."""
    found: dict[int, list[DedupRow]] = {}
    for row in rows:
        if row.ok:
            found.setdefault(row.group, []).append(row)
    return {number: members for number, members in found.items() if len(members) > 1}


def dedup_context(
    rows: Sequence[Row[Any]],
    *,
    threshold: float | None,
    thumb_side: int,
    limits: LoadLimits | None,
) -> dict[str, object]:
    """What ``dedup.html.j2`` shows of ``rows`` (rows whose result is a ``DedupRow``)."""
    from ..match import DedupRow

    groups = groups_of(row.result for row in rows if isinstance(row.result, DedupRow))
    return {
        "total": len(rows),
        "threshold": threshold,
        "group_count": len(groups),
        "grouped": sum(len(members) for members in groups.values()),
        "groups": _group_views(groups, thumb_side, limits),
        "max_size": thumb_side,
    }


def write_dedup_report(
    result: DedupResult,
    path: str | Path,
    *,
    thumb_side: int = DEDUP_THUMB_SIZE,
    generated: datetime | None = None,
    protect: ProtectedFiles | Iterable[str | Path] = (),
) -> None:
    """Write a self-contained HTML page with thumbnails of every group of duplicates.

    :func:`~pixelproof.report.write_report` of the rows of ``result``, kept for the
    callers of :func:`pixelproof.match.dedup`.

    Parameters
    ----------
    result : DedupResult
        What :func:`pixelproof.match.dedup` returned.
    path : str or Path
        The file to write (UTF-8); its folder must exist.
    thumb_side : int
        Largest side of the thumbnails, in pixels.
    generated : datetime, optional
        The generation time shown (default: now).
    protect : iterable of paths
        Files the page must never replace (the inputs).
    """
    from ._report import write_report

    rows = [Row(row.path, row.sha256, result=row, error=row.error) for row in result.rows]
    write_report(
        rows,
        path,
        threshold=result.threshold,
        thumb_side=thumb_side,
        generated=generated,
        protect=protect,
    )


def _group_views(
    groups: dict[int, list[DedupRow]], side: int, limits: LoadLimits | None
) -> Iterator[GroupView]:
    for number, members in sorted(groups.items()):
        yield GroupView(number, [_member(row, side, limits) for row in members])


def _member(row: DedupRow, side: int, limits: LoadLimits | None) -> MemberView:
    chip = Chip(key="", text=row.kind, tone=_KIND_TONES.get(row.kind, "grey"))
    found = file_preview(row.path, side, limits=limits)
    thumb = jpeg_picture(found.image) if found.image is not None else None
    return MemberView(file_name(row.path), row.path, chip, thumb)
