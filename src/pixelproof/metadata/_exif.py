"""A bounded TIFF/EXIF directory walker that never trusts the file.

Pillow's EXIF reader raises on many malformed files and hides what went wrong. This
walker reads IFD0, the EXIF, GPS and interoperability sub-directories and IFD1 (the
thumbnail directory) with hard limits: every offset is bounds-checked, directories are
visited at most once (no loops), entry counts and value sizes are capped, and each
problem becomes a warning while everything that can still be read is kept.
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

MAX_ENTRIES = 1000
MAX_DIRECTORIES = 16
MAX_VALUE_BYTES = 16 * 2**20

EXIF_IFD = 0x8769
GPS_IFD = 0x8825
INTEROP_IFD = 0xA005
_POINTERS = {EXIF_IFD: "exif", GPS_IFD: "gps", INTEROP_IFD: "interop"}

# type id -> (struct code, size in bytes)
_TYPES: dict[int, tuple[str, int]] = {
    1: ("B", 1),  # BYTE
    2: ("s", 1),  # ASCII
    3: ("H", 2),  # SHORT
    4: ("I", 4),  # LONG
    5: ("II", 8),  # RATIONAL
    6: ("b", 1),  # SBYTE
    7: ("s", 1),  # UNDEFINED
    8: ("h", 2),  # SSHORT
    9: ("i", 4),  # SLONG
    10: ("ii", 8),  # SRATIONAL
    11: ("f", 4),  # FLOAT
    12: ("d", 8),  # DOUBLE
    13: ("I", 4),  # IFD
    16: ("Q", 8),  # LONG8 (BigTIFF)
}

# Tag names of the values pixelproof reports (EXIF 2.32 / TIFF 6.0 / DNG).
IFD0_TAGS = {
    0x010E: "image_description",
    0x010F: "make",
    0x0110: "model",
    0x0112: "orientation",
    0x011A: "x_resolution",
    0x011B: "y_resolution",
    0x0128: "resolution_unit",
    0x0131: "software",
    0x0132: "datetime",
    0x013B: "artist",
    0x013C: "host_computer",
    0x8298: "copyright",
    0x0100: "image_width",
    0x0101: "image_height",
    0xC614: "unique_camera_model",
}
EXIF_TAGS = {
    0x829A: "exposure_time",
    0x829D: "f_number",
    0x8827: "iso",
    0x9000: "exif_version",
    0x9003: "datetime_original",
    0x9004: "datetime_digitized",
    0x9010: "offset_time",
    0x9011: "offset_time_original",
    0x9012: "offset_time_digitized",
    0x9290: "subsec_time",
    0x9291: "subsec_time_original",
    0x9292: "subsec_time_digitized",
    0x920A: "focal_length",
    0x9209: "flash",
    0x927C: "maker_note",
    0x9286: "user_comment",
    0xA002: "pixel_x_dimension",
    0xA003: "pixel_y_dimension",
    0xA420: "image_unique_id",
    0xA430: "camera_owner_name",
    0xA431: "body_serial_number",
    0xA433: "lens_make",
    0xA434: "lens_model",
    0xA435: "lens_serial_number",
    0xA401: "custom_rendered",
    0xA402: "exposure_mode",
    0xA403: "white_balance",
    0xA406: "scene_capture_type",
}
GPS_TAGS = {
    0x0000: "version",
    0x0001: "latitude_ref",
    0x0002: "latitude",
    0x0003: "longitude_ref",
    0x0004: "longitude",
    0x0005: "altitude_ref",
    0x0006: "altitude",
    0x0007: "timestamp",
    0x0008: "satellites",
    0x0009: "status",
    0x000A: "measure_mode",
    0x000B: "dop",
    0x000C: "speed_ref",
    0x000D: "speed",
    0x0010: "img_direction_ref",
    0x0011: "img_direction",
    0x0012: "map_datum",
    0x0013: "dest_latitude_ref",
    0x0014: "dest_latitude",
    0x0017: "dest_bearing_ref",
    0x0018: "dest_bearing",
    0x001B: "processing_method",
    0x001D: "datestamp",
    0x001F: "h_positioning_error",
}
IFD1_TAGS = {
    0x0103: "compression",
    0x0201: "jpeg_offset",
    0x0202: "jpeg_length",
    0x0100: "width",
    0x0101: "height",
}
# Tags whose raw bytes other parsers need (TIFF files keep XMP, IPTC and ICC here).
RAW_TAGS = {700: "xmp", 33723: "iptc", 34377: "photoshop", 34675: "icc"}


@dataclass
class ExifDirectories:
    """Everything the walker could read from one TIFF/EXIF structure.

    Attributes
    ----------
    ifd0, exif, gps, interop, ifd1 : dict of int to value
        Tag id to decoded value, per directory (missing directories are empty).
    big_endian : bool
        Byte order of the structure.
    thumbnail : bytes or None
        The JPEG thumbnail IFD1 points to, when present and in bounds.
    raw : dict of str to bytes
        XMP, IPTC, Photoshop and ICC blobs stored as TIFF tags (TIFF files).
    warnings : list of str
        Every problem met, in plain words; the walk continues past each one.
    """

    ifd0: dict[int, Any] = field(default_factory=dict)
    exif: dict[int, Any] = field(default_factory=dict)
    gps: dict[int, Any] = field(default_factory=dict)
    interop: dict[int, Any] = field(default_factory=dict)
    ifd1: dict[int, Any] = field(default_factory=dict)
    big_endian: bool = False
    thumbnail: bytes | None = None
    raw: dict[str, bytes] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def strip_exif_header(blob: bytes) -> bytes:
    """Return the TIFF structure inside an EXIF blob (drops ``Exif\\0\\0`` and padding)."""
    for start in (0, 6, 8, 10, 4):
        if blob[start : start + 4] in (b"II*\x00", b"MM\x00*"):
            return blob[start:]
    index = blob.find(b"II*\x00")
    if index < 0:
        index = blob.find(b"MM\x00*")
    return blob[index:] if 0 <= index <= 64 else blob


def walk_exif(blob: bytes) -> ExifDirectories:
    """Read a TIFF/EXIF structure with bounded, loop-free directory walking.

    Parameters
    ----------
    blob : bytes
        An EXIF blob (with or without the ``Exif\\0\\0`` prefix) or a whole TIFF file.

    Returns
    -------
    ExifDirectories
        What could be read; problems are listed in ``warnings`` (never raised).
    """
    result = ExifDirectories()
    data = strip_exif_header(blob)
    if len(data) < 8 or data[:2] not in (b"II", b"MM"):
        result.warnings.append("EXIF: no TIFF header found; EXIF ignored")
        return result
    result.big_endian = data[:2] == b"MM"
    order = ">" if result.big_endian else "<"
    magic = struct.unpack(order + "H", data[2:4])[0]
    if magic != 42:
        result.warnings.append(f"EXIF: TIFF magic number is {magic}, not 42; EXIF ignored")
        return result
    walker = _Walker(data, order, result.warnings)
    first = struct.unpack(order + "I", data[4:8])[0]
    ifd0, next_offset = walker.read_directory(first, "IFD0", IFD0_TAGS)
    result.ifd0 = ifd0
    for tag, name in RAW_TAGS.items():
        value = ifd0.pop(tag, None)
        if isinstance(value, bytes) and value:
            result.raw[name] = value
        elif isinstance(value, tuple) and value and all(isinstance(v, int) for v in value):
            result.raw[name] = bytes(v & 0xFF for v in value)
    for tag, name in _POINTERS.items():  # EXIF and GPS hang off IFD0, interop off EXIF
        pointer = (result.exif if tag == INTEROP_IFD else ifd0).pop(tag, None)
        if pointer is None:
            continue
        if not isinstance(pointer, int):
            walker.warn(f"EXIF: {name} directory pointer is not a number ({pointer!r})")
            continue
        table = GPS_TAGS if tag == GPS_IFD else EXIF_TAGS
        directory, _ = walker.read_directory(pointer, name, table)
        setattr(result, name, directory)
    if next_offset:
        result.ifd1, _ = walker.read_directory(next_offset, "IFD1", IFD1_TAGS)
        result.thumbnail = _thumbnail(data, result.ifd1, result.warnings)
    return result


class _Walker:
    def __init__(self, data: bytes, order: str, warnings: list[str]) -> None:
        self.data = data
        self.order = order
        self.warnings = warnings
        self.visited: set[int] = set()

    def warn(self, message: str) -> None:
        if message not in self.warnings and len(self.warnings) < 50:
            self.warnings.append(message)

    def read_directory(
        self, offset: int, name: str, known: dict[int, str]
    ) -> tuple[dict[int, Any], int]:
        data, order = self.data, self.order
        if offset in self.visited:
            self.warn(f"EXIF: {name} points back to a directory already read (loop); skipped")
            return {}, 0
        if len(self.visited) >= MAX_DIRECTORIES:
            self.warn("EXIF: too many directories; the rest were skipped")
            return {}, 0
        if offset < 8 or offset + 2 > len(data):
            self.warn(f"EXIF: {name} offset {offset} is outside the EXIF data; skipped")
            return {}, 0
        self.visited.add(offset)
        count = struct.unpack(order + "H", data[offset : offset + 2])[0]
        if count > MAX_ENTRIES:
            self.warn(f"EXIF: {name} claims {count} entries (corrupt); skipped")
            return {}, 0
        entries: dict[int, Any] = {}
        end = offset + 2 + 12 * count
        if end > len(data):
            self.warn(f"EXIF: {name} is truncated ({count} entries do not fit); partly read")
            count = max(0, (len(data) - offset - 2) // 12)
        bad_types = 0
        for index in range(count):
            entry = offset + 2 + 12 * index
            tag, type_id, n = struct.unpack(order + "HHI", data[entry : entry + 8])
            if type_id not in _TYPES:
                bad_types += 1
                continue
            if n == 0:
                label = known.get(tag, f"tag 0x{tag:04x}")
                self.warn(f"EXIF: {name} {label} has no value (count 0); ignored")
                continue
            try:
                value = self._value(entry, type_id, n, tag, name, known)
            except (struct.error, ValueError, OverflowError) as exc:
                self.warn(f"EXIF: {name} tag 0x{tag:04x} cannot be decoded ({exc}); skipped")
                continue
            if value is not None:
                entries[tag] = value
        if bad_types:
            self.warn(f"EXIF: {name} has {bad_types} entries of unknown type (corrupt); skipped")
        next_offset = 0
        if end + 4 <= len(data):
            next_offset = struct.unpack(order + "I", data[end : end + 4])[0]
            if next_offset and (next_offset < 8 or next_offset >= len(data)):
                if name == "IFD0":
                    self.warn(f"EXIF: IFD1 offset {next_offset} is outside the EXIF data")
                next_offset = 0
        return entries, next_offset

    def _value(
        self, entry: int, type_id: int, count: int, tag: int, name: str, known: dict[int, str]
    ) -> Any:
        code, size = _TYPES[type_id]
        total = size * count
        if total > MAX_VALUE_BYTES:
            self.warn(f"EXIF: {name} tag 0x{tag:04x} claims {total} bytes (corrupt); skipped")
            return None
        if total <= 4:
            start = entry + 8
        else:
            start = struct.unpack(self.order + "I", self.data[entry + 8 : entry + 12])[0]
            if start + total > len(self.data):
                label = known.get(tag, f"tag 0x{tag:04x}")
                self.warn(f"EXIF: {name} {label} points outside the EXIF data; skipped")
                return None
        raw = self.data[start : start + total]
        if type_id == 2:
            return raw.split(b"\x00", 1)[0].decode("utf-8", "replace").strip()
        if type_id == 7 or (type_id == 1 and count > 8):
            return bytes(raw)
        if type_id in (5, 10):
            pairs = struct.unpack(self.order + code[0] * (2 * count), raw)
            values = [
                pairs[i] / pairs[i + 1] if pairs[i + 1] else math.nan
                for i in range(0, len(pairs), 2)
            ]
            return values[0] if count == 1 else tuple(values)
        values_tuple = struct.unpack(self.order + code * count, raw)
        return values_tuple[0] if count == 1 else values_tuple


def _thumbnail(data: bytes, ifd1: dict[int, Any], warnings: list[str]) -> bytes | None:
    offset, length = ifd1.get(0x0201), ifd1.get(0x0202)
    if offset is None and length is None:
        return None
    if not isinstance(offset, int) or not isinstance(length, int) or length <= 0:
        warnings.append("EXIF: thumbnail offset or length is invalid; thumbnail ignored")
        return None
    if offset + length > len(data):
        warnings.append("EXIF: thumbnail extends past the end of the EXIF data; ignored")
        return None
    thumb = data[offset : offset + length]
    if not thumb.startswith(b"\xff\xd8"):
        warnings.append("EXIF: thumbnail is not a JPEG stream; ignored")
        return None
    return bytes(thumb)


# -- value helpers ---------------------------------------------------------------------


def text_of(value: Any) -> str | None:
    """A printable string for a text-like tag value, or None when empty/unusable."""
    if isinstance(value, bytes):
        value = value.split(b"\x00", 1)[0].decode("utf-8", "replace")
    if not isinstance(value, str):
        return None
    value = value.strip("\x00 \t\r\n")
    return value or None


def user_comment(value: Any) -> str | None:
    """Decode EXIF UserComment (8-byte character-code prefix, then the text)."""
    if not isinstance(value, bytes) or len(value) < 8:
        return text_of(value)
    prefix, body = value[:8], value[8:]
    if prefix.startswith(b"UNICODE"):
        big = body[:2] != b"\xff\xfe" and (body[:1] == b"\x00" or body[:2] == b"\xfe\xff")
        text = body.decode("utf-16-be" if big else "utf-16-le", "replace").lstrip("\ufeff")
    elif prefix.startswith(b"ASCII") or prefix == b"\x00" * 8:
        text = body.decode("utf-8", "replace")
    else:
        text = value.decode("utf-8", "replace")
    text = text.strip("\x00 \t\r\n")
    return text or None


def number(value: Any) -> float | None:
    """A finite float from a numeric tag value (first element of a tuple)."""
    if isinstance(value, tuple):
        value = value[0] if value else None
    if isinstance(value, int | float) and math.isfinite(float(value)):
        return float(value)
    return None  # non-numeric or non-finite


def gps_coordinate(value: Any, ref: Any) -> float | None:
    """Decimal degrees from a GPS (degrees, minutes, seconds) triple and its N/S/E/W ref."""
    if not isinstance(value, tuple) or len(value) != 3:
        return None
    if not all(isinstance(v, float) and math.isfinite(v) for v in value):
        return None
    degrees = float(value[0]) + float(value[1]) / 60.0 + float(value[2]) / 3600.0
    reference = text_of(ref) or ""
    if reference.upper().startswith(("S", "W")):
        degrees = -degrees
    return round(degrees, 7)


def parse_exif_datetime(text: str | None) -> datetime | None:
    """Parse ``YYYY:MM:DD HH:MM:SS`` (the EXIF form); None for blank or invalid dates."""
    if not text:
        return None
    cleaned = text.strip().replace("-", ":").replace("T", " ")[:19]
    try:
        return datetime.strptime(cleaned, "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None


def parse_offset(text: str | None) -> timezone | None:
    """Parse an EXIF OffsetTime value such as ``+02:00``."""
    if not text or len(text) < 6 or text[0] not in "+-":
        return None
    try:
        hours, minutes = int(text[1:3]), int(text[4:6])
    except ValueError:
        return None
    delta = timedelta(hours=hours, minutes=minutes)
    return timezone(delta if text[0] == "+" else -delta)


def gps_datetime(datestamp: Any, timestamp: Any) -> datetime | None:
    """The UTC date and time a GPS fix recorded, when both parts are valid."""
    date_text = text_of(datestamp)
    if not date_text or not isinstance(timestamp, tuple) or len(timestamp) != 3:
        return None
    if not all(isinstance(v, float) and math.isfinite(v) for v in timestamp):
        return None
    try:
        day = datetime.strptime(date_text.strip()[:10].replace("-", ":"), "%Y:%m:%d")
        seconds = timestamp[0] * 3600 + timestamp[1] * 60 + timestamp[2]
        if not 0 <= seconds < 86400 + 1:
            return None
        return (day + timedelta(seconds=seconds)).replace(tzinfo=UTC)
    except (ValueError, OverflowError):
        return None
