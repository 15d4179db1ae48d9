"""Image builders shared by the tests: every test image is generated, never downloaded."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from PIL import Image

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def quadrants(height: int = 24, width: int = 40) -> NDArray[np.uint8]:
    """An RGB image whose four quadrants have different colours (no symmetry at all)."""
    pixels = np.zeros((height, width, 3), dtype=np.uint8)
    h, w = height // 2, width // 2
    pixels[:h, :w] = (255, 0, 0)
    pixels[:h, w:] = (0, 255, 0)
    pixels[h:, :w] = (0, 0, 255)
    pixels[h:, w:] = (255, 255, 0)
    return pixels


def gradient(height: int = 6, width: int = 10) -> NDArray[np.uint8]:
    """An RGB image where every pixel is different: exact transposition checks."""
    y, x = np.mgrid[0:height, 0:width]
    return np.stack([y * 20 + 5, x * 20 + 3, (y * width + x) % 251], axis=2).astype(np.uint8)


def noise(height: int = 64, width: int = 64, seed: int = 0) -> NDArray[np.uint8]:
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, size=(height, width, 3), dtype=np.uint8)


def smooth(height: int = 64, width: int = 64) -> NDArray[np.uint8]:
    """A smooth, photo-like RGB image (compresses well, survives JPEG nearly intact)."""
    y, x = np.mgrid[0:height, 0:width].astype(np.float64)
    r = 128 + 100 * np.sin(x / width * 3.0)
    g = 128 + 100 * np.cos(y / height * 2.5)
    b = 64 + 120 * (x + y) / (width + height)
    return np.clip(np.stack([r, g, b], axis=2), 0, 255).astype(np.uint8)


def encode(image: Image.Image | NDArray[Any], fmt: str, **params: Any) -> bytes:
    """Encode a Pillow image (or an array) to bytes in ``fmt``."""
    if not isinstance(image, Image.Image):
        image = Image.fromarray(np.asarray(image))
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **params)
    return buffer.getvalue()


def with_orientation(pixels: NDArray[np.uint8], orientation: int, fmt: str) -> bytes:
    """Encode ``pixels`` with an EXIF orientation tag."""
    exif = Image.Exif()
    exif[0x0112] = orientation
    params: dict[str, Any] = {"exif": exif}
    if fmt == "JPEG":
        params["quality"] = 95
    return encode(pixels, fmt, **params)


def png_chunk(kind: bytes, payload: bytes) -> bytes:
    crc = zlib.crc32(kind + payload) & 0xFFFFFFFF
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", crc)


def png_ihdr(width: int, height: int, bit_depth: int, colour_type: int) -> bytes:
    return png_chunk(
        b"IHDR", struct.pack(">IIBBBBB", width, height, bit_depth, colour_type, 0, 0, 0)
    )


def png_rgb16(pixels: NDArray[np.uint16]) -> bytes:
    """A 16-bit-per-channel RGB PNG written by hand (Pillow cannot write one)."""
    height, width, _ = pixels.shape
    raw = b"".join(b"\x00" + pixels[y].astype(">u2").tobytes() for y in range(height))
    return (
        PNG_SIGNATURE
        + png_ihdr(width, height, 16, 2)
        + png_chunk(b"IDAT", zlib.compress(raw))
        + png_chunk(b"IEND", b"")
    )


def write_blank_png(path: Path, width: int, height: int, bit_depth: int = 1) -> Path:
    """A valid all-black grayscale PNG of any size, streamed row by row.

    The compressor sees a few thousand rows at a time, so even a 30000x30000 image
    is written without ever holding its pixels: the point of a decompression bomb.
    """
    row = b"\x00" + bytes(-(-width * bit_depth // 8))
    compressor = zlib.compressobj(9)
    rows_per_chunk = max(1, (4 << 20) // len(row))
    with path.open("wb") as out:
        out.write(PNG_SIGNATURE + png_ihdr(width, height, bit_depth, 0))
        done = 0
        while done < height:
            count = min(rows_per_chunk, height - done)
            compressed = compressor.compress(row * count)
            if compressed:
                out.write(png_chunk(b"IDAT", compressed))
            done += count
        out.write(png_chunk(b"IDAT", compressor.flush()))
        out.write(png_chunk(b"IEND", b""))
    return path


def jpeg_scan_bounds(data: bytes) -> tuple[int, int]:
    """Start and end offsets of the entropy-coded data after the (first) SOS marker."""
    sos = data.index(b"\xff\xda")
    (length,) = struct.unpack(">H", data[sos + 2 : sos + 4])
    end = data.rindex(b"\xff\xd9")
    return sos + 2 + length, end
