"""IPTC IIM records inside a Photoshop Image Resource Block (JPEG APP13, TIFF tag 33723)."""

from __future__ import annotations

import struct
from typing import Any

# Record 2 (application) datasets worth reporting, by dataset number.
_DATASETS = {
    5: "object_name",
    15: "category",
    25: "keywords",
    40: "special_instructions",
    55: "date_created",
    60: "time_created",
    62: "digital_creation_date",
    63: "digital_creation_time",
    65: "originating_program",
    70: "program_version",
    80: "byline",
    85: "byline_title",
    90: "city",
    95: "province_state",
    101: "country",
    103: "transmission_reference",
    105: "headline",
    110: "credit",
    115: "source",
    116: "copyright_notice",
    120: "caption",
    122: "writer",
}
_REPEATABLE = {"keywords", "byline", "category"}
IPTC_RESOURCE = 0x0404

# Photoshop image resources whose mere presence is worth reporting.
_RESOURCES = {
    0x0404: "IPTC-NAA",
    0x040C: "thumbnail",
    0x0409: "thumbnail (Photoshop 4)",
    0x0425: "IPTC digest",
    0x0422: "EXIF data 1",
    0x0424: "XMP",
    0x03ED: "resolution info",
    0x0421: "version info",
}


def parse_photoshop_irb(blob: bytes, warnings: list[str]) -> tuple[dict[int, bytes], list[str]]:
    """Split a Photoshop Image Resource Block into resources ``{id: data}``.

    Returns the resources and the names of the well-known ones found.
    """
    resources: dict[int, bytes] = {}
    pos, n = 0, len(blob)
    while pos + 12 <= n and len(resources) < 1000:
        if blob[pos : pos + 4] not in (b"8BIM", b"MeSa", b"PHUT", b"AgHg", b"DCSR"):
            if blob[pos : pos + 4].strip(b"\x00"):
                warnings.append("IPTC: Photoshop resource block is malformed; partly read")
            break
        resource_id = struct.unpack(">H", blob[pos + 4 : pos + 6])[0]
        name_len = blob[pos + 6]
        name_size = name_len + 1 + ((name_len + 1) & 1)  # Pascal string padded to even
        size_at = pos + 6 + name_size
        if size_at + 4 > n:
            warnings.append("IPTC: Photoshop resource block is truncated")
            break
        size = struct.unpack(">I", blob[size_at : size_at + 4])[0]
        start = size_at + 4
        if start + size > n:
            warnings.append("IPTC: a Photoshop resource extends past its block; ignored")
            break
        resources.setdefault(resource_id, blob[start : start + size])
        pos = start + size + (size & 1)
    names = [_RESOURCES[r] for r in resources if r in _RESOURCES]
    return resources, names


def parse_iim(blob: bytes, warnings: list[str]) -> dict[str, Any]:
    """Decode IPTC IIM datasets of record 2 into ``{name: text or list of text}``."""
    fields: dict[str, Any] = {}
    pos, n, utf8 = 0, len(blob), False
    count = 0
    while pos + 5 <= n and count < 10_000:
        if blob[pos] != 0x1C:
            if blob[pos:].strip(b"\x00"):
                warnings.append("IPTC: IIM data is malformed after a valid start; partly read")
            break
        record, dataset = blob[pos + 1], blob[pos + 2]
        size = struct.unpack(">H", blob[pos + 3 : pos + 5])[0]
        pos += 5
        if size & 0x8000:  # extended dataset: the low bits give the length of the length
            width = size & 0x7FFF
            if width > 4 or pos + width > n:
                warnings.append("IPTC: an extended IIM dataset is invalid; rest ignored")
                break
            size = int.from_bytes(blob[pos : pos + width], "big")
            pos += width
        if pos + size > n:
            warnings.append("IPTC: an IIM dataset extends past the data; rest ignored")
            break
        value = blob[pos : pos + size]
        pos += size
        count += 1
        if record == 1 and dataset == 90:
            utf8 = b"\x1b%G" in value
            continue
        name = _DATASETS.get(dataset) if record == 2 else None
        if name is None:
            continue
        text = _decode(value, utf8).strip("\x00 ")
        if not text:
            continue
        if name in _REPEATABLE:
            fields.setdefault(name, []).append(text)
        else:
            fields.setdefault(name, text)
    return fields


def _decode(value: bytes, utf8: bool) -> str:
    """IIM text: UTF-8 when record 1 says so, else UTF-8 if valid, else Latin-1."""
    if utf8:
        return value.decode("utf-8", "replace")
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        return value.decode("latin-1")
