"""Integrity-checked decoding: damage the format can detect is refused, or flagged on request."""

from __future__ import annotations

import io
import random
import struct
import warnings
import zlib

import numpy as np
import pytest
from numpy.typing import NDArray
from PIL import Image

from pixelproof.io import CorruptImageError, LoadLimits, load_image

from .._images import (
    PNG_SIGNATURE,
    encode,
    jpeg_scan_bounds,
    noise,
    png_chunk,
    png_ihdr,
    smooth,
    with_orientation,
)

ALLOW = LoadLimits(allow_damaged=True)


def _chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    """(name, payload) of every chunk of a PNG."""
    out, pos = [], len(PNG_SIGNATURE)
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        out.append((data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]))
        pos += 12 + length
    return out


def _png(chunks: list[tuple[bytes, bytes]]) -> bytes:
    """A PNG from (name, payload) pairs, every CRC correct."""
    return PNG_SIGNATURE + b"".join(png_chunk(name, payload) for name, payload in chunks)


def _gray_png(raw: bytes, width: int, height: int, interlace: int = 0) -> bytes:
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, interlace)
    return _png([(b"IHDR", ihdr), (b"IDAT", zlib.compress(raw)), (b"IEND", b"")])


def _adam7_raw(gray: NDArray[np.uint8]) -> bytes:
    """Filter-0 rows of the seven Adam7 passes, as an interlaced PNG stores them."""
    passes = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4)]
    passes += [(1, 0, 2, 2), (0, 1, 1, 2)]
    raw = b""
    for x0, y0, dx, dy in passes:
        sub = gray[y0::dy, x0::dx]
        if sub.size:
            raw += b"".join(b"\x00" + row.tobytes() for row in sub)
    return raw


@pytest.fixture(scope="module")
def png_with_trailing_exif() -> bytes:
    """An RGB PNG with a text chunk and, after the image data, an eXIf chunk."""
    data = encode(Image.fromarray(smooth(48, 64)), "PNG", exif=Image.Exif(), pnginfo=_text_info())
    chunks = _chunks(data)
    exif = with_orientation(smooth(4, 4), 6, "PNG")
    exif_chunk = next(c for c in _chunks(exif) if c[0] == b"eXIf")
    chunks.insert(-1, exif_chunk)  # before IEND, after IDAT: Pillow reads it by decoding
    return _png(chunks)


def _text_info() -> object:
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "integrity test")
    return info


# ------------------------------------------------------------------------------- PNG


def test_intact_png_with_trailing_exif_loads(png_with_trailing_exif: bytes) -> None:
    image = load_image(png_with_trailing_exif)
    assert image.damage is None and not image.damaged
    assert image.orientation == 6
    assert not any(w.startswith("damaged") for w in image.warnings)


def test_every_byte_mutation_of_a_png_is_refused(png_with_trailing_exif: bytes) -> None:
    # Every byte of a PNG after the signature lies under a CRC (or is a length or CRC
    # field itself). Before, most such files decoded to black or garbage pixels.
    rng = random.Random(17)
    base = png_with_trailing_exif
    for _ in range(100):
        damaged = bytearray(base)
        position = rng.randrange(len(PNG_SIGNATURE), len(damaged))
        damaged[position] ^= 1 << rng.randrange(8)
        with pytest.raises(CorruptImageError):
            load_image(bytes(damaged))


def test_bad_crc_on_image_data_alone_is_refused() -> None:
    data = bytearray(encode(noise(32, 32), "PNG"))
    crc_end = data.index(b"IEND") - 4  # the IDAT's CRC ends where IEND's length starts
    data[crc_end - 1] ^= 0xFF
    with Image.open(io.BytesIO(bytes(data))) as lenient:
        lenient.load()  # Pillow does not check it
    with pytest.raises(CorruptImageError) as info:
        load_image(bytes(data))
    assert "IDAT" in info.value.message and "CRC" in info.value.message


def test_bad_crc_on_an_ancillary_chunk_after_the_image_data_is_refused(
    png_with_trailing_exif: bytes,
) -> None:
    data = bytearray(png_with_trailing_exif)
    exif_at = data.index(b"eXIf")
    data[exif_at + 10] ^= 0x01  # inside the payload: its CRC no longer matches
    with pytest.raises(CorruptImageError) as info:
        load_image(bytes(data))
    assert "eXIf" in info.value.message


def test_damaged_zlib_stream_with_valid_crcs_is_refused() -> None:
    chunks = _chunks(encode(noise(32, 32), "PNG"))
    name, payload = chunks[1]
    assert name == b"IDAT"
    broken = bytearray(payload)
    broken[len(broken) // 2 : len(broken) // 2 + 16] = bytes(16)
    chunks[1] = (name, bytes(broken))
    with pytest.raises(CorruptImageError) as info:
        load_image(_png(chunks))
    assert "compressed image data" in info.value.message


def test_zlib_stream_that_ends_early_is_refused() -> None:
    raw = b"".join(b"\x00" + bytes(range(16)) for _ in range(16))
    compressed = zlib.compress(raw)
    ihdr = struct.pack(">IIBBBBB", 16, 16, 8, 0, 0, 0, 0)
    data = _png([(b"IHDR", ihdr), (b"IDAT", compressed[:-10]), (b"IEND", b"")])
    with pytest.raises(CorruptImageError, match="ends early"):
        load_image(data)


def test_image_data_shorter_than_the_header_declares_is_refused() -> None:
    raw = b"".join(b"\x00" + bytes(range(16)) for _ in range(10))  # 10 of 16 rows
    with pytest.raises(CorruptImageError, match="header needs"):
        load_image(_gray_png(raw, 16, 16))


def test_invalid_row_filter_is_refused() -> None:
    rows = [b"\x00" + bytes(range(16)) for _ in range(16)]
    rows[7] = b"\x09" + rows[7][1:]
    with pytest.raises(CorruptImageError, match="row filter"):
        load_image(_gray_png(b"".join(rows), 16, 16))


def test_split_image_data_is_refused() -> None:
    chunks = _chunks(encode(noise(32, 32), "PNG"))
    payload = chunks[1][1]
    half = len(payload) // 2
    data = _png(
        [
            chunks[0],
            (b"IDAT", payload[:half]),
            (b"tEXt", b"Comment\x00in between"),
            (b"IDAT", payload[half:]),
            (b"IEND", b""),
        ]
    )
    with pytest.raises(CorruptImageError, match="split"):
        load_image(data)


def test_missing_iend_is_refused() -> None:
    data = encode(noise(16, 16), "PNG")
    with pytest.raises(CorruptImageError, match="IEND"):
        load_image(data[: data.index(b"IEND") - 4])


def test_bytes_after_iend_are_accepted() -> None:
    pixels = noise(16, 16)
    image = load_image(encode(pixels, "PNG") + b"appended by some tool")
    np.testing.assert_array_equal(image.pixels, pixels)
    assert image.damage is None


def test_hand_built_pngs_load() -> None:
    gray = noise(13, 11)[:, :, 0]
    raw = b"".join(b"\x00" + row.tobytes() for row in gray)
    np.testing.assert_array_equal(load_image(_gray_png(raw, 11, 13)).pixels[:, :, 0], gray)
    # Image data split over several IDAT chunks, and an empty IDAT, are valid.
    compressed = zlib.compress(raw)
    parts = [compressed[:5], b"", compressed[5:40], compressed[40:]]
    data = PNG_SIGNATURE + png_ihdr(11, 13, 8, 0)
    data += b"".join(png_chunk(b"IDAT", part) for part in parts) + png_chunk(b"IEND", b"")
    np.testing.assert_array_equal(load_image(data).pixels[:, :, 0], gray)


@pytest.mark.parametrize(("height", "width"), [(13, 11), (1, 1), (3, 9), (16, 16)])
def test_interlaced_png_is_verified_with_the_adam7_layout(height: int, width: int) -> None:
    gray = noise(height, width, seed=height)[:, :, 0]
    data = _gray_png(_adam7_raw(gray), width, height, interlace=1)
    image = load_image(data)
    np.testing.assert_array_equal(image.pixels[:, :, 0], gray)
    short = _gray_png(_adam7_raw(gray)[:-1], width, height, interlace=1)
    with pytest.raises(CorruptImageError):
        load_image(short)


def test_pillow_written_pngs_of_every_mode_verify() -> None:
    pixels = noise(19, 23)
    for mode in ("RGB", "RGBA", "L", "LA", "P", "1"):
        load_image(encode(Image.fromarray(pixels).convert(mode), "PNG"))
    for bits in (1, 2, 4):
        image = Image.fromarray(pixels).convert("P", palette=Image.Palette.ADAPTIVE, colors=4)
        load_image(encode(image, "PNG", bits=bits))
    frames = [Image.fromarray(noise(20, 20, seed=s)) for s in range(3)]
    apng = encode(frames[0], "PNG", save_all=True, append_images=frames[1:])
    assert load_image(apng).normalization[0].startswith("animated")


# ----------------------------------------------------------------------- allow_damaged


def test_allow_damaged_loads_a_png_with_a_bad_crc_and_says_so() -> None:
    pixels = noise(32, 32)
    data = bytearray(encode(pixels, "PNG"))
    data[data.index(b"IEND") - 5] ^= 0xFF
    image = load_image(bytes(data), limits=ALLOW)
    np.testing.assert_array_equal(image.pixels, pixels)  # only the CRC was damaged
    assert image.damaged
    assert image.damage is not None and "CRC" in image.damage
    flagged = [w for w in image.warnings if w.startswith("damaged:")]
    assert len(flagged) == 1 and image.damage in flagged[0]


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "TIFF", "BMP"])
def test_allow_damaged_loads_what_a_truncated_file_holds(fmt: str) -> None:
    data = encode(smooth(64, 64), fmt)
    cut = data[: len(data) * 3 // 4]
    with pytest.raises(CorruptImageError):
        load_image(cut)
    image = load_image(cut, limits=ALLOW)
    assert image.pixels.shape == (64, 64, 3)
    assert image.damage
    assert "\n" not in image.damage


def test_allow_damaged_keeps_jpeg_damage_that_libjpeg_only_warns_about() -> None:
    data = encode(noise(128, 128), "JPEG", quality=90)
    start, end = jpeg_scan_bounds(data)
    damaged = bytearray(data)
    damaged[(start + end) // 2 : (start + end) // 2 + 64] = bytes(range(1, 65))
    with pytest.raises(CorruptImageError):
        load_image(bytes(damaged))
    image = load_image(bytes(damaged), limits=ALLOW)
    assert image.damage is not None and "JPEG" in image.damage
    assert image.pixels.shape == (128, 128, 3)


def test_extraneous_bytes_before_a_jpeg_marker_count_as_damage() -> None:
    # libjpeg's mildest complaint ("N extraneous bytes before marker") is still damage:
    # the scan ends somewhere the decoder did not expect.
    data = encode(smooth(64, 64), "JPEG", quality=90)
    eoi = data.rindex(b"\xff\xd9")
    padded = data[:eoi] + b"\x13\x37" * 4 + data[eoi:]
    with pytest.raises(CorruptImageError, match="extraneous"):
        load_image(padded)
    assert load_image(padded, limits=ALLOW).damage is not None


def test_allow_damaged_does_not_flag_intact_files() -> None:
    for fmt in ("PNG", "JPEG", "WEBP", "GIF", "TIFF"):
        image = load_image(encode(smooth(16, 16), fmt), limits=ALLOW)
        assert image.damage is None, fmt
        assert not any(w.startswith("damaged") for w in image.warnings)


def test_allow_damaged_still_refuses_what_cannot_be_decoded() -> None:
    data = encode(smooth(64, 64), "WEBP")
    with pytest.raises(CorruptImageError):
        load_image(data[: len(data) // 2], limits=ALLOW)


# ------------------------------------------------------------- decompression-bomb noise


@pytest.mark.parametrize("shape", [(10, 15), (20, 30)], ids=["above-warning", "above-error"])
def test_pillow_bomb_checks_during_decoding_are_replaced_by_ours(
    monkeypatch: pytest.MonkeyPatch, shape: tuple[int, int]
) -> None:
    # TIFF (and GIF, MPO) run Pillow's own bomb check while decoding, after the header:
    # it warned on stderr, or refused an image that the loader's limit accepts.
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100)
    data = encode(noise(*shape), "TIFF")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        image = load_image(data)
    assert image.pixels.shape == (*shape, 3)
    assert Image.MAX_IMAGE_PIXELS == 100


def test_decoding_after_the_loader_does_not_warn_either(monkeypatch: pytest.MonkeyPatch) -> None:
    from pixelproof.forensics._ela import ela_map
    from pixelproof.io import TooManyPixelsError, open_with_pixel_limit
    from pixelproof.metadata._thumbnail import decode_thumbnail

    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100)
    pixels = noise(24, 32)
    jpeg = encode(pixels, "JPEG", quality=90)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert ela_map(pixels).shape == (3, 4)  # re-encodes and decodes 768 pixels
        thumbnail = decode_thumbnail(jpeg)
        assert thumbnail is not None and thumbnail.shape == (24, 32, 3)
        with open_with_pixel_limit(jpeg, 768, formats=["JPEG"]) as image:
            assert image.size == (32, 24)
        with pytest.raises(TooManyPixelsError):
            open_with_pixel_limit(jpeg, 767)


def test_pillow_warnings_about_the_file_become_image_warnings() -> None:
    # A malformed EXIF block makes Pillow warn ("Corrupt EXIF data") while opening.
    exif = Image.Exif()
    exif[0x010F] = "Camera maker"
    exif[0x0110] = "Model"
    blob = bytearray(exif.tobytes())
    blob[14:16] = struct.pack("<H", 5000)  # IFD0 entry count far beyond the data
    data = encode(smooth(32, 32), "JPEG", exif=bytes(blob))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        image = load_image(data)
    # The file is malformed, so its rows say "damaged:"; the pixels are intact, so it
    # is still analysed (image.damage is for pixel damage only).
    assert any(w.startswith("damaged: malformed metadata") for w in image.warnings)
    assert image.damage is None
