"""What the HTML templates show, prepared from the runner's rows (:class:`~pixelproof.runner.Row`).

Every card has the same frame, built here: the input's name, path, preview, image facts,
SHA-256 and warnings, or an error callout for a failed input. What the command found
is the card's *section*, built by the module of its result type (``_scan``,
``_forensics``, ``_match``; any other result is shown as its JSON fields).

The templates only print plain strings and numbers from these records; every string
that comes from an input (file names, EXIF text, explanations) is escaped by Jinja2.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ..evidence import Heatmap, Label
from ..runner import Row
from ._images import (
    HeatmapPictures,
    Picture,
    Thumbnail,
    fit_within,
    make_heatmap_pictures,
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

TIMES = " \u00d7 "  # " x " with the multiplication sign

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
class HeatView:
    """A heat-map ready to draw: over the card's preview (``overlay``) and alone, both
    at ``width`` x ``height``; ``failed`` when it could not be drawn."""

    heatmap: HeatmapPictures | None
    heatmap_error: bool
    heat_width: int
    heat_height: int


@dataclass(frozen=True)
class CardView:
    """One input's card: the frame every command shares, and ``section``, the view of
    what the command found (its type is named by ``kind``; None for a failed input)."""

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
    kind: str
    section: Any


@dataclass(frozen=True)
class ResultSection:
    """Any other command's result: its JSON fields as key/value rows."""

    details: tuple[DetailRow, ...]


def file_name(path: str) -> str:
    """The last component of ``path`` (either separator), or the path itself."""
    name = path.replace("\\", "/").rstrip("/").rsplit("/", 1)[-1]
    return name or path


def tone_of(label: str) -> str:
    return _TONES.get(label, "grey")


def error_chip(row: Row[Any]) -> Chip:
    return Chip("error", row.error_type or "error", "error", row.error or "")


def summary_row(
    index: int, row: Row[Any], thumb: Thumbnail | None, chips: list[Chip]
) -> SummaryRow:
    return SummaryRow(
        index=index,
        name=file_name(row.path),
        path=row.path,
        format=format_line(row),
        thumb=thumb.row if thumb else None,
        chips=tuple(chips),
        warnings=len(row.warnings),
        ok=row.ok,
    )


def card_view(
    index: int, row: Row[Any], thumb: Thumbnail | None, kind: str, section: Any
) -> CardView:
    facts = row.image
    return CardView(
        index=index,
        name=file_name(row.path),
        path=row.path,
        ok=row.ok,
        error=row.error or "",
        error_type=row.error_type or "error",
        sha256=row.sha256 or "",
        thumb=thumb.card if thumb else None,
        facts=tuple(_facts(row)),
        normalization=tuple(facts.normalization) if facts else (),
        warnings=tuple(row.warnings),
        kind=kind,
        section=section,
    )


def result_section(result: Any) -> ResultSection:
    """The JSON fields of any result (but its path, which the card shows)."""
    fields = result.to_dict() if hasattr(result, "to_dict") else {"result": repr(result)}
    return ResultSection(
        tuple(
            DetailRow(str(key).replace("_", " "), format_value(value))
            for key, value in fields.items()
            if key != "path"
        )
    )


def format_line(row: Row[Any]) -> str:
    facts = row.image
    if facts is None:
        return ""
    return f"{facts.format} · {facts.width}{TIMES}{facts.height}"


def _facts(row: Row[Any]) -> Iterator[Fact]:
    facts = row.image
    if facts is None:
        return
    yield Fact("Format", facts.format)
    yield Fact("Size", f"{facts.width}{TIMES}{facts.height} px")
    yield Fact("Mode", facts.mode)
    yield Fact("Bit depth", f"{facts.bit_depth} bits per channel")
    yield Fact("Alpha", "yes" if facts.has_alpha else "no")
    meaning = _ORIENTATIONS.get(facts.orientation, "unknown")
    yield Fact("Orientation", f"{facts.orientation} ({meaning})")


def heat_view(heatmap: Heatmap | None, thumb: Thumbnail | None) -> HeatView:
    """Draw ``heatmap`` at the size of the card's preview (else of the image, fitted)."""
    if thumb is not None:
        box = (thumb.card.width, thumb.card.height)
    elif heatmap is not None:
        box = fit_within(heatmap.size)
    else:
        box = (0, 0)
    if heatmap is None:
        return HeatView(None, False, *box)
    try:
        return HeatView(make_heatmap_pictures(heatmap, box), False, *box)
    except (ValueError, TypeError, OSError):
        return HeatView(None, True, *box)


def score_text(score: float | None) -> str | None:
    return None if score is None else f"{score:.2f}"


def score_percent(score: float | None) -> float | None:
    return None if score is None else round(min(max(score, 0.0), 1.0) * 100.0, 1)


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


def format_ms(ms: float) -> str:
    if ms < 1.0:
        return f"{ms:.2f} ms"
    if ms < 1000.0:
        return f"{ms:.1f} ms" if ms < 100.0 else f"{ms:.0f} ms"
    return f"{ms / 1000.0:.2f} s"
