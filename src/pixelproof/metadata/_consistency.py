"""Consistency checks between the metadata fields and between metadata and pixels.

Each check yields :class:`Finding` records. An editor's name or a later modification
date means the file was *edited*, which is ordinary (cropping, exposure, resizing) and
not manipulation in the forensic sense; those are labelled ``info``. Only content that
disagrees with what the camera recorded (the EXIF thumbnail) is labelled
``manipulated``; fields that contradict each other are ``inconclusive``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

from typing_extensions import TypedDict

from ..evidence import Label
from ._quant import QuantMatch
from ._thumbnail import ThumbnailComparison


class FindingDict(TypedDict):
    """The JSON form of a :class:`Finding` (an item of a ``meta`` row's ``findings``).

    The finding's ``details`` follow these keys at the same level, so the object is
    open: its JSON Schema allows further properties.
    """

    code: str
    label: str
    message: str


@dataclass(frozen=True)
class Finding:
    """One consistency observation.

    Attributes
    ----------
    code : str
        Stable identifier (``thumbnail_mismatch``, ``editor_software``, ...).
    label : str
        A :class:`pixelproof.evidence.Label` value.
    message : str
        Plain-language explanation, including what it does *not* prove.
    details : dict
    """

    code: str
    label: str
    message: str
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> FindingDict:
        row = {"code": self.code, "label": self.label, "message": self.message, **self.details}
        return cast(FindingDict, row)


_EDITORS: tuple[tuple[str, str], ...] = (
    (r"photoshop\s+elements", "Adobe Photoshop Elements"),
    (r"photoshop\s+lightroom|\blightroom\b", "Adobe Lightroom"),
    (r"camera\s+raw", "Adobe Camera Raw"),
    (r"photoshop", "Adobe Photoshop"),
    (r"\bfireworks\b", "Adobe Fireworks"),
    (r"\bgimp\b", "GIMP"),
    (r"snapseed", "Snapseed"),
    (r"affinity\s+photo", "Affinity Photo"),
    (r"pixelmator", "Pixelmator"),
    (r"paint\.net", "Paint.NET"),
    (r"paintshop|paint shop pro", "Corel PaintShop Pro"),
    (r"\bluminar\b", "Luminar"),
    (r"capture\s+one", "Capture One"),
    (r"\bdxo\b", "DxO"),
    (r"darktable", "darktable"),
    (r"rawtherapee", "RawTherapee"),
    (r"picasa", "Picasa"),
    (r"windows photo (gallery|editor)|microsoft photos|windows live photo", "Microsoft Photos"),
    (r"\biphoto\b|\baperture\b", "Apple iPhoto/Aperture"),
    (r"facetune", "Facetune"),
    (r"picsart", "PicsArt"),
    (r"\bvsco\b", "VSCO"),
    (r"meitu", "Meitu"),
    (r"\bcanva\b", "Canva"),
    (r"\bkrita\b", "Krita"),
    (r"acdsee", "ACDSee"),
    (r"imagemagick", "ImageMagick"),
    (r"graphicsmagick", "GraphicsMagick"),
    (r"xnview", "XnView"),
    (r"irfanview", "IrfanView"),
    (r"faststone", "FastStone"),
    (r"photoscape", "PhotoScape"),
    (r"photopea", "Photopea"),
    (r"\bpixlr\b", "Pixlr"),
    (r"topaz", "Topaz"),
    (r"painttool sai|\bsai\b ver", "PaintTool SAI"),
    (r"corel", "Corel"),
)
_EDITOR_PATTERNS = tuple((re.compile(p, re.IGNORECASE), name) for p, name in _EDITORS)


def editor_findings(
    software_fields: Iterable[tuple[str, str]], history: list[dict[str, Any]]
) -> list[Finding]:
    """Editors named in software fields and the editing history XMP records."""
    findings: list[Finding] = []
    found: dict[str, list[str]] = {}
    for where, text in software_fields:
        for pattern, name in _EDITOR_PATTERNS:
            if pattern.search(text):
                found.setdefault(name, []).append(f"{where}: {text[:120]}")
                break
    for name, places in found.items():
        findings.append(
            Finding(
                "editor_software",
                Label.INFO,
                f"Written or edited with {name}. Editing is common and legitimate; this "
                "does not say what was changed.",
                {"editor": name, "where": places},
            )
        )
    if history:
        actions = [h.get("action") for h in history if h.get("action")]
        agents = sorted({str(h["software"]) for h in history if h.get("software")})
        findings.append(
            Finding(
                "editing_history",
                Label.INFO,
                f"XMP records an editing history of {len(history)} step(s)"
                + (f" ({', '.join(agents[:4])})" if agents else "")
                + ". It lists operations, not their content.",
                {"history": history[:50], "actions": actions[:50]},
            )
        )
    return findings


def date_findings(dates: dict[str, Any], now: datetime | None = None) -> list[Finding]:
    """Check capture, modification and GPS dates against each other.

    ``dates`` holds parsed values: ``datetime``, ``datetime_original``,
    ``datetime_digitized`` (naive local times), ``offset_original`` (tzinfo or None),
    ``gps`` (aware UTC).
    """
    findings: list[Finding] = []
    original = dates.get("datetime_original")
    modified = dates.get("datetime")
    gps = dates.get("gps")
    slack = timedelta(seconds=60)
    if isinstance(original, datetime) and isinstance(modified, datetime):
        if original > modified + slack:
            findings.append(
                Finding(
                    "date_inconsistent",
                    Label.INCONCLUSIVE,
                    "EXIF says the file was last modified before the picture was taken "
                    f"({modified:%Y-%m-%d %H:%M:%S} < {original:%Y-%m-%d %H:%M:%S}). "
                    "Dates were edited, or a clock was wrong.",
                    {"datetime": str(modified), "datetime_original": str(original)},
                )
            )
        elif modified > original + slack:
            findings.append(
                Finding(
                    "modified_after_capture",
                    Label.INFO,
                    f"EXIF says the file was modified on {modified:%Y-%m-%d %H:%M:%S}, after "
                    f"the picture was taken on {original:%Y-%m-%d %H:%M:%S}: it was "
                    "processed or edited later (often just resized or re-saved).",
                    {"datetime": str(modified), "datetime_original": str(original)},
                )
            )
    if isinstance(original, datetime) and isinstance(gps, datetime):
        offset = dates.get("offset_original")
        naive_gps = gps.replace(tzinfo=None)
        if offset is not None:
            local_utc = original - (offset.utcoffset(None) or timedelta(0))
            gap = abs(local_utc - naive_gps)
            inconsistent = gap > timedelta(minutes=10)
        else:
            difference = (original - naive_gps).total_seconds()
            quarter = 900.0
            off_quarter = abs(difference - round(difference / quarter) * quarter)
            inconsistent = abs(difference) > 14.5 * 3600 or off_quarter > 300
            gap = timedelta(seconds=abs(difference))
        if inconsistent:
            findings.append(
                Finding(
                    "date_inconsistent",
                    Label.INCONCLUSIVE,
                    "The GPS time (UTC) does not fit the capture time in any time zone "
                    f"(they are {gap} apart). Dates were edited, or the GPS fix is stale.",
                    {"datetime_original": str(original), "gps_datetime": gps.isoformat()},
                )
            )
    current = now or datetime.now()
    if isinstance(original, datetime) and original > current + timedelta(days=2):
        findings.append(
            Finding(
                "date_in_future",
                Label.INCONCLUSIVE,
                f"The capture date {original:%Y-%m-%d} is in the future: the date was edited "
                "or the camera clock was wrong.",
                {"datetime_original": str(original)},
            )
        )
    return findings


def quant_finding(match: QuantMatch, *, camera: str | None, software: str | None) -> Finding:
    """What the JPEG quantization tables say about the last encoder."""
    details: dict[str, Any] = {"encoder": match.encoder}
    if match.quality is not None:
        details["ijg_quality"] = match.quality
    if match.encoder == "IJG libjpeg":
        message = (
            f"The JPEG tables are the standard libjpeg (IJG) tables at quality "
            f"{match.quality}: the file was last written by software built on libjpeg "
            "(editors, converters, web services, Pillow)."
        )
        if camera:
            message += (
                f" Most cameras, {camera} perhaps included, use tables of their own, "
                "so the file was probably re-saved after capture; a few cameras do use "
                "these tables."
            )
            details["camera"] = camera
        return Finding("jpeg_tables_libjpeg", Label.INFO, message, details)
    if match.encoder.startswith("Adobe"):
        message = f"The JPEG tables match {match.encoder}: the file was last saved by Photoshop."
        if camera:
            message += f" The EXIF still names a {camera}, so it was re-saved after capture."
            details["camera"] = camera
        return Finding("jpeg_tables_photoshop", Label.INFO, message, details)
    message = "The JPEG tables are not the standard libjpeg or known Photoshop tables"
    message += (
        f", consistent with in-camera encoding by the {camera}." if camera and not software else "."
    )
    return Finding("jpeg_tables_custom", Label.INFO, message, details)


def thumbnail_finding(comparison: ThumbnailComparison) -> Finding:
    """Turn a thumbnail comparison into a finding with the right label."""
    details = {"thumbnail": comparison.to_dict()}
    verdict = comparison.verdict
    if verdict == "match":
        return Finding(
            "thumbnail_match",
            Label.INFO,
            "The EXIF thumbnail matches the picture: no sign of edits after capture "
            "that changed content (small edits may not show at thumbnail size).",
            details,
        )
    if verdict == "mismatch":
        return Finding(
            "thumbnail_mismatch",
            Label.MANIPULATED,
            "The EXIF thumbnail does not match the picture: the content was changed after "
            "the thumbnail was written (by the camera, usually), while the old EXIF was "
            "kept. The thumbnail shows what the picture looked like before.",
            details,
        )
    if verdict == "cropped":
        return Finding(
            "thumbnail_cropped",
            Label.INFO,
            "The picture is a crop of what the EXIF thumbnail shows: it was cropped after "
            "capture (the thumbnail shows the full original frame).",
            details,
        )
    if verdict == "partial":
        return Finding(
            "thumbnail_partial",
            Label.INFO,
            "The EXIF thumbnail shows only part of the picture. Some cameras crop "
            "thumbnails to another aspect ratio; what lies outside cannot be checked.",
            details,
        )
    if verdict == "rotated":
        return Finding(
            "thumbnail_rotated",
            Label.INFO,
            "The EXIF thumbnail matches the picture once rotated or flipped: the picture "
            "was rotated after capture without updating the thumbnail.",
            details,
        )
    return Finding(
        "thumbnail_unreadable",
        Label.INFO,
        "The EXIF thumbnail could not be compared with the picture.",
        details,
    )


def dimension_finding(declared: tuple[int, int], stored: tuple[int, int]) -> Finding | None:
    """EXIF PixelX/YDimension against the stored size (either orientation)."""
    if declared in (stored, stored[::-1]) or 0 in declared:
        return None
    return Finding(
        "resized_after_capture",
        Label.INFO,
        f"EXIF declares {declared[0]}x{declared[1]} pixels but the image is "
        f"{stored[0]}x{stored[1]}: it was resized or cropped after the EXIF was written.",
        {"exif_dimensions": list(declared), "image_dimensions": list(stored)},
    )
