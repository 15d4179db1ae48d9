"""``write_report``: one self-contained HTML page from any command's rows.

The page is chosen by what the rows hold: ``dedup`` rows make the page of duplicate
groups (``dedup.html.j2``); any other rows make the per-input page (``report.html.j2``):
totals, a summary table and one card per input, whose section is drawn for its result
type: :class:`~pixelproof.tasks.scan.ScanFindings`,
:class:`~pixelproof.tasks.forensics.ForensicsFindings`,
:class:`~pixelproof.match.QueryResult`, or, for any other result, its JSON fields.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from ..io import LoadLimits, ProtectedFiles
from ..match import DedupRow, QueryResult
from ..runner import Row
from ..tasks.forensics import ForensicsFindings
from ..tasks.scan import ScanFindings
from . import _forensics, _match, _scan
from ._dedup import DEDUP_THUMB_SIZE, dedup_context
from ._html import asset, page_context, write_page
from ._images import MAX_SIZE, Thumbnail, make_thumbnail
from ._view import CardView, Chip, SummaryRow, card_view, error_chip, result_section, summary_row


@dataclass(frozen=True)
class _Page:
    title: str
    subtitle: str
    empty: str


_PAGES = {
    "scan": _Page(
        "pixelproof report", "Image provenance & forensics report", "No images were scanned."
    ),
    "forensics": _Page(
        "pixelproof forensics", "Forensic analysis report", "No images were analysed."
    ),
    "match": _Page("pixelproof match", "Provenance matches", "No images were searched."),
    "dedup": _Page("pixelproof dedup", "Duplicate groups", "No duplicates found."),
    "result": _Page("pixelproof report", "Image report", "No inputs."),
}
_HOWTO_KINDS = ("scan", "forensics", "match")
_KIND_CSS = {"forensics": "forensics.css", "match": "match.css"}


def kind_of(result: object) -> str:
    """The report section that shows ``result``: ``"scan"``, ``"forensics"``,
    ``"match"``, ``"dedup"``, or ``"result"`` (its JSON fields)."""
    if isinstance(result, ScanFindings):
        return "scan"
    if isinstance(result, ForensicsFindings):
        return "forensics"
    if isinstance(result, QueryResult):
        return "match"
    if isinstance(result, DedupRow):
        return "dedup"
    return "result"


def write_report(
    rows: Sequence[Row[Any]],
    path: str | Path,
    *,
    title: str | None = None,
    protect: ProtectedFiles | Iterable[str | Path] = (),
    analyzer_titles: Mapping[str, str] | None = None,
    threshold: float | None = None,
    limits: LoadLimits | None = None,
    thumb_side: int = DEDUP_THUMB_SIZE,
    generated: datetime | None = None,
    kind: str | None = None,
) -> Path:
    """Write one self-contained HTML page describing any command's rows.

    Parameters
    ----------
    rows : sequence of Row
        In the order to show them (the runner's envelope of ``scan``, ``forensics``,
        ``match``, ``dedup`` or any other command); failed inputs get an error card.
    path : str or Path
        The file to write (UTF-8); its folder must exist. It is written with
        :func:`pixelproof.io.write_output`: whole or not at all, never through a link.
    title : str, optional
        Shown as the page's subtitle and in its title (default: named after the
        command).
    protect : ProtectedFiles or iterable of paths
        Files the page must never replace: the inputs.
    analyzer_titles : mapping, optional
        ``scan``: human-readable analyzer titles by registry name (default: those of
        the installed analyzers).
    threshold : float, optional
        ``match``: the score above which a match counts as a copy (default 0.5);
        ``dedup``: the link threshold shown.
    limits : LoadLimits, optional
        Limits for the pictures read from files (``match`` inputs and references,
        ``dedup`` members, ``forensics`` heat-map files).
    thumb_side : int
        ``dedup``: largest side of the members' thumbnails.
    generated : datetime, optional
        The generation time shown (default: now).
    kind : str, optional
        The page's kind when the rows cannot tell (no successful row): ``"scan"``,
        ``"forensics"``, ``"match"``, ``"dedup"`` (default: from the rows).

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    pixelproof.io.UnsafeOutputError
        When ``path`` is a link, not a regular file, or one of ``protect``.
    """
    target = Path(path)
    page_kind = _page_kind(rows, kind)
    page = _PAGES[page_kind]
    names = {
        "page_title": title or page.title,
        "subtitle": title or page.subtitle,
        "empty_text": page.empty,
    }
    if page_kind == "dedup":
        dedup = dedup_context(rows, threshold=threshold, thumb_side=thumb_side, limits=limits)
        css = asset("report.css") + asset("dedup.css")
        context = {**page_context(generated, css=css), **names, **dedup}
        return write_page("dedup.html.j2", context, target, protect=protect)

    kinds = {kind_of(row.result) for row in rows if row.ok}
    if page_kind in _HOWTO_KINDS:
        kinds.add(page_kind)
    options = _Options(
        titles=dict(analyzer_titles) if analyzer_titles is not None else _analyzer_titles(kinds),
        match=_match.MatchContext(threshold, limits),
        limits=limits,
    )
    css = asset("report.css") + "".join(
        asset(_KIND_CSS[k]) for k in sorted(kinds & _KIND_CSS.keys())
    )
    failed = sum(not row.ok for row in rows)
    context = {
        **page_context(generated, css=css, js=asset("report.js")),
        **names,
        "howtos": [k for k in _HOWTO_KINDS if k in kinds],
        "threshold": f"{options.match.threshold:.2f}",
        "total": len(rows),
        "failed": failed,
        "analysed": len(rows) - failed,
        "warned": sum(bool(row.warnings) for row in rows),
        "rows": [_summary_row(index, row, options) for index, row in enumerate(rows, start=1)],
        "cards": _cards(rows, options),
        "max_size": MAX_SIZE,
    }
    return write_page("report.html.j2", context, target, protect=protect)


@dataclass(frozen=True)
class _Options:
    titles: dict[str, str]
    match: _match.MatchContext
    limits: LoadLimits | None


def _page_kind(rows: Sequence[Row[Any]], kind: str | None) -> str:
    for row in rows:
        if row.ok and row.result is not None:
            return kind_of(row.result)
    if kind is not None and kind not in _PAGES:
        raise ValueError(f"unknown report kind {kind!r}; known: {', '.join(_PAGES)}")
    return kind or "result"


def _analyzer_titles(kinds: set[str]) -> dict[str, str]:
    if "scan" not in kinds:
        return {}
    from ..evidence import available_analyzers

    return {name: str(getattr(cls, "title", name)) for name, cls in available_analyzers().items()}


def _thumbnail(row: Row[Any], kind: str, options: _Options) -> Thumbnail | None:
    if not row.ok:
        return None
    if kind == "scan":
        return make_thumbnail(_scan.thumbnail_jpeg(row))
    if kind == "forensics":
        return make_thumbnail(_forensics.thumbnail_jpeg(row))
    if kind == "match":
        return make_thumbnail(_match.thumbnail_jpeg(row, options.match))
    return None


def _chips(row: Row[Any], kind: str, options: _Options) -> Iterator[Chip]:
    if not row.ok:
        yield error_chip(row)
    elif kind == "scan":
        yield from _scan.chips(row, options.titles)
    elif kind == "forensics":
        yield from _forensics.chips(row)
    elif kind == "match":
        yield from _match.chips(row, options.match)


def _summary_row(index: int, row: Row[Any], options: _Options) -> SummaryRow:
    kind = kind_of(row.result)
    return summary_row(index, row, _thumbnail(row, kind, options), list(_chips(row, kind, options)))


def _cards(rows: Sequence[Row[Any]], options: _Options) -> Iterator[CardView]:
    """Card views, built one at a time while the page is written."""
    for index, row in enumerate(rows, start=1):
        kind = kind_of(row.result)
        thumb = _thumbnail(row, kind, options)
        yield card_view(index, row, thumb, kind, _section(row, kind, thumb, options))


def _section(row: Row[Any], kind: str, thumb: Thumbnail | None, options: _Options) -> object:
    if not row.ok:
        return None
    if kind == "scan":
        return _scan.section(row, thumb, options.titles)
    if kind == "forensics":
        return _forensics.section(row, thumb, options.limits)
    if kind == "match":
        return _match.section(row, options.match)
    return result_section(row.result) if row.result is not None else None
