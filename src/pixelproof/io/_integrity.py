"""Integrity checks a format allows beyond what its decoder enforces.

PNG protects every chunk with a CRC-32 and the image data with zlib's Adler-32, but
Pillow checks neither while decoding the pixels: a PNG whose image data was damaged
decodes to black or garbage without a word. :func:`png_damage` walks the chunks,
verifies every CRC, and inflates the image data (in bounded pieces, never holding the
pixels) to check that the zlib stream is intact, complete and as long as the header
says, and that every row starts with a valid filter type.

JPEG and WebP carry no checksum over their pixels; for them the decoder's own
complaints (libjpeg's "corrupt data" warnings, libwebp errors) are the check, handled
in ``_load``.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterator

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

# Samples per pixel for each PNG colour type, and the bit depths each one allows.
_PNG_CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}
_PNG_DEPTHS = {
    0: (1, 2, 4, 8, 16),
    2: (8, 16),
    3: (1, 2, 4, 8),
    4: (8, 16),
    6: (8, 16),
}
# Adam7 passes: (x start, y start, x step, y step).
_ADAM7 = (
    (0, 0, 8, 8),
    (4, 0, 8, 8),
    (0, 4, 4, 8),
    (2, 0, 4, 4),
    (0, 2, 2, 4),
    (1, 0, 2, 2),
    (0, 1, 1, 2),
)
_INFLATE_STEP = 1 << 20  # bytes of inflated output at a time
_INPUT_STEP = 1 << 16  # compressed bytes fed at a time (zlib copies the unused rest)


def png_damage(data: bytes) -> str | None:
    """Describe the first integrity failure of a PNG file, or return None if it is intact.

    Checks the chunk structure (lengths within the file, valid chunk names, ``IHDR``
    first, consecutive ``IDAT`` chunks, an ``IEND``), the CRC of every chunk, critical
    or ancillary, and the zlib stream of the image data. Bytes after ``IEND`` and
    compressed bytes after the end of the zlib stream are ignored, as libpng does.
    """
    if not data.startswith(PNG_SIGNATURE):
        return "the PNG signature is damaged"
    view = memoryview(data)
    header: tuple[int, int, int, int, int] | None = None
    idat: list[memoryview] = []
    idat_state = "before"  # "before", "in", "after" the run of IDAT chunks
    pos = len(PNG_SIGNATURE)
    while True:
        if pos + 8 > len(data):
            return "the file is truncated: it ends before the IEND chunk"
        length, name = struct.unpack_from(">I4s", data, pos)
        label = name.decode("latin-1")
        if not name.isalpha() or not name.isascii():
            return f"the chunk structure is damaged at byte {pos} (invalid chunk name {name!r})"
        if length > 0x7FFFFFFF:
            return f"the {label} chunk at byte {pos} declares an invalid length"
        end = pos + 12 + length
        if end > len(data):
            return f"the file is truncated inside the {label} chunk at byte {pos}"
        (stored_crc,) = struct.unpack_from(">I", data, end - 4)
        if zlib.crc32(view[pos + 4 : end - 4]) != stored_crc:
            return f"the {label} chunk at byte {pos} fails its CRC check"
        if header is None:
            if name != b"IHDR" or length != 13:
                return f"the first chunk is {label}, not a valid IHDR"
            header = struct.unpack_from(">IIBBxxB", data, pos + 8)
            problem = _header_problem(*header)
            if problem:
                return problem
        elif name == b"IDAT":
            if idat_state == "after":
                return f"the image data is split: an IDAT chunk at byte {pos} comes after others"
            idat_state = "in"
            idat.append(view[pos + 8 : end - 4])
        elif name == b"IEND":
            break
        elif idat_state == "in":
            idat_state = "after"
        pos = end
    if not idat:
        return "the file has no image data (no IDAT chunk)"
    assert header is not None
    return _zlib_damage(idat, *header)


def _header_problem(width: int, height: int, depth: int, colour: int, interlace: int) -> str:
    if width == 0 or height == 0 or width > 0x7FFFFFFF or height > 0x7FFFFFFF:
        return f"IHDR declares invalid dimensions {width}x{height}"
    if depth not in _PNG_DEPTHS.get(colour, ()):
        return f"IHDR declares an invalid colour type {colour} with bit depth {depth}"
    if interlace not in (0, 1):
        return f"IHDR declares an unknown interlace method {interlace}"
    return ""


def _row_sizes(width: int, height: int, depth: int, colour: int, interlace: int) -> Iterator[int]:
    """Length of each filtered row (filter byte included), in stream order."""
    bits = _PNG_CHANNELS[colour] * depth
    if not interlace:
        passes = [(width, height)]
    else:
        passes = [
            ((width - x0 + dx - 1) // dx, (height - y0 + dy - 1) // dy) for x0, y0, dx, dy in _ADAM7
        ]
    for pass_width, pass_height in passes:
        if pass_width > 0:
            row = 1 + (pass_width * bits + 7) // 8
            for _ in range(pass_height):
                yield row


def _zlib_damage(
    chunks: list[memoryview], width: int, height: int, depth: int, colour: int, interlace: int
) -> str | None:
    rows = _row_sizes(width, height, depth, colour, interlace)
    expected = sum(_row_sizes(width, height, depth, colour, interlace))
    next_row = 0  # offset of the next row's filter byte in the inflated stream
    produced = 0
    inflater = zlib.decompressobj()
    try:
        for piece in _pieces(chunks):
            pending: bytes | memoryview = piece
            while not inflater.eof:
                out = inflater.decompress(pending, _INFLATE_STEP)
                pending = inflater.unconsumed_tail
                while next_row < min(produced + len(out), expected):
                    if out[next_row - produced] > 4:
                        return f"the image data is damaged (invalid row filter at byte {next_row})"
                    next_row += next(rows)
                produced += len(out)
                if not pending and not out:
                    break
            if inflater.eof:
                break
    except zlib.error as exc:
        return f"the compressed image data is damaged ({exc})"
    if not inflater.eof:
        return "the compressed image data ends early (truncated or damaged)"
    if produced < expected:
        return f"the image data holds {produced} bytes where the header needs {expected}"
    return None


def _pieces(chunks: list[memoryview]) -> Iterator[memoryview]:
    for chunk in chunks:
        for start in range(0, len(chunk), _INPUT_STEP):
            yield chunk[start : start + _INPUT_STEP]
