"""Bounded walkers over container structures: where each metadata blob lives.

They read the raw file bytes, so metadata is found even when the pixels cannot be
decoded, and they record what Pillow does not expose: every JPEG segment (APP13 IPTC,
APP11 JUMBF, comments, quantization tables), every PNG chunk and its text type
(tEXt/zTXt/iTXt), WebP RIFF chunks and the HEIF/AVIF brand. Each walker stops at the
first structural error and turns it into a warning.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

MAX_SEGMENTS = 4096
MAX_TEXT_BYTES = 8 * 2**20  # a decompressed PNG text chunk (ComfyUI graphs can be large)

_XMP_APP1 = b"http://ns.adobe.com/xap/1.0/\x00"
_XMP_EXTENSION = b"http://ns.adobe.com/xmp/extension/\x00"

# Zig-zag position k holds the coefficient at natural (row-major) index _ZIGZAG[k].
_ZIGZAG = (
    0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5,
    12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21, 28,
    35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51,
    58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63,
)  # fmt: skip


@dataclass(frozen=True)
class TextChunk:
    """One PNG text chunk (or a text-like entry of another container)."""

    keyword: str
    text: str
    kind: str  # "tEXt", "zTXt", "iTXt", "COM", "APP12", ...


@dataclass
class ContainerData:
    """Metadata blobs and structure found by walking the file's bytes.

    Attributes
    ----------
    exif, xmp, icc, photoshop : bytes or None
        Raw blobs (``photoshop`` is the Image Resource Block holding IPTC IIM).
    texts : list of TextChunk
        PNG text chunks, JPEG comments and similar free text, in file order.
    quant_tables : dict of int to (8, 8) uint16 array
        JPEG quantization tables in natural order, by table id.
    structure : list of str
        Segment or chunk names in file order (deduplicated runs), for the report.
    c2pa_embedded : bool
        A JUMBF/C2PA box was found where the format embeds manifests.
    brand : str or None
        HEIF/AVIF major brand.
    warnings : list of str
    """

    exif: bytes | None = None
    xmp: bytes | None = None
    icc: bytes | None = None
    photoshop: bytes | None = None
    texts: list[TextChunk] = field(default_factory=list)
    quant_tables: dict[int, NDArray[np.uint16]] = field(default_factory=dict)
    structure: list[str] = field(default_factory=list)
    c2pa_embedded: bool = False
    brand: str | None = None
    extra: dict[str, object] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def note(self, name: str) -> None:
        if not self.structure or self.structure[-1] != name:
            self.structure.append(name)


def walk_container(data: bytes, fmt: str) -> ContainerData:
    """Walk the container of ``data`` (format as detected by :mod:`pixelproof.io`)."""
    result = ContainerData()
    try:
        if fmt in ("JPEG", "MPO"):
            _walk_jpeg(data, result)
        elif fmt == "PNG":
            _walk_png(data, result)
        elif fmt == "WEBP":
            _walk_webp(data, result)
        elif fmt in ("HEIF", "AVIF"):
            _walk_bmff(data, result)
        elif fmt == "TIFF":
            result.exif = data  # a TIFF file is itself the EXIF structure
    except (struct.error, IndexError, ValueError) as exc:  # defensive: walkers bound-check
        result.warnings.append(f"{fmt} structure could not be fully read ({exc})")
    return result


# -- JPEG ------------------------------------------------------------------------------


def _walk_jpeg(data: bytes, out: ContainerData) -> None:
    pos, n = 2, len(data)
    icc_parts: dict[int, bytes] = {}
    segments = 0
    while pos + 4 <= n:
        if data[pos] != 0xFF:
            out.warnings.append(f"JPEG: expected a marker at byte {pos}; metadata scan stopped")
            return
        marker = data[pos + 1]
        if marker == 0xFF:
            pos += 1
            continue
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
            pos += 2
            continue
        if marker == 0xD9:
            out.note("EOI")
            return
        length = struct.unpack(">H", data[pos + 2 : pos + 4])[0]
        if length < 2 or pos + 2 + length > n:
            out.warnings.append(f"JPEG: segment 0x{marker:02X} at byte {pos} is truncated")
            return
        segments += 1
        if segments > MAX_SEGMENTS:
            out.warnings.append("JPEG: too many segments; metadata scan stopped")
            return
        body = data[pos + 4 : pos + 2 + length]
        _jpeg_segment(marker, body, out, icc_parts)
        if marker == 0xDA:  # entropy-coded data follows: no metadata is expected after it
            break
        pos += 2 + length
    if icc_parts:
        out.icc = b"".join(icc_parts[k] for k in sorted(icc_parts))


def _jpeg_segment(marker: int, body: bytes, out: ContainerData, icc: dict[int, bytes]) -> None:
    if marker == 0xE1 and body.startswith(b"Exif\x00"):
        out.note("APP1 Exif")
        if out.exif is None:
            out.exif = body[6:]
    elif marker == 0xE1 and body.startswith(_XMP_APP1):
        out.note("APP1 XMP")
        if out.xmp is None:
            out.xmp = body[len(_XMP_APP1) :]
    elif marker == 0xE1 and body.startswith(_XMP_EXTENSION):
        out.note("APP1 extended XMP")
    elif marker == 0xE2 and body.startswith(b"ICC_PROFILE\x00") and len(body) > 14:
        out.note("APP2 ICC")
        icc[body[12]] = body[14:]
    elif marker == 0xE2 and body.startswith(b"MPF\x00"):
        out.note("APP2 MPF (multi-picture)")
    elif marker == 0xED and body.startswith(b"Photoshop 3.0\x00"):
        out.note("APP13 Photoshop IRB")
        out.photoshop = (out.photoshop or b"") + body[14:]
    elif marker == 0xEB and body[:2] == b"JP":
        out.note("APP11 JUMBF")
        if b"c2pa" in body[:64] or b"jumb" in body[:64]:
            out.c2pa_embedded = True
    elif marker == 0xEE and body.startswith(b"Adobe"):
        out.note("APP14 Adobe")
    elif marker == 0xE0 and body.startswith(b"JFIF\x00"):
        out.note("APP0 JFIF")
    elif marker == 0xE0 and body.startswith(b"JFXX\x00"):
        out.note("APP0 JFXX thumbnail")
    elif marker == 0xE0 and body[:2] in (b"II", b"MM") and b"HEAPJPGM" in body[:16]:
        out.note("APP0 CIFF (Canon)")
    elif marker == 0xEC:
        out.note("APP12")
        text = _printable(body)
        if text:
            out.texts.append(TextChunk("APP12", text, "APP12"))
    elif marker == 0xFE:
        out.note("COM")
        text = _printable(body)
        if text:
            out.texts.append(TextChunk("Comment", text, "COM"))
    elif marker == 0xDB:
        out.note("DQT")
        _read_dqt(body, out)
    elif 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
        out.note(f"SOF{marker - 0xC0}")
    elif marker == 0xDA:
        out.note("SOS")
    elif 0xE0 <= marker <= 0xEF:
        out.note(f"APP{marker - 0xE0}")


def _read_dqt(body: bytes, out: ContainerData) -> None:
    pos = 0
    while pos < len(body):
        precision, table_id = body[pos] >> 4, body[pos] & 0x0F
        size = 128 if precision else 64
        raw = body[pos + 1 : pos + 1 + size]
        if len(raw) < size or table_id > 3:
            out.warnings.append("JPEG: a quantization table is truncated or invalid")
            return
        values = struct.unpack(">64H" if precision else "64B", raw)
        natural = np.zeros(64, dtype=np.uint16)
        natural[list(_ZIGZAG)] = values
        out.quant_tables[table_id] = natural.reshape(8, 8)
        pos += 1 + size


def _printable(body: bytes) -> str:
    text = body.split(b"\x00\x00", 1)[0].replace(b"\x00", b" ").decode("utf-8", "replace")
    text = text.strip()
    printable = sum(ch.isprintable() or ch in "\r\n\t" for ch in text)
    return text if text and printable >= 0.9 * len(text) else ""


# -- PNG -------------------------------------------------------------------------------


def _walk_png(data: bytes, out: ContainerData) -> None:
    pos, n, chunks = 8, len(data), 0
    while pos + 8 <= n:
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        if pos + 12 + length > n:
            out.warnings.append(f"PNG: chunk {kind!r} at byte {pos} is truncated")
            return
        chunks += 1
        if chunks > 100_000:
            out.warnings.append("PNG: too many chunks; metadata scan stopped")
            return
        name = kind.decode("latin-1")
        body = data[pos + 8 : pos + 8 + length]
        out.note(name)
        if kind in (b"tEXt", b"zTXt", b"iTXt"):
            chunk = _png_text(kind, body, out)
            if chunk is not None:
                if chunk.keyword == "XML:com.adobe.xmp":
                    out.xmp = out.xmp or chunk.text.encode("utf-8")
                else:
                    out.texts.append(chunk)
        elif kind == b"eXIf":
            out.exif = out.exif or body
        elif kind == b"iCCP":
            _png_icc(body, out)
        elif kind == b"caBX":
            out.c2pa_embedded = True
        elif kind == b"IEND":
            return
        pos += 12 + length


def _png_text(kind: bytes, body: bytes, out: ContainerData) -> TextChunk | None:
    keyword, sep, rest = body.partition(b"\x00")
    if not sep or not keyword:
        out.warnings.append(f"PNG: a {kind.decode()} chunk has no keyword; ignored")
        return None
    key = keyword.decode("latin-1")
    if kind == b"tEXt":
        return TextChunk(key, rest.decode("latin-1"), "tEXt")
    if kind == b"zTXt":
        raw = _inflate(rest[1:], key, out)
        return None if raw is None else TextChunk(key, raw.decode("latin-1"), "zTXt")
    if len(rest) < 2:
        out.warnings.append(f"PNG: iTXt chunk {key!r} is truncated; ignored")
        return None
    compressed = rest[0] == 1
    parts = rest[2:].split(b"\x00", 2)
    if len(parts) < 3:
        out.warnings.append(f"PNG: iTXt chunk {key!r} is malformed; ignored")
        return None
    text = parts[2]
    if compressed:
        inflated = _inflate(text, key, out)
        if inflated is None:
            return None
        text = inflated
    return TextChunk(key, text.decode("utf-8", "replace"), "iTXt")


def _inflate(raw: bytes, key: str, out: ContainerData) -> bytes | None:
    decompressor = zlib.decompressobj()
    try:
        text = decompressor.decompress(raw, MAX_TEXT_BYTES)
    except zlib.error as exc:
        out.warnings.append(f"PNG: compressed text {key!r} is corrupt ({exc}); ignored")
        return None
    if decompressor.unconsumed_tail:
        out.warnings.append(
            f"PNG: compressed text {key!r} inflates past {MAX_TEXT_BYTES // 2**20} MiB; truncated"
        )
    return text


def _png_icc(body: bytes, out: ContainerData) -> None:
    _, sep, rest = body.partition(b"\x00")
    if sep and rest:
        decompressor = zlib.decompressobj()
        try:
            out.icc = decompressor.decompress(rest[1:], 16 * 2**20)
        except zlib.error:
            out.warnings.append("PNG: embedded ICC profile is corrupt; ignored")


# -- WebP ------------------------------------------------------------------------------


def _walk_webp(data: bytes, out: ContainerData) -> None:
    pos, n = 12, min(len(data), 8 + struct.unpack("<I", data[4:8])[0])
    while pos + 8 <= n:
        kind, length = struct.unpack("<4sI", data[pos : pos + 8])
        body = data[pos + 8 : pos + 8 + length]
        if len(body) < length:
            out.warnings.append(f"WebP: chunk {kind!r} is truncated")
            return
        name = kind.decode("latin-1").strip()
        out.note(name)
        if kind == b"EXIF":
            out.exif = body
        elif kind == b"XMP ":
            out.xmp = body
        elif kind == b"ICCP":
            out.icc = body
        elif kind == b"C2PA":
            out.c2pa_embedded = True
        elif kind == b"VP8X" and body:
            flags = ((0x20, "icc"), (0x10, "alpha"), (0x08, "exif"), (0x04, "xmp"), (0x02, "anim"))
            out.extra["webp_features"] = [feature for bit, feature in flags if body[0] & bit]
        elif kind == b"VP8L":
            out.extra["webp_compression"] = "lossless"
        elif kind == b"VP8 ":
            out.extra["webp_compression"] = "lossy"
        pos += 8 + length + (length & 1)


# -- HEIF / AVIF (ISO BMFF) ------------------------------------------------------------


def _walk_bmff(data: bytes, out: ContainerData) -> None:
    pos, n, boxes = 0, len(data), 0
    while pos + 8 <= n and boxes < 1000:
        size, kind = struct.unpack(">I4s", data[pos : pos + 8])
        header = 8
        if size == 1 and pos + 16 <= n:
            size, header = struct.unpack(">Q", data[pos + 8 : pos + 16])[0], 16
        elif size == 0:
            size = n - pos
        if size < header:
            out.warnings.append(f"HEIF: box {kind!r} has an invalid size")
            return
        name = kind.decode("latin-1")
        out.note(name)
        if kind == b"ftyp":
            out.brand = data[pos + 8 : pos + 12].decode("latin-1").strip()
            brands = data[pos + 16 : pos + size]
            out.extra["compatible_brands"] = [
                brands[i : i + 4].decode("latin-1") for i in range(0, len(brands) - 3, 4)
            ]
        elif kind == b"uuid" and b"c2pa" in data[pos + header : pos + header + 64]:
            out.c2pa_embedded = True
        pos += size
        boxes += 1
