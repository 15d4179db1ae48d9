"""The self-contained HTML page of ``pixelproof dedup --report``: every group of
duplicates with a thumbnail of each member, on the scan report's layout and styles."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from PIL import Image

from ..io import load_image
from ._html import asset, page_context, write_page
from ._images import Picture, jpeg_picture
from ._view import Chip, file_name

if TYPE_CHECKING:
    from ..match import DedupResult, DedupRow

_TEMPLATE = "dedup.html.j2"
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


def write_dedup_report(
    result: DedupResult,
    path: str | Path,
    *,
    thumb_side: int = 160,
    generated: datetime | None = None,
) -> None:
    """Write a self-contained HTML page with thumbnails of every group of duplicates.

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
    """
    groups = result.groups()
    context = {
        **page_context(generated, css=asset("report.css") + asset("dedup.css")),
        "total": len(result.rows),
        "threshold": result.threshold,
        "group_count": len(groups),
        "grouped": sum(len(members) for members in groups.values()),
        "groups": (
            GroupView(number, [_member(row, thumb_side) for row in members])
            for number, members in sorted(groups.items())
        ),
        "max_size": thumb_side,
    }
    write_page(_TEMPLATE, context, Path(path))


def _member(row: DedupRow, side: int) -> MemberView:
    chip = Chip(key="", text=row.kind, tone=_KIND_TONES.get(row.kind, "grey"))
    return MemberView(file_name(row.path), row.path, chip, _thumbnail(row.path, side))


def _thumbnail(path: str, side: int) -> Picture | None:
    try:
        image = Image.fromarray(load_image(path).pixels)
    except Exception:  # a file that changed or vanished since: no preview
        return None
    image.thumbnail((side, side))
    return jpeg_picture(image)
