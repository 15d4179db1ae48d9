"""Hostile input, safe output: a generated corpus of hostile files through every command.

Usage (from the repository root; reads ``../shared/data/photos``, writes only to --out)::

    nice .venv/bin/python benchmarks/hostile_corpus.py all --out /tmp/hostile
    nice .venv/bin/python benchmarks/hostile_corpus.py all --out /tmp/hostile-quick --limit 120
    # or in two steps: ``make --out DIR`` then ``run --out DIR [--commands scan,meta]``

``make`` writes ``DIR/corpus`` (the hostile files), ``DIR/sources`` (the clean,
downscaled sources, indexed for ``match``) and ``DIR/manifest.json``. Sources are
shared photos downscaled to ``--max-side`` pixels and saved in their format (PNG in
RGB, RGBA, palette, grayscale and 16-bit; JPEG baseline and progressive, some keeping
their EXIF; WebP lossy and lossless, made from the photos). Every source is mutated:
truncations, single and multiple bit flips, random overwrites of header, middle and
end, zero-filled tails and trailing zeros, and container surgery (PNG chunks, JPEG
segments, WebP RIFF chunks removed, duplicated or given bogus lengths). Beside them:
wrong extensions, empty / 1-byte / text / random files, decompression bombs (a PNG
declaring 30000x30000 with a tiny IDAT, a valid 9000x9000 PNG of zeros, JPEG, WebP,
BMP and GIF declaring huge sizes), GIF / TIFF / BMP oddities, corrupt EXIF (garbage
APP1, bad offsets, IFD loops, huge counts, zero denominators, the APP1 segments of the
shared photos' malformed samples), corrupt ICC, XMP (entity expansion, deep nesting),
IPTC and C2PA blocks, overlong and compressed-bomb PNG text chunks, the shared
malformed JPEGs as they are, and special files: a FIFO ``x.jpg``, links to /dev/zero
and /dev/null, a folder ``d.jpg``, a broken link, a link loop, a socket and a file
without read permission (root reads it anyway: then it is just a clean image).

The damage oracle, independent of pixelproof's loader, marks a file damaged when:

* ``PIL.Image.open(f).verify()`` raises, or
* a fresh ``Image.open(f).load()`` raises or emits any warning (Pillow's default
  decompression-bomb limit applies: above 89.5 MP it warns, above 179 MP it raises;
  a file that warns there is not decoded further), or
* the file starts like a JPEG and ``simplejpeg.decode_jpeg(data, strict=True)``
  raises (decoded to CMYK or GRAY when its header says so; a header declaring more
  pixels than Pillow's limit is not decoded and counts as damaged).

The oracle runs under a 4 GiB address-space limit and a 60 s alarm per file (a
``MemoryError`` or the alarm is a reason too). Pillow's warnings about malformed EXIF
("Corrupt EXIF data", "Tag data larger than file") count, as the rule says, although
the pixels of those files are intact.

Special files (FIFO, device, folder, socket, broken or looping link, unreadable file)
are never opened and count as damaged: their row must be an error.

``run`` runs ``scan``, ``forensics``, ``meta``, ``watermark detect``, ``index add``,
``match`` (against an index of the clean sources) and ``dedup`` on the corpus folder with
``--json --workers 2``, each in its own process group under a wall-clock limit (a hang
is that limit passing), polls the memory of the process tree every 0.2 s (the table
shows summed RSS, an upper bound since forked workers share pages; results.md also gives
summed PSS), and checks:
exactly one row per input, no Python traceback on stderr, and for every damaged input a
row with ``error`` or a warning starting with ``damaged:`` (or, from ``meta``, which
reads the metadata of a file whose pixels it cannot decode, ``pixels not decoded``).
It prints the Markdown table and writes ``DIR/results.md`` and ``DIR/results.json``
(per-file details). The machine may be shared: ``--memory-cap-mb`` kills a command
whose tree grows past it (reported as such), ``--wait-for-memory-mb`` waits for free
memory before each command.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import random
import re
import resource
import shutil
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
import warnings
import zlib
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PIL import Image

REPO = Path(__file__).resolve().parents[1]
PHOTOS = REPO.parent / "shared" / "data" / "photos"
COMMANDS = ("scan", "forensics", "meta", "watermark detect", "index add", "match", "dedup")
SPECIAL = "special"


# -- corpus entries -------------------------------------------------------------------


@dataclass
class Entry:
    """One corpus file: its bytes (or a special-file recipe) and what it is."""

    name: str  # relative to the corpus folder
    kind: str
    data: bytes | None = None
    special: str | None = None  # fifo, link, dir, socket, unreadable
    target: str | None = None  # link target
    info: dict[str, Any] = field(default_factory=dict)


def rng_for(seed: int, *parts: object) -> random.Random:
    return random.Random(":".join([str(seed), *map(str, parts)]))


# -- container helpers ----------------------------------------------------------------


def png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_chunks(data: bytes) -> list[tuple[bytes, int, int]]:
    """(type, start, end) of each chunk, end past its CRC; stops at damage."""
    chunks, pos = [], 8
    while pos + 12 <= len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        end = pos + 12 + length
        chunks.append((data[pos + 4 : pos + 8], pos, min(end, len(data))))
        pos = end
    return chunks


def png_insert(data: bytes, chunk: bytes, before: bytes = b"IDAT") -> bytes:
    for kind, start, _ in png_chunks(data):
        if kind == before:
            return data[:start] + chunk + data[start:]
    return data[:33] + chunk + data[33:]


def jpeg_segments(data: bytes) -> list[tuple[int, int, int]]:
    """(marker, start, end) of each segment up to and including the first SOS header."""
    segments, pos = [], 2
    while pos + 4 <= len(data) and data[pos] == 0xFF:
        marker = data[pos + 1]
        (length,) = struct.unpack(">H", data[pos + 2 : pos + 4])
        segments.append((marker, pos, pos + 2 + length))
        if marker == 0xDA:
            break
        pos += 2 + length
    return segments


def jpeg_insert(data: bytes, segment: bytes) -> bytes:
    """Insert a segment right after SOI (and after APP0 when there is one)."""
    pos = 2
    segs = jpeg_segments(data)
    if segs and segs[0][0] == 0xE0:
        pos = segs[0][2]
    return data[:pos] + segment + data[pos:]


def jpeg_segment(marker: int, body: bytes) -> bytes:
    return bytes([0xFF, marker]) + struct.pack(">H", len(body) + 2) + body


def riff_chunks(data: bytes) -> list[tuple[bytes, int, int]]:
    chunks, pos = [], 12
    while pos + 8 <= len(data):
        (size,) = struct.unpack("<I", data[pos + 4 : pos + 8])
        end = pos + 8 + size + (size & 1)
        chunks.append((data[pos : pos + 4], pos, min(end, len(data))))
        pos = end
    return chunks


def riff(chunks: list[bytes]) -> bytes:
    body = b"WEBP" + b"".join(chunks)
    return b"RIFF" + struct.pack("<I", len(body)) + body


def encode(image: Image.Image, fmt: str, **options: Any) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


# -- sources --------------------------------------------------------------------------


@dataclass
class Source:
    name: str
    fmt: str  # PNG, JPEG, WEBP
    ext: str
    data: bytes


def make_sources(photos: Path, per_format: int, max_side: int, seed: int) -> list[Source]:
    """Downscaled shared photos, saved as PNG, JPEG and WebP in several flavours."""
    pngs = sorted(
        p
        for folder in ("kodak24", "bsds-cbsd68", "set5-set14")
        for p in (photos / folder).glob("*.png")
    )
    jpegs = sorted(
        p for p in (photos / "debian-wallpapers").rglob("*.jp*g") if p.stat().st_size < 8_000_000
    ) + sorted(
        p
        for p in (photos / "exif-samples" / "jpg").rglob("*.jp*g")
        if p.parent.name not in ("invalid", "tests")
    )
    rng = rng_for(seed, "sources")
    sources: list[Source] = []

    def shrink(path: Path) -> Image.Image:
        with Image.open(path) as image:
            image.draft("RGB", (max_side, max_side))
            exif = image.info.get("exif")
            out = image.convert("RGB")
        out.thumbnail((max_side, max_side))
        out.info["exif"] = exif
        return out

    for i, path in enumerate(rng.sample(pngs, min(per_format, len(pngs)))):
        image = shrink(path)
        flavour = ("RGB", "RGBA", "P", "L", "I;16")[i % 5]
        if flavour == "RGBA":
            image = image.convert("RGBA")
            image.putalpha(image.getchannel("G"))
        elif flavour == "P":
            image = image.convert("P", palette=Image.Palette.ADAPTIVE, colors=200)
        elif flavour == "L":
            image = image.convert("L")
        elif flavour == "I;16":
            image = image.convert("I").point(lambda v: v * 256).convert("I;16")
        sources.append(
            Source(f"{path.stem}-{flavour.replace(';', '')}", "PNG", ".png", encode(image, "PNG"))
        )
    for i, path in enumerate(rng.sample(jpegs, min(per_format, len(jpegs)))):
        image = shrink(path)
        options: dict[str, Any] = {"quality": 85 + i % 10, "progressive": i % 3 == 1}
        if i % 2 == 0 and image.info.get("exif"):
            options["exif"] = image.info["exif"]
        if i % 4 == 3:
            options["subsampling"] = 0
        sources.append(Source(path.stem, "JPEG", ".jpg", encode(image, "JPEG", **options)))
    for i, path in enumerate(rng.sample(pngs + jpegs, min(per_format, len(pngs + jpegs)))):
        image = shrink(path)
        if i % 3 == 2:
            data = encode(image, "WEBP", lossless=True)
        elif i % 3 == 1:
            image = image.convert("RGBA")
            image.putalpha(image.getchannel("R"))
            data = encode(image, "WEBP", quality=80)
        else:
            data = encode(image, "WEBP", quality=75 + i)
        sources.append(Source(f"{path.stem}-webp{i}", "WEBP", ".webp", data))
    return sources


# -- mutations ------------------------------------------------------------------------


Mutation = Callable[[bytes, random.Random], bytes | None]


def truncate_at(fraction: float) -> Mutation:
    return lambda data, rng: data[: max(1, int(len(data) * fraction))]


def flip_bits(count: int) -> Mutation:
    def mutate(data: bytes, rng: random.Random) -> bytes:
        out = bytearray(data)
        for _ in range(count):
            pos = rng.randrange(len(out))
            out[pos] ^= 1 << rng.randrange(8)
        return bytes(out)

    return mutate


def overwrite(region: str, length: int = 16) -> Mutation:
    def mutate(data: bytes, rng: random.Random) -> bytes:
        n = len(data)
        if region == "header":
            pos = rng.randrange(min(64, n))
        elif region == "middle":
            pos = rng.randrange(int(n * 0.4), int(n * 0.6) + 1)
        else:
            pos = rng.randrange(max(0, n - 64), n)
        out = bytearray(data)
        out[pos : pos + length] = rng.randbytes(min(length, n - pos))
        return bytes(out)

    return mutate


def zero_tail(fraction: float) -> Mutation:
    def mutate(data: bytes, rng: random.Random) -> bytes:
        keep = int(len(data) * (1 - fraction))
        return data[:keep] + bytes(len(data) - keep)

    return mutate


COMMON: dict[str, Mutation] = {
    "truncate-16b": lambda data, rng: data[:16],
    "truncate-5pc": truncate_at(0.05),
    "truncate-25pc": truncate_at(0.25),
    "truncate-50pc": truncate_at(0.5),
    "truncate-90pc": truncate_at(0.9),
    "truncate-99pc": truncate_at(0.99),
    "truncate-last2": lambda data, rng: data[:-2],
    "bitflip-1a": flip_bits(1),
    "bitflip-1b": flip_bits(1),
    "bitflip-1c": flip_bits(1),
    "bitflip-1d": flip_bits(1),
    "bitflip-8": flip_bits(8),
    "bitflip-64": flip_bits(64),
    "bitflip-512": flip_bits(512),
    "overwrite-header-a": overwrite("header"),
    "overwrite-header-b": overwrite("header", 4),
    "overwrite-middle-a": overwrite("middle"),
    "overwrite-middle-b": overwrite("middle", 256),
    "overwrite-end-a": overwrite("end"),
    "overwrite-end-b": overwrite("end", 4),
    "zero-tail-5pc": zero_tail(0.05),
    "zero-tail-30pc": zero_tail(0.3),
    "trailing-zeros-64k": lambda data, rng: data + bytes(65536),
}


def png_structure(data: bytes) -> dict[str, bytes | None]:
    chunks = png_chunks(data)

    def without(pred: Callable[[bytes, int], bool]) -> bytes:
        return data[:8] + b"".join(
            data[s:e] for i, (k, s, e) in enumerate(chunks) if not pred(k, i)
        )

    def first(kind: bytes) -> tuple[int, int] | None:
        return next(((s, e) for k, s, e in chunks if k == kind), None)

    idat, ihdr, iend = first(b"IDAT"), first(b"IHDR"), first(b"IEND")
    assert idat and ihdr and iend
    idat_index = next(i for i, (k, _, _) in enumerate(chunks) if k == b"IDAT")
    huge_len = bytearray(data)
    huge_len[idat[0] : idat[0] + 4] = b"\x7f\xff\xff\xff"
    return {
        "png-drop-IHDR": without(lambda k, i: k == b"IHDR"),
        "png-drop-first-IDAT": without(lambda k, i: i == idat_index),
        "png-drop-all-IDAT": without(lambda k, i: k == b"IDAT"),
        "png-drop-IEND": without(lambda k, i: k == b"IEND"),
        "png-drop-PLTE": without(lambda k, i: k == b"PLTE") if first(b"PLTE") else None,
        "png-dup-IHDR": data[: ihdr[1]] + data[ihdr[0] : ihdr[1]] + data[ihdr[1] :],
        "png-dup-first-IDAT": data[: idat[1]] + data[idat[0] : idat[1]] + data[idat[1] :],
        "png-data-after-IEND": data + png_chunk(b"IDAT", data[idat[0] + 8 : idat[1] - 4]),
        "png-IDAT-length-huge": bytes(huge_len),
        "png-unknown-critical-chunk": png_insert(data, png_chunk(b"ABCD", b"x" * 20)),
    }


def jpeg_structure(data: bytes) -> dict[str, bytes | None]:
    segments = jpeg_segments(data)

    def without(marker: int) -> bytes | None:
        spans = [(s, e) for m, s, e in segments if m == marker]
        if not spans:
            return None
        out = data
        for s, e in reversed(spans):
            out = out[:s] + out[e:]
        return out

    sof = next((s, e) for m, s, e in segments if m in (0xC0, 0xC1, 0xC2))
    sos = next((s, e) for m, s, e in segments if m == 0xDA)
    bad_len = bytearray(data)
    bad_len[sof[0] + 2 : sof[0] + 4] = b"\xff\xff"
    short_len = bytearray(data)
    short_len[sof[0] + 2 : sof[0] + 4] = b"\x00\x02"
    zero_comp = bytearray(data)
    zero_comp[sof[0] + 9] = 0  # number of components
    return {
        "jpeg-drop-SOI": data[2:],
        "jpeg-drop-EOI": data[:-2] if data.endswith(b"\xff\xd9") else data[:-1],
        "jpeg-drop-DQT": without(0xDB),
        "jpeg-drop-DHT": without(0xC4),
        "jpeg-drop-SOF": data[: sof[0]] + data[sof[1] :],
        "jpeg-drop-SOS-header": data[: sos[0]] + data[sos[1] :],
        "jpeg-drop-APP": without(0xE0) or without(0xE1),
        "jpeg-dup-SOF": data[: sof[1]] + data[sof[0] : sof[1]] + data[sof[1] :],
        "jpeg-dup-scan": data[:-2] + data[sos[0] :],
        "jpeg-SOF-length-65535": bytes(bad_len),
        "jpeg-SOF-length-2": bytes(short_len),
        "jpeg-SOF-zero-components": bytes(zero_comp),
    }


def webp_structure(data: bytes) -> dict[str, bytes | None]:
    chunks = riff_chunks(data)
    parts = [data[s:e] for _, s, e in chunks]
    image_i = next(i for i, (k, _, _) in enumerate(chunks) if k in (b"VP8 ", b"VP8L"))
    image = parts[image_i]
    huge_chunk = image[:4] + b"\xf0\xff\xff\x7f" + image[8:]
    canvas = b"VP8X" + struct.pack("<I", 10) + b"\x00\x00\x00\x00" + b"\xff\xff\xff" * 2
    return {
        "webp-RIFF-size-huge": data[:4] + b"\xff\xff\xff\x7f" + data[8:],
        "webp-RIFF-size-small": data[:4] + struct.pack("<I", 12) + data[8:],
        "webp-drop-image-chunk": riff(parts[:image_i] + parts[image_i + 1 :]),
        "webp-dup-image-chunk": riff([*parts, image]),
        "webp-image-chunk-size-huge": riff([*parts[:image_i], huge_chunk, *parts[image_i + 1 :]]),
        "webp-VP8X-canvas-16M": riff([canvas, *[p for p in parts if p[:4] != b"VP8X"]]),
        "webp-bogus-ALPH": riff(
            [
                *parts[:image_i],
                b"ALPH" + struct.pack("<I", 6) + b"\x03" + b"\xff" * 5,
                *parts[image_i:],
            ]
        ),
    }


STRUCTURE = {"PNG": png_structure, "JPEG": jpeg_structure, "WEBP": webp_structure}


def mutated_sources(sources: list[Source], seed: int) -> Iterator[Entry]:
    for source in sources:
        folder = source.fmt.lower()
        yield Entry(f"{folder}/{source.name}--clean{source.ext}", f"{folder}/clean", source.data)
        for label, mutate in COMMON.items():
            out = mutate(source.data, rng_for(seed, source.name, label))
            if out is not None:
                yield Entry(
                    f"{folder}/{source.name}--{label}{source.ext}",
                    f"{folder}/{re.sub(r'-[abcd]$', '', label)}",
                    out,
                )
        for label, out in STRUCTURE[source.fmt](source.data).items():
            if out is not None:
                yield Entry(
                    f"{folder}/{source.name}--{label}{source.ext}", f"{folder}/{label}", out
                )


def wrong_extensions(sources: list[Source]) -> Iterator[Entry]:
    others = {
        "PNG": (".jpg", ".webp", ".gif", ".txt"),
        "JPEG": (".png", ".tif", ".bmp", ".heic"),
        "WEBP": (".jpg", ".png", ".avif", ".dat"),
    }
    seen: Counter[str] = Counter()
    for source in sources:
        if seen[source.fmt] >= 3:
            continue
        seen[source.fmt] += 1
        for ext in others[source.fmt]:
            yield Entry(
                f"misc/{source.name}--named{ext}", f"wrong-ext/{source.fmt}-as{ext}", source.data
            )


def tiny_files() -> Iterator[Entry]:
    yield Entry("misc/empty.jpg", "tiny/empty", b"")
    yield Entry("misc/empty.png", "tiny/empty", b"")
    yield Entry("misc/one-byte.png", "tiny/1-byte", b"\x89")
    yield Entry("misc/one-byte.jpg", "tiny/1-byte", b"\xff")
    yield Entry("misc/text.png", "tiny/text", b"This is not an image.\n" * 20)
    yield Entry("misc/html.jpg", "tiny/text", b"<html><body>not a picture</body></html>\n")
    yield Entry("misc/random.webp", "tiny/random", random.Random(1).randbytes(4096))
    yield Entry("misc/zeros.tif", "tiny/zeros", bytes(1 << 20))
    yield Entry("misc/magic-only.png", "tiny/magic-only", b"\x89PNG\r\n\x1a\n")
    yield Entry("misc/magic-only.jpg", "tiny/magic-only", b"\xff\xd8\xff")
    yield Entry("misc/magic-only.webp", "tiny/magic-only", b"RIFF\x04\x00\x00\x00WEBP")
    yield Entry("misc/magic-only.gif", "tiny/magic-only", b"GIF89a")
    yield Entry("misc/magic-only.bmp", "tiny/magic-only", b"BM")
    yield Entry("misc/magic-only.tif", "tiny/magic-only", b"II*\x00")
    yield Entry(
        "misc/heif-brand-only.heic",
        "tiny/magic-only",
        b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic",
    )


def small_image(seed: int, size: tuple[int, int] = (64, 48)) -> Image.Image:
    rng = random.Random(seed)
    image = Image.new("RGB", size)
    image.putdata(
        [(rng.randrange(256), x % 256, y % 256) for y in range(size[1]) for x in range(size[0])]
    )
    return image


def bombs(base_jpeg: bytes) -> Iterator[Entry]:
    ihdr = png_chunk(b"IHDR", struct.pack(">IIBBBBB", 30000, 30000, 8, 2, 0, 0, 0))
    tiny = png_chunk(b"IDAT", zlib.compress(bytes(90001 * 4), 9))
    yield Entry(
        "bombs/png-30000x30000.png",
        "bomb/png-30000x30000-tiny-IDAT",
        b"\x89PNG\r\n\x1a\n" + ihdr + tiny + png_chunk(b"IEND", b""),
    )
    # A valid 9000x9000 grayscale PNG of zeros: 81 MP, under the default 100 MP limit.
    side = 9000
    packer = zlib.compressobj(9)
    row = bytes(side + 1)
    body = b"".join(packer.compress(row) for _ in range(side)) + packer.flush()
    yield Entry(
        "bombs/png-9000x9000-valid-zeros.png",
        "bomb/png-81MP-valid",
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0))
        + png_chunk(b"IDAT", body)
        + png_chunk(b"IEND", b""),
    )
    sof = next(s for m, s, _ in jpeg_segments(base_jpeg) if m in (0xC0, 0xC1, 0xC2))
    for w, h, label in ((65500, 65500, "4GP"), (20000, 20000, "400MP"), (9000, 9000, "81MP")):
        out = bytearray(base_jpeg)
        out[sof + 5 : sof + 9] = struct.pack(">HH", h, w)
        yield Entry(f"bombs/jpeg-declares-{w}x{h}.jpg", f"bomb/jpeg-declares-{label}", bytes(out))
    vp8x = b"VP8X" + struct.pack("<I", 10) + b"\x00" * 4 + (16383).to_bytes(3, "little") * 2
    webp = encode(small_image(3), "WEBP")
    yield Entry(
        "bombs/webp-canvas-16384.webp",
        "bomb/webp-declares-268MP",
        riff([vp8x, *[webp[s:e] for _, s, e in riff_chunks(webp)]]),
    )
    bmp = bytearray(encode(small_image(4), "BMP"))
    bmp[18:26] = struct.pack("<ii", 50000, 50000)
    yield Entry("bombs/bmp-declares-50000x50000.bmp", "bomb/bmp-declares-2.5GP", bytes(bmp))
    bmp[18:26] = struct.pack("<ii", 30000, 3000)
    yield Entry("bombs/bmp-declares-30000x3000.bmp", "bomb/bmp-declares-90MP-no-data", bytes(bmp))
    gif = bytearray(encode(small_image(5), "GIF"))
    gif[6:10] = struct.pack("<HH", 65535, 65535)
    yield Entry("bombs/gif-screen-65535.gif", "bomb/gif-screen-4GP", bytes(gif))


def gif_descriptor(gif: bytes) -> int:
    """Offset of the first image descriptor (``,``) of a GIF."""
    pos = 13 + (3 << ((gif[10] & 7) + 1) if gif[10] & 0x80 else 0)
    while gif[pos] == 0x21:  # extension: label, then sub-blocks up to a zero length
        pos += 2
        while gif[pos]:
            pos += gif[pos] + 1
        pos += 1
    assert gif[pos] == 0x2C
    return pos


def odd_formats(seed: int) -> Iterator[Entry]:
    # GIF
    gif = encode(small_image(seed), "GIF")
    yield Entry("odd/gif-truncated.gif", "gif/truncated", gif[: len(gif) // 2])
    pos = gif_descriptor(gif)
    bad_lzw = bytearray(gif)
    bad_lzw[pos + 10] = 0x0F  # LZW minimum code size out of range
    yield Entry("odd/gif-bad-lzw-size.gif", "gif/bad-lzw-code-size", bytes(bad_lzw))
    zero = bytearray(gif)
    zero[pos + 5 : pos + 9] = b"\x00\x00\x00\x00"
    yield Entry("odd/gif-zero-frame.gif", "gif/zero-size-frame", bytes(zero))
    frames = [small_image(seed + i, (32, 32)).convert("P") for i in range(120)]
    yield Entry(
        "odd/gif-120-frames.gif",
        "gif/animated",
        encode(frames[0], "GIF", save_all=True, append_images=frames[1:]),
    )
    garbage = bytearray(gif)
    garbage[pos + 11 : pos + 60] = random.Random(seed).randbytes(49)
    yield Entry("odd/gif-lzw-garbage.gif", "gif/lzw-garbage", bytes(garbage))
    # TIFF (grayscale, uncompressed: every field inline)
    tif = encode(small_image(seed + 1).convert("L"), "TIFF")
    (ifd,) = struct.unpack("<I", tif[4:8])
    (count,) = struct.unpack("<H", tif[ifd : ifd + 2])

    def patched(tag: int, value: int, *, also: int | None = None) -> bytes:
        out = bytearray(tif)
        for i in range(count):
            at = ifd + 2 + 12 * i
            if struct.unpack("<H", out[at : at + 2])[0] in (tag, also):
                kind = struct.unpack("<H", out[at + 2 : at + 4])[0]
                out[at + 8 : at + 12] = (
                    struct.pack("<HH", value, 0) if kind == 3 else struct.pack("<I", value)
                )
        return bytes(out)

    yield Entry(
        "odd/tiff-ifd-offset-beyond.tif",
        "tiff/ifd-offset-beyond-eof",
        tif[:4] + b"\xf0\xff\xff\x00" + tif[8:],
    )
    loop = bytearray(tif)
    loop[ifd + 2 + 12 * count : ifd + 6 + 12 * count] = struct.pack("<I", ifd)
    yield Entry("odd/tiff-ifd-loop.tif", "tiff/ifd-loop", bytes(loop))
    yield Entry("odd/tiff-huge-dims.tif", "tiff/declares-huge", patched(256, 60000, also=257))
    yield Entry(
        "odd/tiff-strip-beyond.tif", "tiff/strip-offset-beyond-eof", patched(273, 0x0FFFFFFF)
    )
    yield Entry("odd/tiff-bits-0.tif", "tiff/bits-per-sample-0", patched(258, 0))
    yield Entry("odd/tiff-compression-unknown.tif", "tiff/unknown-compression", patched(259, 12345))
    yield Entry("odd/tiff-truncated.tif", "tiff/truncated", tif[: len(tif) // 3])
    lzw = encode(small_image(seed + 2), "TIFF", compression="tiff_lzw")
    yield Entry(
        "odd/tiff-lzw-bitflips.tif",
        "tiff/lzw-bitflips",
        flip_bits(40)(lzw, rng_for(seed, "tiff-lzw")),
    )
    # BMP
    bmp = encode(small_image(seed + 3), "BMP")

    def bmp_patch(offset: int, fmt: str, value: int) -> bytes:
        out = bytearray(bmp)
        struct.pack_into(fmt, out, offset, value)
        return bytes(out)

    yield Entry("odd/bmp-bpp-0.bmp", "bmp/bits-per-pixel-0", bmp_patch(28, "<H", 0))
    yield Entry("odd/bmp-bpp-7.bmp", "bmp/bits-per-pixel-7", bmp_patch(28, "<H", 7))
    yield Entry("odd/bmp-compression-99.bmp", "bmp/unknown-compression", bmp_patch(30, "<I", 99))
    yield Entry("odd/bmp-negative-width.bmp", "bmp/negative-width", bmp_patch(18, "<i", -64))
    yield Entry("odd/bmp-top-down.bmp", "bmp/top-down", bmp_patch(22, "<i", -48))
    yield Entry(
        "odd/bmp-offset-beyond.bmp", "bmp/data-offset-beyond-eof", bmp_patch(10, "<I", 0x00FFFFFF)
    )
    yield Entry("odd/bmp-truncated.bmp", "bmp/truncated", bmp[: len(bmp) // 2])
    rle = encode(small_image(seed + 4).convert("P"), "BMP")
    yield Entry(
        "odd/bmp-rle8-garbage.bmp",
        "bmp/rle8-garbage",
        rle[:30] + struct.pack("<I", 1) + rle[34 : 54 + 1024] + random.Random(seed).randbytes(3000),
    )
    # degenerate shapes and modes that decode fine
    yield Entry("odd/png-1x1.png", "shape/1x1", encode(small_image(seed, (1, 1)), "PNG"))
    yield Entry("odd/png-1x4000.png", "shape/1x4000", encode(small_image(seed, (1, 4000)), "PNG"))
    yield Entry("odd/jpeg-4000x1.jpg", "shape/4000x1", encode(small_image(seed, (4000, 1)), "JPEG"))
    yield Entry("odd/jpeg-7x7.jpg", "shape/7x7", encode(small_image(seed, (7, 7)), "JPEG"))
    cmyk = small_image(seed + 5).convert("CMYK")
    yield Entry("odd/jpeg-cmyk.jpg", "mode/cmyk-jpeg", encode(cmyk, "JPEG"))
    yield Entry(
        "odd/jpeg-cmyk-garbage-icc.jpg",
        "icc/cmyk-jpeg-garbage-icc",
        encode(cmyk, "JPEG", icc_profile=random.Random(seed).randbytes(600)),
    )
    yield Entry("odd/tiff-cmyk.tif", "mode/cmyk-tiff", encode(cmyk, "TIFF"))
    palette = small_image(seed + 6).convert("P", palette=Image.Palette.ADAPTIVE, colors=255)
    png = encode(palette, "PNG")
    plte = next((s, e) for k, s, e in png_chunks(png) if k == b"PLTE")
    yield Entry(
        "odd/png-short-palette.png",
        "png/palette-shorter-than-indices",
        png[: plte[0]] + png_chunk(b"PLTE", b"\x00\x00\x00" * 2) + png[plte[1] :],
    )
    yield Entry(
        "odd/png-bad-tRNS.png",
        "png/tRNS-too-long",
        png_insert(png, png_chunk(b"tRNS", b"\x80" * 600)),
    )


# -- metadata -------------------------------------------------------------------------


def tiff_block(
    entries: list[tuple[int, int, int, bytes]], next_ifd: int = 0, extra: bytes = b""
) -> bytes:
    """A big-endian TIFF header and IFD0 at offset 8; values are given as 4 raw bytes."""
    ifd = (
        struct.pack(">H", len(entries))
        + b"".join(
            struct.pack(">HHI", tag, kind, count) + value for tag, kind, count, value in entries
        )
        + struct.pack(">I", next_ifd)
    )
    return b"MM\x00*" + struct.pack(">I", 8) + ifd + extra


def exif_segment(tiff: bytes) -> bytes:
    return jpeg_segment(0xE1, b"Exif\x00\x00" + tiff)


def long_(value: int) -> bytes:
    return struct.pack(">I", value)


def short_(value: int) -> bytes:
    return struct.pack(">HH", value, 0)


def exif_variants(seed: int) -> dict[str, bytes]:
    rng = rng_for(seed, "exif")
    after_ifd1 = 8 + 2 + 12 * 1 + 4  # end of a one-entry IFD0
    after_ifd2 = 8 + 2 + 12 * 2 + 4
    rationals = struct.pack(">6I", 0, 0, 1, 0, 0, 0)
    gps_ifd = (
        struct.pack(">H", 2)
        + struct.pack(">HHI", 1, 2, 2)
        + b"N\x00\x00\x00"
        + struct.pack(">HHI", 2, 5, 3)
        + long_(after_ifd1 + 30)
        + long_(0)
    )
    thumb_ifd = (
        struct.pack(">H", 2)
        + struct.pack(">HHI", 0x201, 4, 1)
        + long_(after_ifd1 + 30)
        + struct.pack(">HHI", 0x202, 4, 1)
        + long_(500)
        + long_(0)
    )
    return {
        "garbage": b"Exif\x00\x00" + rng.randbytes(2000),
        "ifd0-offset-beyond": b"MM\x00*" + long_(0xFFFFFFF0),
        "ifd-loop": tiff_block([(0x112, 3, 1, short_(1))], next_ifd=8),
        "exif-ifd-points-to-itself": tiff_block([(0x8769, 4, 1, long_(8))]),
        "huge-count": tiff_block([(0x10F, 2, 0x7FFFFFFF, long_(26))]),
        "entry-count-65535": b"MM\x00*" + long_(8) + b"\xff\xff" + rng.randbytes(300),
        "orientation-9": tiff_block([(0x112, 3, 1, short_(9))]),
        "orientation-65535": tiff_block([(0x112, 3, 1, short_(65535))]),
        "orientation-as-text": tiff_block([(0x112, 2, 4, b"six\x00")]),
        "gps-zero-denominators": tiff_block(
            [(0x8825, 4, 1, long_(after_ifd1))], extra=gps_ifd + rationals
        ),
        "thumbnail-garbage": tiff_block(
            [(0x112, 3, 1, short_(1))],
            next_ifd=after_ifd1,
            extra=thumb_ifd + b"\xff\xd8" + rng.randbytes(498),
        ),
        "thumbnail-beyond-eof": tiff_block(
            [(0x112, 3, 1, short_(1))],
            next_ifd=after_ifd1,
            extra=struct.pack(">H", 2)
            + struct.pack(">HHI", 0x201, 4, 1)
            + long_(0x7FFFFFFF)
            + struct.pack(">HHI", 0x202, 4, 1)
            + long_(0x7FFFFFFF)
            + long_(0),
        ),
        "dates-garbage": tiff_block(
            [(0x132, 2, 20, long_(after_ifd1))], extra=b"9999:99:99 99:\xff\xfe:99\x00"
        ),
        "canon-makernote-garbage": tiff_block(
            [(0x10F, 2, 4, b"Can\x00"), (0x927C, 7, 1000, long_(after_ifd2))],
            extra=rng.randbytes(1000),
        ),
        "rational-type-bogus": tiff_block([(0x11A, 99, 1, long_(0))]),
    }


def billion_laughs() -> bytes:
    entities = '<!ENTITY l0 "lol">' + "".join(
        f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10)
    )
    return (
        f'<?xml version="1.0"?><!DOCTYPE x [{entities}]>'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/">&l9;</x:xmpmeta>'
    ).encode()


def deep_xmp(depth: int = 20000) -> bytes:
    return (
        b'<x:xmpmeta xmlns:x="adobe:ns:meta/">' + b"<a>" * depth + b"</a>" * depth + b"</x:xmpmeta>"
    )


def metadata_entries(jpeg: bytes, png: bytes, seed: int) -> Iterator[Entry]:
    rng = rng_for(seed, "metadata")
    for label, block in exif_variants(seed).items():
        body = block if block.startswith(b"Exif") else b"Exif\x00\x00" + block
        yield Entry(
            f"meta/jpeg-exif-{label}.jpg",
            f"exif/{label}",
            jpeg_insert(jpeg, jpeg_segment(0xE1, body)),
        )
    yield Entry(
        "meta/png-eXIf-garbage.png",
        "exif/png-eXIf-garbage",
        png_insert(png, png_chunk(b"eXIf", rng.randbytes(500))),
    )
    yield Entry(
        "meta/png-eXIf-ifd-loop.png",
        "exif/png-eXIf-ifd-loop",
        png_insert(png, png_chunk(b"eXIf", exif_variants(seed)["ifd-loop"])),
    )
    image = small_image(seed + 7)
    yield Entry(
        "meta/webp-exif-garbage.webp",
        "exif/webp-EXIF-garbage",
        encode(image, "WEBP", exif=b"Exif\x00\x00" + rng.randbytes(400)),
    )
    yield Entry(
        "meta/webp-icc-garbage.webp",
        "icc/webp-ICCP-garbage",
        encode(image, "WEBP", icc_profile=rng.randbytes(400)),
    )
    yield Entry(
        "meta/webp-xmp-billion-laughs.webp",
        "xmp/webp-billion-laughs",
        encode(image, "WEBP", xmp=billion_laughs()),
    )
    # ICC
    icc_header = struct.pack(">I", 3000) + rng.randbytes(124)
    yield Entry(
        "meta/jpeg-icc-garbage.jpg",
        "icc/jpeg-garbage",
        jpeg_insert(jpeg, jpeg_segment(0xE2, b"ICC_PROFILE\x00\x01\x01" + rng.randbytes(800))),
    )
    yield Entry(
        "meta/jpeg-icc-chunk-2-of-3.jpg",
        "icc/jpeg-missing-chunks",
        jpeg_insert(jpeg, jpeg_segment(0xE2, b"ICC_PROFILE\x00\x02\x03" + rng.randbytes(800))),
    )
    yield Entry(
        "meta/jpeg-icc-truncated-header.jpg",
        "icc/jpeg-declares-more-than-present",
        jpeg_insert(jpeg, jpeg_segment(0xE2, b"ICC_PROFILE\x00\x01\x01" + icc_header)),
    )
    yield Entry(
        "meta/png-iCCP-garbage.png",
        "icc/png-iCCP-garbage-profile",
        png_insert(png, png_chunk(b"iCCP", b"x\x00\x00" + zlib.compress(rng.randbytes(700)))),
    )
    yield Entry(
        "meta/png-iCCP-not-zlib.png",
        "icc/png-iCCP-bad-zlib",
        png_insert(png, png_chunk(b"iCCP", b"x\x00\x00" + rng.randbytes(300))),
    )
    yield Entry(
        "meta/png-iCCP-zlib-bomb.png",
        "icc/png-iCCP-zlib-bomb",
        png_insert(png, png_chunk(b"iCCP", b"x\x00\x00" + zlib.compress(bytes(50 << 20), 9))),
    )
    # XMP, IPTC, C2PA, comments
    xmp_id = b"http://ns.adobe.com/xap/1.0/\x00"
    yield Entry(
        "meta/jpeg-xmp-billion-laughs.jpg",
        "xmp/jpeg-billion-laughs",
        jpeg_insert(jpeg, jpeg_segment(0xE1, xmp_id + billion_laughs())),
    )
    yield Entry(
        "meta/jpeg-xmp-deep-nesting.jpg",
        "xmp/jpeg-deep-nesting",
        jpeg_insert(jpeg, jpeg_segment(0xE1, xmp_id + deep_xmp(7000))),
    )
    yield Entry(
        "meta/jpeg-xmp-not-xml.jpg",
        "xmp/jpeg-not-xml",
        jpeg_insert(jpeg, jpeg_segment(0xE1, xmp_id + rng.randbytes(900))),
    )
    itxt = b"XML:com.adobe.xmp\x00\x00\x00\x00\x00"
    yield Entry(
        "meta/png-xmp-billion-laughs.png",
        "xmp/png-billion-laughs",
        png_insert(png, png_chunk(b"iTXt", itxt + billion_laughs())),
    )
    yield Entry(
        "meta/png-xmp-deep-nesting.png",
        "xmp/png-deep-nesting",
        png_insert(png, png_chunk(b"iTXt", itxt + deep_xmp())),
    )
    yield Entry(
        "meta/jpeg-iptc-garbage.jpg",
        "iptc/jpeg-APP13-garbage",
        jpeg_insert(
            jpeg,
            jpeg_segment(
                0xED,
                b"Photoshop 3.0\x008BIM\x04\x04\x00\x00" + b"\xff\xff\xff\xf0" + rng.randbytes(600),
            ),
        ),
    )
    yield Entry(
        "meta/jpeg-c2pa-garbage.jpg",
        "c2pa/jpeg-APP11-garbage",
        jpeg_insert(
            jpeg,
            jpeg_segment(
                0xEB, b"JP\x00\x00\x00\x00\x00\x01" + b"\x00\x00\x10\x00jumb" + rng.randbytes(900)
            ),
        ),
    )
    yield Entry(
        "meta/png-caBX-garbage.png",
        "c2pa/png-caBX-garbage",
        png_insert(png, png_chunk(b"caBX", b"\x00\x00\x10\x00jumb" + rng.randbytes(900))),
    )
    yield Entry(
        "meta/jpeg-com-65533.jpg",
        "jpeg/COM-65533-bytes",
        jpeg_insert(jpeg, jpeg_segment(0xFE, b"A" * 65533)),
    )
    yield Entry(
        "meta/jpeg-500-APP15.jpg",
        "jpeg/500-APP-segments",
        jpeg_insert(jpeg, jpeg_segment(0xEF, b"x" * 40) * 500),
    )
    # PNG text
    yield Entry(
        "meta/png-tEXt-4MB.png",
        "text/png-tEXt-4MB",
        png_insert(png, png_chunk(b"tEXt", b"Comment\x00" + b"A" * (4 << 20))),
    )
    yield Entry(
        "meta/png-parameters-1MB.png",
        "text/png-a1111-parameters-1MB",
        png_insert(png, png_chunk(b"tEXt", b"parameters\x00" + b"Steps: 20, " * 100000)),
    )
    yield Entry(
        "meta/png-zTXt-bomb.png",
        "text/png-zTXt-bomb",
        png_insert(
            png, png_chunk(b"zTXt", b"Comment\x00\x00" + zlib.compress(b"a" * (100 << 20), 9))
        ),
    )
    yield Entry(
        "meta/png-iTXt-bomb.png",
        "text/png-iTXt-compressed-bomb",
        png_insert(
            png,
            png_chunk(
                b"iTXt", b"prompt\x00\x01\x00\x00\x00" + zlib.compress(b"a" * (100 << 20), 9)
            ),
        ),
    )
    yield Entry(
        "meta/png-5000-tEXt.png",
        "text/png-5000-tEXt-chunks",
        png_insert(png, b"".join(png_chunk(b"tEXt", b"k%d\x00v" % i) for i in range(5000))),
    )
    yield Entry(
        "meta/png-tEXt-no-separator.png",
        "text/png-tEXt-no-separator",
        png_insert(png, png_chunk(b"tEXt", rng.randbytes(200).replace(b"\x00", b"."))),
    )
    yield Entry(
        "meta/png-iTXt-bad-utf8.png",
        "text/png-iTXt-bad-utf8",
        png_insert(png, png_chunk(b"iTXt", b"Title\x00\x00\x00en\x00\x00" + b"\xff\xfe\xc3")),
    )


def shared_malformed(photos: Path, base_jpeg: bytes) -> Iterator[Entry]:
    """The shared photos' malformed samples as they are, and their APP1 in a clean JPEG."""
    folder = photos / "exif-samples" / "jpg"
    for path in sorted([*(folder / "invalid").glob("*.jp*g"), *(folder / "tests").glob("*.jp*g")]):
        data = path.read_bytes()
        stem = f"{path.parent.name}-{path.stem}"
        yield Entry(f"shared/{stem}{path.suffix}", f"shared-malformed/{path.parent.name}", data)
        app1 = [data[s:e] for m, s, e in jpeg_segments(data) if m == 0xE1]
        if app1:
            yield Entry(
                f"shared/{stem}--app1-in-clean.jpg",
                f"exif/transplant-{path.parent.name}",
                jpeg_insert(base_jpeg, app1[0]),
            )


def special_entries() -> Iterator[Entry]:
    yield Entry("special/x.jpg", f"{SPECIAL}/fifo", special="fifo")
    yield Entry("special/z.png", f"{SPECIAL}/link-to-dev-zero", special="link", target="/dev/zero")
    yield Entry("special/n.jpg", f"{SPECIAL}/link-to-dev-null", special="link", target="/dev/null")
    yield Entry("special/d.jpg", f"{SPECIAL}/directory", special="dir")
    yield Entry(
        "special/b.png", f"{SPECIAL}/broken-link", special="link", target="does-not-exist.png"
    )
    yield Entry("special/loop.png", f"{SPECIAL}/link-loop", special="link", target="loop.png")
    yield Entry("special/s.png", f"{SPECIAL}/socket", special="socket")


# -- oracle ---------------------------------------------------------------------------


class OracleTimeoutError(Exception):
    pass


def oracle(data: bytes) -> list[str]:
    """Why the independent decoders call this file damaged; empty when they do not."""
    reasons: list[str] = []
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with Image.open(io.BytesIO(data)) as image:
                image.verify()
    except Exception as exc:
        reasons.append(f"verify raised {type(exc).__name__}: {exc}"[:300])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            with Image.open(io.BytesIO(data)) as image:
                if not any(issubclass(w.category, Image.DecompressionBombWarning) for w in caught):
                    image.load()
        except Exception as exc:
            reasons.append(f"load raised {type(exc).__name__}: {exc}"[:300])
    reasons.extend(f"load warned {w.category.__name__}: {w.message}"[:300] for w in caught)
    if data.startswith(b"\xff\xd8"):
        import simplejpeg

        try:
            height, width, space, _ = simplejpeg.decode_jpeg_header(data)
            target = {"CMYK": "CMYK", "YCCK": "CMYK", "Gray": "GRAY"}.get(space, "RGB")
            limit = Image.MAX_IMAGE_PIXELS or 0
            if width * height > limit:  # simplejpeg has no limit of its own
                reasons.append(f"simplejpeg not run: {width}x{height} is above {limit} pixels")
            else:
                simplejpeg.decode_jpeg(data, colorspace=target, strict=True)
        except Exception as exc:
            reasons.append(f"simplejpeg strict raised {type(exc).__name__}: {exc}"[:300])
    return reasons


def judge(data: bytes, timeout_s: int = 60) -> list[str]:
    def expire(signum: int, frame: object) -> None:
        raise OracleTimeoutError

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(timeout_s)
    try:
        return oracle(data)
    except OracleTimeoutError:
        return [f"oracle timed out after {timeout_s} s"]
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


# -- make -----------------------------------------------------------------------------


def select(entries: list[Entry], limit: int | None, seed: int) -> list[Entry]:
    """All entries, or ``limit`` of them keeping one of each kind first (specials always)."""
    if limit is None or limit >= len(entries):
        return entries
    by_kind: dict[str, list[Entry]] = defaultdict(list)
    for entry in entries:
        by_kind[entry.kind].append(entry)
    chosen = [e for e in entries if e.special]
    rng = rng_for(seed, "limit")
    pools = [rng.sample(group, len(group)) for group in by_kind.values()]
    depth = 0
    while len(chosen) < limit and any(depth < len(p) for p in pools):
        for pool in pools:
            if depth < len(pool) and not pool[depth].special and len(chosen) < limit:
                chosen.append(pool[depth])
        depth += 1
    return sorted(chosen, key=lambda e: e.name)


def write_special(path: Path, entry: Entry) -> None:
    if entry.special == "fifo":
        os.mkfifo(path)
    elif entry.special == "link":
        os.symlink(entry.target or "", path)
    elif entry.special == "dir":
        path.mkdir()
    elif entry.special == "socket":
        with socket.socket(socket.AF_UNIX) as sock:
            sock.bind(str(path))


def make(args: argparse.Namespace) -> None:
    out: Path = args.out
    corpus, sources_dir = out / "corpus", out / "sources"
    for folder in (corpus, sources_dir):
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
    started = time.perf_counter()
    sources = make_sources(args.photos, args.sources_per_format, args.max_side, args.seed)
    for source in sources:
        (sources_dir / f"{source.name}{source.ext}").write_bytes(source.data)
    base_jpeg = next(s.data for s in sources if s.fmt == "JPEG")
    base_png = next(s.data for s in sources if s.fmt == "PNG")
    entries = [
        *mutated_sources(sources, args.seed),
        *wrong_extensions(sources),
        *tiny_files(),
        *bombs(base_jpeg),
        *odd_formats(args.seed),
        *metadata_entries(base_jpeg, base_png, args.seed),
        *shared_malformed(args.photos, base_jpeg),
        *special_entries(),
    ]
    entries.append(
        Entry("special/u.jpg", f"{SPECIAL}/unreadable", data=base_jpeg, special="unreadable")
    )
    names = Counter(e.name for e in entries)
    assert not [n for n, c in names.items() if c > 1], "duplicate corpus names"
    entries = select(entries, args.limit, args.seed)
    manifest = []
    root = os.geteuid() == 0
    # The oracle decodes hostile files in this process: cap its address space, so that a
    # decoder without limits fails with MemoryError (a reason) instead of exhausting RAM.
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    cap = 4 << 30 if hard == resource.RLIM_INFINITY else min(4 << 30, hard)
    resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    for number, entry in enumerate(entries):
        path = corpus / entry.name
        path.parent.mkdir(parents=True, exist_ok=True)
        record: dict[str, Any] = {"path": entry.name, "kind": entry.kind}
        if entry.data is not None:
            path.write_bytes(entry.data)
            record["bytes"] = len(entry.data)
        if entry.special == "unreadable":
            path.chmod(0)
            if root:
                record["note"] = "running as root, which reads it despite mode 000"
                record["damage"] = judge(entry.data or b"")
            else:
                record["damage"] = ["not readable (mode 000): never opened by the oracle"]
        elif entry.special:
            write_special(path, entry)
            record["damage"] = [f"{entry.special}: not a readable regular file, never opened"]
        else:
            record["damage"] = judge(entry.data or b"")
        record["damaged"] = bool(record["damage"])
        manifest.append(record)
        if number % 100 == 0:
            print(f"  oracle {number}/{len(entries)}", file=sys.stderr)
    resource.setrlimit(resource.RLIMIT_AS, (soft, hard))
    (out / "manifest.json").write_text(
        json.dumps({"seed": args.seed, "max_side": args.max_side, "files": manifest}, indent=1)
    )
    damaged = sum(r["damaged"] for r in manifest)
    kinds = len({r["kind"] for r in manifest})
    print(
        f"corpus: {len(manifest)} files of {kinds} kinds ({damaged} damaged by the oracle), "
        f"{len(sources)} clean sources, {time.perf_counter() - started:.0f} s -> {corpus}"
    )


# -- run ------------------------------------------------------------------------------


def tree_memory_bytes(pid: int) -> tuple[int, int]:
    """RSS and PSS of a process and all its descendants, summed.

    Forked workers share the pages their parent had: the RSS sum counts those once per
    process (an upper bound), PSS splits them between the processes sharing them.
    """
    rss, pss, stack, page = 0, 0, [pid], os.sysconf("SC_PAGE_SIZE")
    while stack:
        current = stack.pop()
        try:
            with open(f"/proc/{current}/statm") as statm:
                rss += int(statm.read().split()[1]) * page
            with open(f"/proc/{current}/smaps_rollup") as rollup:
                pss += next(
                    (int(line.split()[1]) * 1024 for line in rollup if line.startswith("Pss:")), 0
                )
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children") as children:
                    stack.extend(int(c) for c in children.read().split())
        except (OSError, ValueError):
            continue
    return rss, pss


def run_command(
    argv: list[str],
    stdout: Path,
    stderr: Path,
    timeout_s: float,
    env: dict[str, str],
    cap_mb: float,
) -> dict[str, Any]:
    """Run one command under a wall-clock limit, polling the process tree's RSS.

    A tree above ``cap_mb`` is killed (the machine is shared): that counts as a failure.
    """
    started = time.perf_counter()
    with stdout.open("wb") as out, stderr.open("wb") as err:
        process = subprocess.Popen(
            argv,
            stdout=out,
            stderr=err,
            stdin=subprocess.DEVNULL,
            cwd=REPO,
            env=env,
            start_new_session=True,
        )
        peak = peak_pss = 0
        capped = False
        stop = threading.Event()

        def poll() -> None:
            nonlocal peak, peak_pss, capped
            while not stop.is_set():
                rss, pss = tree_memory_bytes(process.pid)
                peak, peak_pss = max(peak, rss), max(peak_pss, pss)
                if peak > cap_mb * 2**20 and not capped:
                    capped = True
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(process.pid, signal.SIGKILL)
                stop.wait(0.2)

        poller = threading.Thread(target=poll, daemon=True)
        poller.start()
        hang = False
        try:
            process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            hang = True
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        stop.set()
        poller.join()
    return {
        "returncode": process.returncode,
        "hang": hang,
        "peak_mb": peak / 2**20,
        "peak_pss_mb": peak_pss / 2**20,
        "killed_at_memory_cap": capped,
        "seconds": time.perf_counter() - started,
    }


def is_damaged_warning(text: object) -> bool:
    """A warning that keeps the row from passing as a clean image: ``damaged:``, or
    meta's ``pixels not decoded (...)`` for a file it read the metadata of only (a bomb
    the oracle could not decode either)."""
    return isinstance(text, str) and text.startswith(("damaged:", "pixels not decoded"))


def check(
    command: str, manifest: list[dict[str, Any]], corpus: Path, stdout: Path, stderr: Path
) -> dict[str, Any]:
    """Rows against inputs, tracebacks, error rows and the damage rule."""
    rows: dict[str, list[dict[str, Any]]] = defaultdict(list)
    bad_lines = 0
    for line in stdout.read_text(errors="replace").splitlines():
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            path = os.path.relpath(os.path.normpath(row["path"]), corpus)
        except (ValueError, KeyError, TypeError):
            bad_lines += 1
            continue
        rows[path].append(row)
    err = stderr.read_text(errors="replace")
    expected = {r["path"]: r for r in manifest}
    missing = [p for p in expected if p not in rows]
    duplicated = [p for p in expected if len(rows.get(p, [])) > 1]
    extra = [p for p in rows if p not in expected]
    violations, details = [], []
    error_rows = 0
    for path, record in expected.items():
        got = rows.get(path, [])
        row = got[0] if got else {}
        has_error = "error" in row
        error_rows += sum("error" in r for r in got)
        flagged = any(is_damaged_warning(w) for w in row.get("warnings") or [])
        detail = {
            "path": path,
            "kind": record["kind"],
            "damaged": record["damaged"],
            "rows": len(got),
            "error_type": row.get("error_type"),
            "damaged_warning": flagged,
        }
        if record["damaged"] and got and not has_error and not flagged:
            detail["violation"] = True
            violations.append(
                {
                    "path": path,
                    "kind": record["kind"],
                    "oracle": record["damage"][:2],
                    "warnings": (row.get("warnings") or [])[:3],
                }
            )
        details.append(detail)
    return {
        "inputs": len(expected),
        "rows": sum(len(v) for v in rows.values()),
        "bad_lines": bad_lines,
        "missing": missing[:20],
        "missing_count": len(missing),
        "duplicated": duplicated[:20],
        "extra": extra[:20],
        "error_rows": error_rows,
        "tracebacks": err.count("Traceback (most recent call last)"),
        "traceback_excerpt": _traceback_excerpt(err),
        "violations": len(violations),
        "violation_examples": violations[:10],
        "violation_kinds": dict(Counter(v["kind"] for v in violations).most_common()),
        "violation_row_warnings": dict(
            Counter(_warning_class(v["warnings"]) for v in violations).most_common()
        ),
        "other_stderr_lines": _other_stderr(err),
        "error_types": dict(Counter(d["error_type"] for d in details if d["error_type"])),
        "files": details,
    }


def _warning_class(warns: list[str]) -> str:
    """A violation's row warnings, reduced to their opening words (for counting)."""
    if not warns:
        return "no warning"
    return re.split(r"[:(]", warns[0], maxsplit=1)[0].strip()[:60]


def _other_stderr(err: str) -> list[str]:
    """Distinct stderr lines outside tracebacks (C libraries writing to stderr)."""
    if "Traceback (most recent call last)" in err:
        err = err.split("Traceback (most recent call last)")[0]
    return sorted({line.strip() for line in err.splitlines() if line.strip()})[:20]


def wait_for_memory(minimum_mb: float, patience_s: float = 1800) -> float:
    """Wait (up to ``patience_s``) until MemAvailable reaches ``minimum_mb``; return it."""
    deadline = time.monotonic() + patience_s
    while True:
        with open("/proc/meminfo") as meminfo:
            fields = dict(line.split(":", 1) for line in meminfo)
        available = int(fields["MemAvailable"].split()[0]) / 1024
        if available >= minimum_mb or time.monotonic() > deadline:
            return available
        time.sleep(10)


def _traceback_excerpt(err: str) -> list[str]:
    excerpts, start = [], 0
    while (at := err.find("Traceback (most recent call last)", start)) >= 0 and len(excerpts) < 5:
        block = err[at : at + 4000].split("\n\n")[0].splitlines()
        excerpts.append("\n".join(block[-6:]))
        start = at + 1
    return excerpts


def run(args: argparse.Namespace) -> None:
    out: Path = args.out.resolve()
    corpus, sources, work = out / "corpus", out / "sources", out / "work"
    manifest = json.loads((out / "manifest.json").read_text())["files"]
    work.mkdir(exist_ok=True)
    for db in work.glob("*.db*"):  # an index is a file and a folder beside it
        if db.is_dir():
            shutil.rmtree(db)
        else:
            db.unlink()
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO / "src"), env.get("PYTHONPATH", "")])
    env.pop("PIXELPROOF_WATERMARK_KEY", None)
    cli = [args.python, "-m", "pixelproof"]
    workers = ["--json", "--workers", str(args.workers)]
    clean_db, corpus_db = work / "clean.db", work / "corpus.db"
    commands = [c.strip() for c in args.commands.split(",")] if args.commands else COMMANDS
    if "match" in commands:
        setup = run_command(
            [*cli, "index", "add", "--db", str(clean_db), str(sources), *workers],
            work / "clean-index.jsonl",
            work / "clean-index.err",
            args.timeout,
            env,
            args.memory_cap_mb,
        )
        print(
            f"clean index: {len(list(sources.iterdir()))} sources, {setup['seconds']:.0f} s, "
            f"exit {setup['returncode']}",
            file=sys.stderr,
        )
    argv = {
        "scan": ["scan", str(corpus)],
        "forensics": ["forensics", str(corpus)],
        "meta": ["meta", str(corpus)],
        "watermark detect": ["watermark", "detect", str(corpus), "--key", "hostile-bench"],
        "index add": ["index", "add", "--db", str(corpus_db), str(corpus)],
        "match": ["match", "--db", str(clean_db), str(corpus)],
        "dedup": ["dedup", str(corpus)],
    }
    results = {}
    for command in commands:
        slug = command.replace(" ", "-")
        stdout, stderr = work / f"{slug}.jsonl", work / f"{slug}.err"
        available = wait_for_memory(args.wait_for_memory_mb)
        print(f"running {command} ({available:.0f} MB available) ...", file=sys.stderr)
        measured = run_command(
            [*cli, *argv[command], *workers], stdout, stderr, args.timeout, env, args.memory_cap_mb
        )
        measured["available_mb_at_start"] = available
        result = {**measured, **check(command, manifest, corpus, stdout, stderr)}
        results[command] = result
        print(
            f"  {command}: {result['rows']}/{result['inputs']} rows, "
            f"{result['tracebacks']} tracebacks, {result['violations']} violations, "
            f"{result['seconds']:.0f} s, {result['peak_mb']:.0f} MB",
            file=sys.stderr,
        )
    table = markdown(results, manifest, args)
    print(table)
    (out / "results.md").write_text(table)
    (out / "results.json").write_text(json.dumps(results, indent=1))


def markdown(
    results: dict[str, dict[str, Any]], manifest: list[dict[str, Any]], args: argparse.Namespace
) -> str:
    damaged = sum(r["damaged"] for r in manifest)
    lines = [
        f"Corpus: {len(manifest)} files, {len({r['kind'] for r in manifest})} kinds, "
        f"{damaged} damaged by the oracle; `--workers {args.workers}`, "
        f"limit {args.timeout:.0f} s per command.",
        "",
        "| command | inputs | rows | error rows | tracebacks | hang | peak MB "
        "| damaged-but-clean violations | seconds |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for command, r in results.items():
        rows = f"{r['rows']}"
        if r["missing_count"] or r["duplicated"] or r["extra"] or r["bad_lines"]:
            rows += (
                f" ({r['missing_count']} missing, {len(r['duplicated'])} duplicated, "
                f"{len(r['extra'])} extra, {r['bad_lines']} unparsable)"
            )
        killed = " (killed at the memory cap)" if r["killed_at_memory_cap"] else ""
        lines.append(
            f"| {command} | {r['inputs']} | {rows} | {r['error_rows']} | {r['tracebacks']} | "
            f"{'yes' if r['hang'] else 'no'} | {r['peak_mb']:.0f}{killed} | "
            f"{r['violations']} | "
            f"{r['seconds']:.0f} |"
        )
    for command, r in results.items():
        problems = []
        if r["missing"]:
            problems.append(f"missing rows: {', '.join(r['missing'][:10])}")
        if r["duplicated"]:
            problems.append(f"duplicated rows: {', '.join(r['duplicated'][:10])}")
        if r["extra"]:
            problems.append(f"rows for unknown paths: {', '.join(r['extra'][:10])}")
        problems.extend(f"traceback:\n```\n{t}\n```" for t in r["traceback_excerpt"])
        problems.extend(
            f"violation `{v['path']}` ({v['kind']}): oracle {v['oracle']}; warnings {v['warnings']}"
            for v in r["violation_examples"]
        )
        problems.append(
            f"peak memory {r['peak_mb']:.0f} MB as summed RSS, {r['peak_pss_mb']:.0f} MB as "
            "summed PSS (pages shared by the forked workers counted once)"
        )
        if r["violation_row_warnings"]:
            problems.append(f"violations by the row's first warning: {r['violation_row_warnings']}")
        if r["other_stderr_lines"]:
            shown = "; ".join(f"`{line[:120]}`" for line in r["other_stderr_lines"][:5])
            problems.append(f"other stderr lines ({len(r['other_stderr_lines'])}): {shown}")
        if r["returncode"] not in (0, 1):
            problems.append(f"exit status {r['returncode']}")
        if problems:
            lines += ["", f"**{command}**", "", *[f"- {p}" for p in problems]]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("step", choices=("make", "run", "all"))
    parser.add_argument("--out", type=Path, required=True, help="work folder (corpus, results)")
    parser.add_argument("--photos", type=Path, default=PHOTOS)
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument(
        "--limit",
        type=int,
        default=None,
        help="at most this many corpus files (every kind kept), for a quick run",
    )
    parser.add_argument("--sources-per-format", type=int, default=12)
    parser.add_argument("--max-side", type=int, default=384)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--timeout",
        type=float,
        default=2400.0,
        help="wall-clock limit per command, seconds (past it: a hang)",
    )
    parser.add_argument(
        "--commands", default=None, help=f"comma-separated subset of: {', '.join(COMMANDS)}"
    )
    parser.add_argument(
        "--memory-cap-mb",
        type=float,
        default=6000.0,
        help="kill a command whose process tree goes above this RSS (the machine is shared)",
    )
    parser.add_argument(
        "--wait-for-memory-mb",
        type=float,
        default=0.0,
        help="before each command, wait (up to 30 min) until this much memory is available",
    )
    parser.add_argument("--python", default=sys.executable)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    if args.step in ("make", "all"):
        make(args)
    if args.step in ("run", "all"):
        run(args)


if __name__ == "__main__":
    main()
