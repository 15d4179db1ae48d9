"""A first reading of the metadata that says where a file came from.

Only well-known, high-value fields are read here: camera make and model, the software
that last wrote the file, capture dates, GPS presence, and generator traces that image
generators leave in PNG text chunks or XMP. Malformed metadata produces a warning.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from PIL import Image

from ..io import LoadedImage

_EXIF_TAGS = {0x010F: "make", 0x0110: "model", 0x0131: "software", 0x0132: "datetime"}
_EXIF_SUB_TAGS = {0x9003: "datetime_original", 0xA434: "lens_model"}
_GPS_IFD = 0x8825
_EXIF_IFD = 0x8769

# IPTC digital source types that declare generative AI (IPTC NewsCodes vocabulary).
_AI_SOURCE_TYPES = ("trainedAlgorithmicMedia", "compositeWithTrainedAlgorithmicMedia")
_SOURCE_TYPE = re.compile(rb"digitalsourcetype/([A-Za-z]+)")


@dataclass
class MetadataSummary:
    """The fields :func:`summarize_metadata` found (absent fields are omitted)."""

    fields: dict[str, Any] = field(default_factory=dict)
    generator: str | None = None
    generator_evidence: str | None = None
    warnings: list[str] = field(default_factory=list)


def summarize_metadata(image: LoadedImage) -> MetadataSummary:
    """Read the provenance-relevant metadata of a loaded image."""
    summary = MetadataSummary()
    if image.exif:
        _read_exif(image.exif, summary)
    if image.xmp:
        summary.fields["xmp_bytes"] = len(image.xmp)
        match = _SOURCE_TYPE.search(image.xmp)
        if match:
            source_type = match.group(1).decode("ascii")
            summary.fields["digital_source_type"] = source_type
            if source_type in _AI_SOURCE_TYPES:
                summary.generator = "generative AI (IPTC digital source type)"
                summary.generator_evidence = f"XMP declares digital source type {source_type}"
    text = {k: v for k, v in image.info.items() if isinstance(v, str) and k.isprintable()}
    if "parameters" in text and "Steps:" in text["parameters"]:
        summary.generator = "Stable Diffusion (AUTOMATIC1111-style parameters)"
        summary.generator_evidence = "PNG text chunk 'parameters' holds generation settings"
    elif "prompt" in text and "workflow" in text:
        summary.generator = "Stable Diffusion (ComfyUI)"
        summary.generator_evidence = "PNG text chunks 'prompt' and 'workflow' hold a ComfyUI graph"
    if text:
        summary.fields["text_chunks"] = sorted(text)
    if image.icc_profile:
        summary.fields["icc_profile_bytes"] = len(image.icc_profile)
    return summary


def _read_exif(blob: bytes, summary: MetadataSummary) -> None:
    exif = Image.Exif()
    try:
        exif.load(blob)
        for tag, key in _EXIF_TAGS.items():
            _put(summary.fields, key, exif.get(tag))
        sub = exif.get_ifd(_EXIF_IFD)
        for tag, key in _EXIF_SUB_TAGS.items():
            _put(summary.fields, key, sub.get(tag))
        if exif.get_ifd(_GPS_IFD):
            summary.fields["gps"] = True
    except Exception as exc:  # Pillow raises many types on malformed EXIF
        summary.warnings.append(f"EXIF is malformed ({type(exc).__name__}: {exc})")


def _put(fields: dict[str, Any], key: str, value: Any) -> None:
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if isinstance(value, str):
        value = value.strip("\x00 ").strip()
    if value not in (None, ""):
        fields[key] = value if isinstance(value, str | int | float) else str(value)
