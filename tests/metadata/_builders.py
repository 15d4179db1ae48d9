"""Builders for files carrying metadata: every test file is generated here, by hand."""

from __future__ import annotations

import io
import json
import struct
import zlib
from typing import Any

import numpy as np
from numpy.typing import NDArray
from PIL import Image, PngImagePlugin

from tests._images import png_chunk, smooth


def photo(height: int = 240, width: int = 320) -> NDArray[np.uint8]:
    """A photo-like picture with distinct regions (so that edits change its content)."""
    pixels = smooth(height, width)
    pixels[height // 5 : height // 2, width // 6 : width // 3] = (230, 40, 40)
    pixels[height // 2 :, width // 2 : width * 4 // 5] = (30, 30, 160)
    return pixels


def jpeg(pixels: NDArray[np.uint8], *, quality: int = 92, exif: bytes | None = None) -> bytes:
    buffer = io.BytesIO()
    params: dict[str, Any] = {"quality": quality}
    if exif is not None:
        params["exif"] = exif
    Image.fromarray(pixels).save(buffer, format="JPEG", **params)
    return buffer.getvalue()


def png_with_text(
    pixels: NDArray[np.uint8], chunks: dict[str, str], *, itxt: tuple[str, ...] = ()
) -> bytes:
    """A PNG with tEXt chunks (or iTXt for the keywords in ``itxt``)."""
    info = PngImagePlugin.PngInfo()
    for key, value in chunks.items():
        if key in itxt:
            info.add_itxt(key, value, zip=True)
        else:
            info.add_text(key, value)
    buffer = io.BytesIO()
    mode = "RGBA" if pixels.ndim == 3 and pixels.shape[2] == 4 else "RGB"
    Image.fromarray(pixels, mode).save(buffer, format="PNG", pnginfo=info)
    return buffer.getvalue()


def png_with_ztxt(pixels: NDArray[np.uint8], key: str, text: str) -> bytes:
    """A PNG with one zTXt chunk, inserted by hand after IHDR."""
    base = png_with_text(pixels, {})
    chunk = png_chunk(b"zTXt", key.encode("latin-1") + b"\x00\x00" + zlib.compress(text.encode()))
    return base[:33] + chunk + base[33:]


# -- EXIF with a thumbnail -------------------------------------------------------------


def _ascii(tag: int, text: str) -> tuple[int, int, int, bytes]:
    raw = text.encode("ascii") + b"\x00"
    return (tag, 2, len(raw), raw)


def _short(tag: int, value: int) -> tuple[int, int, int, bytes]:
    return (tag, 3, 1, struct.pack("<H", value))


def _long(tag: int, value: int) -> tuple[int, int, int, bytes]:
    return (tag, 4, 1, struct.pack("<I", value))


def _rationals(tag: int, values: list[tuple[int, int]]) -> tuple[int, int, int, bytes]:
    raw = b"".join(struct.pack("<II", n, d) for n, d in values)
    return (tag, 5, len(values), raw)


def _ifd(entries: list[tuple[int, int, int, bytes]], start: int, next_ifd: int) -> bytes:
    entries = sorted(entries)
    data_at = start + 2 + 12 * len(entries) + 4
    head, extra = struct.pack("<H", len(entries)), b""
    for tag, kind, count, payload in entries:
        if len(payload) <= 4:
            head += struct.pack("<HHI", tag, kind, count) + payload.ljust(4, b"\x00")
        else:
            head += struct.pack("<HHII", tag, kind, count, data_at + len(extra))
            extra += payload + (b"\x00" if len(payload) % 2 else b"")
    return head + struct.pack("<I", next_ifd) + extra


def exif_blob(
    *,
    make: str = "Pixelproof",
    model: str = "Test Camera 1",
    orientation: int = 1,
    software: str | None = None,
    datetime: str = "2024:05:01 10:00:00",
    datetime_original: str = "2024:05:01 10:00:00",
    thumbnail: bytes | None = None,
    gps: tuple[float, float] | None = None,
    gps_stamp: tuple[str, tuple[int, int, int]] | None = None,
    user_comment: str | None = None,
) -> bytes:
    """A little-endian EXIF block (with the ``Exif\\0\\0`` prefix) written by hand.

    IFD0 has make, model, orientation and dates; the EXIF IFD has DateTimeOriginal;
    the GPS IFD has coordinates; IFD1 points to ``thumbnail`` (a JPEG) when given.
    """
    ifd0 = [_ascii(0x010F, make), _ascii(0x0110, model), _short(0x0112, orientation)]
    ifd0.append(_ascii(0x0132, datetime))
    if software:
        ifd0.append(_ascii(0x0131, software))
    exif = [_ascii(0x9003, datetime_original)]
    if user_comment is not None:
        raw = b"ASCII\x00\x00\x00" + user_comment.encode("utf-8")
        exif.append((0x9286, 7, len(raw), raw))
    gps_entries: list[tuple[int, int, int, bytes]] = []
    if gps is not None:
        lat, lon = gps

        def dms(value: float) -> list[tuple[int, int]]:
            value = abs(value)
            degrees = int(value)
            minutes = int((value - degrees) * 60)
            seconds = round(((value - degrees) * 60 - minutes) * 60 * 100)
            return [(degrees, 1), (minutes, 1), (seconds, 100)]

        gps_entries += [_ascii(0x0001, "N" if lat >= 0 else "S"), _rationals(0x0002, dms(lat))]
        gps_entries += [_ascii(0x0003, "E" if lon >= 0 else "W"), _rationals(0x0004, dms(lon))]
    if gps_stamp is not None:
        day, (h, m, s) = gps_stamp
        gps_entries += [_ascii(0x001D, day), _rationals(0x0007, [(h, 1), (m, 1), (s, 1)])]
    # Lay the directories out one after the other; sizes do not depend on pointer values.
    pointers = [_long(0x8769, 0)] + ([_long(0x8825, 0)] if gps_entries else [])
    size0 = len(_ifd(ifd0 + pointers, 8, 0))
    exif_at = 8 + size0
    gps_at = exif_at + len(_ifd(exif, exif_at, 0))
    ifd1_at = gps_at + (len(_ifd(gps_entries, gps_at, 0)) if gps_entries else 0)
    ifd1_entries = [_short(0x0103, 6), _long(0x0201, 0), _long(0x0202, len(thumbnail or b""))]
    thumb_at = ifd1_at + len(_ifd(ifd1_entries, ifd1_at, 0))
    pointers = [_long(0x8769, exif_at)] + ([_long(0x8825, gps_at)] if gps_entries else [])
    body = _ifd(ifd0 + pointers, 8, ifd1_at if thumbnail else 0)
    body += _ifd(exif, exif_at, 0)
    if gps_entries:
        body += _ifd(gps_entries, gps_at, 0)
    if thumbnail:
        ifd1_entries[1] = _long(0x0201, thumb_at)
        body += _ifd(ifd1_entries, ifd1_at, 0) + thumbnail
    return b"Exif\x00\x00" + b"II*\x00" + struct.pack("<I", 8) + body


def thumbnail_of(pixels: NDArray[np.uint8], size: tuple[int, int] = (160, 120)) -> bytes:
    image = Image.fromarray(pixels)
    image.thumbnail(size)
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=85)
    return buffer.getvalue()


def camera_jpeg(pixels: NDArray[np.uint8], **exif: Any) -> bytes:
    """A JPEG as a camera writes it: EXIF with a thumbnail of the same picture."""
    return jpeg(pixels, exif=exif_blob(thumbnail=thumbnail_of(pixels), **exif))


# -- XMP -------------------------------------------------------------------------------

XMP_TEMPLATE = """<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about=""
    xmlns:xmp="http://ns.adobe.com/xap/1.0/"
    xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/"
    xmlns:xmpMM="http://ns.adobe.com/xap/1.0/mm/"
    xmlns:stEvt="http://ns.adobe.com/xap/1.0/sType/ResourceEvent#"
    xmlns:dc="http://purl.org/dc/elements/1.1/"
    xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/"
    {attributes}>
   {elements}
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
<?xpacket end="w"?>"""


def xmp_packet(*, attributes: str = "", elements: str = "") -> bytes:
    return XMP_TEMPLATE.format(attributes=attributes, elements=elements).encode("utf-8")


def with_xmp_jpeg(pixels: NDArray[np.uint8], packet: bytes) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="JPEG", quality=90, xmp=packet)
    return buffer.getvalue()


def comfy_prompt_graph(*, seed: int, positive: str, negative: str, ckpt: str) -> str:
    graph = {
        "3": {
            "class_type": "KSampler",
            "inputs": {
                "seed": seed,
                "steps": 25,
                "cfg": 6.5,
                "sampler_name": "dpmpp_2m",
                "scheduler": "karras",
                "denoise": 1.0,
                "model": ["4", 0],
                "positive": ["6", 0],
                "negative": ["7", 0],
                "latent_image": ["5", 0],
            },
        },
        "4": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": ckpt}},
        "5": {
            "class_type": "EmptyLatentImage",
            "inputs": {"width": 832, "height": 1216, "batch_size": 1},
        },
        "6": {"class_type": "CLIPTextEncode", "inputs": {"text": positive, "clip": ["4", 1]}},
        "7": {"class_type": "CLIPTextEncode", "inputs": {"text": negative, "clip": ["4", 1]}},
        "8": {"class_type": "VAEDecode", "inputs": {"samples": ["3", 0], "vae": ["4", 2]}},
    }
    return json.dumps(graph)


def comfy_workflow(*, seed: int, positive: str, negative: str, ckpt: str) -> str:
    """The UI graph ComfyUI stores as ``workflow`` (nodes with widget values and links)."""
    nodes = [
        {
            "id": 3,
            "type": "KSampler",
            "inputs": [
                {"name": "model", "link": 1},
                {"name": "positive", "link": 4},
                {"name": "negative", "link": 6},
            ],
            "widgets_values": [seed, "randomize", 30, 7.0, "euler", "normal", 1.0],
        },
        {"id": 4, "type": "CheckpointLoaderSimple", "widgets_values": [ckpt]},
        {"id": 6, "type": "CLIPTextEncode", "widgets_values": [positive]},
        {"id": 7, "type": "CLIPTextEncode", "widgets_values": [negative]},
    ]
    links = [[1, 4, 0, 3, 0, "MODEL"], [4, 6, 0, 3, 1, "CONDITIONING"], [6, 7, 0, 3, 2, "C"]]
    return json.dumps({"nodes": nodes, "links": links, "version": 0.4})


def repaint_keeping_manifest(signed: bytes) -> bytes:
    """Change pixels but keep the manifest at its offset: a re-encoded scan after APP11."""
    pos, manifest_end = 2, 2
    while signed[pos + 1] != 0xDB:  # walk the segments before the first table
        length = struct.unpack(">H", signed[pos + 2 : pos + 4])[0]
        pos += 2 + length
        if signed[pos - 2 - length + 1] == 0xEB:
            manifest_end = pos
    pixels = np.asarray(Image.open(io.BytesIO(signed)).convert("RGB")).copy()
    pixels[10:40, 10:60] = 255
    fresh = jpeg(pixels, quality=90)
    start = 2
    while fresh[start + 1] != 0xDB:
        start += 2 + struct.unpack(">H", fresh[start + 2 : start + 4])[0]
    return signed[:manifest_end] + fresh[start:]
