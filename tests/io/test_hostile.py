"""Hostile and broken inputs: every failure is a typed, plain-language ImageLoadError."""

from __future__ import annotations

import io
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageFile

from pixelproof.io import (
    CorruptImageError,
    EmptyFileError,
    FileTooLargeError,
    ImageLoadError,
    LoadLimits,
    MissingDecoderError,
    TooManyPixelsError,
    UnsupportedFormatError,
    load_image,
)

from .._images import encode, jpeg_scan_bounds, noise, smooth, write_blank_png

BOMB_SIDE = 30_000


def _assert_plain(message: str) -> None:
    assert message.strip()
    assert "\n" not in message
    assert "Traceback" not in message
    assert 'File "' not in message


# ----------------------------------------------------------------------------- damaged


@pytest.mark.parametrize(
    "params",
    [{"quality": 90}, {"quality": 90, "progressive": True}],
    ids=["baseline", "progressive"],
)
def test_truncated_jpeg_is_corrupt(params: dict[str, object]) -> None:
    data = encode(noise(128, 128), "JPEG", **params)
    with pytest.raises(CorruptImageError) as info:
        load_image(data[: len(data) // 2])
    assert info.value.code == "corrupt_image"
    _assert_plain(info.value.message)


def test_truncated_cmyk_jpeg_is_corrupt() -> None:
    data = encode(Image.fromarray(noise(64, 64)).convert("CMYK"), "JPEG", quality=90)
    load_image(data)  # the intact file loads
    with pytest.raises(CorruptImageError):
        load_image(data[: len(data) // 2])


@pytest.mark.parametrize(
    "garbage",
    [bytes(64), bytes(range(1, 65)), b"\xa5" * 200, b"\xff\xd9" + bytes(10)],
    ids=["zeros", "ramp", "a5", "early-eoi"],
)
def test_jpeg_with_damaged_entropy_data_is_corrupt(garbage: bytes) -> None:
    data = encode(noise(128, 128), "JPEG", quality=90)
    start, end = jpeg_scan_bounds(data)
    middle = (start + end) // 2
    assert end - start > 4 * len(garbage)
    damaged = bytearray(data)
    damaged[middle : middle + len(garbage)] = garbage
    assert len(damaged) == len(data)
    with pytest.raises(CorruptImageError) as info:
        load_image(bytes(damaged))
    _assert_plain(info.value.message)


def test_damaged_jpeg_that_pillow_would_accept_is_still_refused() -> None:
    # Pillow/libjpeg "recover" from this damage by inventing pixels; pixelproof refuses.
    data = encode(noise(128, 128), "JPEG", quality=90)
    start, end = jpeg_scan_bounds(data)
    damaged = bytearray(data)
    damaged[(start + end) // 2 : (start + end) // 2 + 64] = bytes(range(1, 65))
    with Image.open(io.BytesIO(bytes(damaged))) as lenient:
        lenient.load()  # does not raise: the reason a strict decoder is needed
    with pytest.raises(CorruptImageError):
        load_image(bytes(damaged))


def test_zero_byte_file_is_empty(tmp_path: Path) -> None:
    path = tmp_path / "empty.jpg"
    path.write_bytes(b"")
    with pytest.raises(EmptyFileError) as info:
        load_image(path)
    assert info.value.code == "empty_file"
    with pytest.raises(EmptyFileError):
        load_image(b"")


@pytest.mark.parametrize("name", ["notes.txt", "notes.jpg"])
def test_text_file_is_unsupported(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_text("This is not an image.\nJust some words.\n" * 5)
    with pytest.raises(UnsupportedFormatError) as info:
        load_image(path)
    assert info.value.code == "unsupported_format"
    _assert_plain(info.value.message)


def test_wrong_extension_loads_with_a_warning(tmp_path: Path) -> None:
    pixels = noise(10, 12)
    path = tmp_path / "actually-a-png.jpg"
    path.write_bytes(encode(pixels, "PNG"))

    image = load_image(path)

    assert image.format == "PNG"
    np.testing.assert_array_equal(image.pixels, pixels)
    assert len(image.warnings) == 1
    warning = image.warnings[0]
    assert ".jpg" in warning and "JPEG" in warning and "PNG" in warning


def test_jpeg_named_png_also_warns(tmp_path: Path) -> None:
    path = tmp_path / "photo.png"
    path.write_bytes(encode(smooth(16, 16), "JPEG"))
    image = load_image(path)
    assert image.format == "JPEG"
    assert any(".png" in w and "JPEG" in w for w in image.warnings)


@pytest.mark.parametrize("name", ["ok.png", "OK.PNG", "no-extension", "data.bin"])
def test_matching_or_unknown_extension_gives_no_warning(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(encode(noise(4, 4), "PNG"))
    assert load_image(path).warnings == []


def test_truncated_png_is_corrupt() -> None:
    data = encode(noise(128, 128), "PNG")
    with pytest.raises(CorruptImageError) as info:
        load_image(data[: len(data) // 2])
    _assert_plain(info.value.message)


def test_png_cut_inside_its_header_is_corrupt() -> None:
    data = encode(noise(16, 16), "PNG")
    with pytest.raises(CorruptImageError):
        load_image(data[:20])


def test_png_signature_followed_by_garbage_is_corrupt() -> None:
    with pytest.raises(CorruptImageError):
        load_image(b"\x89PNG\r\n\x1a\n" + b"garbage!" * 20)


@pytest.mark.parametrize("fmt", ["TIFF", "GIF", "BMP", "WEBP"])
def test_truncated_other_formats_are_corrupt(fmt: str) -> None:
    data = encode(noise(64, 64), fmt)
    load_image(data)  # the intact file loads
    with pytest.raises(CorruptImageError):
        load_image(data[: len(data) // 2])


def test_file_larger_than_the_limit_is_refused_before_reading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = encode(noise(64, 64), "PNG")
    path = tmp_path / "big.png"
    path.write_bytes(data)
    limits = LoadLimits(max_file_bytes=len(data) - 1)

    def no_reading(self: Path) -> bytes:
        raise AssertionError("the file was read although it is over the limit")

    with monkeypatch.context() as patch:
        patch.setattr(Path, "read_bytes", no_reading)
        with pytest.raises(FileTooLargeError) as info:
            load_image(path, limits=limits)
    assert info.value.code == "file_too_large"
    _assert_plain(info.value.message)
    with pytest.raises(FileTooLargeError):
        load_image(data, limits=limits)
    # At the limit exactly, it loads.
    assert load_image(path, limits=LoadLimits(max_file_bytes=len(data))).width == 64


@pytest.mark.parametrize("fmt", ["PPM", "PCX", "TGA", "ICO", "SGI"])
def test_formats_outside_the_allow_list_are_not_decoded(fmt: str) -> None:
    # Pillow can read these, but they are attack surface pixelproof does not need.
    data = encode(noise(16, 16), fmt)
    with Image.open(io.BytesIO(data)) as image:  # Pillow itself would decode it
        assert image.format == fmt
    with pytest.raises(UnsupportedFormatError):
        load_image(data)


def test_mpo_is_reported_as_jpeg() -> None:
    frames = [Image.fromarray(smooth(16, 16)), Image.fromarray(noise(16, 16))]
    data = encode(frames[0], "MPO", save_all=True, append_images=frames[1:])
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == "MPO"
    image = load_image(data)
    assert image.format == "JPEG"
    assert image.jpeg is not None
    assert np.abs(image.pixels.astype(int) - smooth(16, 16)).mean() < 4


def test_missing_path_raises_os_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        load_image(tmp_path / "nope.png")


def test_error_codes_are_distinct_and_typed() -> None:
    classes = [
        EmptyFileError,
        FileTooLargeError,
        TooManyPixelsError,
        UnsupportedFormatError,
        MissingDecoderError,
        CorruptImageError,
    ]
    assert all(issubclass(cls, ImageLoadError) for cls in classes)
    codes = [cls.code for cls in classes]
    assert len(set(codes)) == len(codes)
    assert ImageLoadError.code not in codes


# ------------------------------------------------------------------ decompression bombs


@pytest.fixture(scope="module")
def bomb_png(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("bomb") / "bomb.png"
    write_blank_png(path, BOMB_SIDE, BOMB_SIDE, bit_depth=1)
    assert path.stat().st_size < 1_000_000  # a tiny file that claims 900 megapixels
    return path


@pytest.fixture(scope="module")
def medium_bomb_png(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # 144 megapixels: above pixelproof's default limit (100 MP), below the point where
    # Pillow itself refuses (2 x 89.5 MP), so pixelproof's own check must catch it.
    path = tmp_path_factory.mktemp("bomb") / "medium.png"
    return write_blank_png(path, 12_000, 12_000, bit_depth=8)


@pytest.fixture
def forbid_decoding(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(self: ImageFile.ImageFile) -> None:
        raise AssertionError("pixels were decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", refuse)


def test_bomb_png_is_well_formed(
    bomb_png: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The same builder at a small size gives a valid, fully decodable PNG...
    small = write_blank_png(tmp_path / "small.png", 37, 5, bit_depth=1)
    with Image.open(small) as image:
        assert image.size == (37, 5) and image.mode == "1"
        assert not np.asarray(image).any()
    # ...and the bomb's header is what Pillow would otherwise try to decode.
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", None)
    with Image.open(bomb_png) as image:
        assert image.size == (BOMB_SIDE, BOMB_SIDE)


@pytest.mark.usefixtures("forbid_decoding")
def test_bomb_is_refused_before_decoding(bomb_png: Path) -> None:
    with pytest.raises(TooManyPixelsError) as info:
        load_image(bomb_png)
    assert info.value.code == "too_many_pixels"
    _assert_plain(info.value.message)
    assert f"{BOMB_SIDE}x{BOMB_SIDE}" in info.value.message


@pytest.mark.usefixtures("forbid_decoding")
def test_image_above_default_limit_is_refused_before_decoding(medium_bomb_png: Path) -> None:
    with pytest.raises(TooManyPixelsError) as info:
        load_image(medium_bomb_png)
    _assert_plain(info.value.message)
    assert "12000x12000" in info.value.message
    assert "megapixels" in info.value.message


def test_bomb_peak_memory_stays_small(bomb_png: Path, medium_bomb_png: Path) -> None:
    script = textwrap.dedent(
        """
        import sys
        from pixelproof.io import TooManyPixelsError, load_image
        for path in sys.argv[1:]:
            try:
                load_image(path)
            except TooManyPixelsError:
                print("refused")
            else:
                print("loaded")
        # VmHWM is this process's own peak RSS (KiB). ru_maxrss would also count the
        # pytest process this one was forked from, which keeps its maximum across exec.
        with open("/proc/self/status") as status:
            print(next(line.split()[1] for line in status if line.startswith("VmHWM:")))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(bomb_png), str(medium_bomb_png)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    lines = done.stdout.split()
    assert lines[:2] == ["refused", "refused"]
    peak_mib = int(lines[2]) / 1024
    assert peak_mib < 500, f"peak memory {peak_mib:.0f} MiB"
    assert "Traceback" not in done.stderr


@pytest.mark.usefixtures("forbid_decoding")
def test_lower_max_pixels_rejects_a_small_image() -> None:
    data = encode(noise(20, 30), "PNG")
    with pytest.raises(TooManyPixelsError) as info:
        load_image(data, limits=LoadLimits(max_pixels=599))
    _assert_plain(info.value.message)
    assert "30x20" in info.value.message


def test_max_pixels_is_inclusive() -> None:
    data = encode(noise(20, 30), "PNG")
    assert load_image(data, limits=LoadLimits(max_pixels=600)).pixels.shape == (20, 30, 3)


def test_raised_max_pixels_is_honoured_above_pillows_own_limit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Pillow refuses images above 2 x Image.MAX_IMAGE_PIXELS (~179 MP) on its own; the
    # loader's limit must replace that one, or --max-pixels could not be raised past it.
    # Shrink Pillow's global limit so that a small image plays the part of a 200 MP one.
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100)
    data = encode(noise(20, 30), "PNG")  # 600 pixels > 2 x 100
    image = load_image(data, limits=LoadLimits(max_pixels=10_000))
    assert image.pixels.shape == (20, 30, 3)
    assert Image.MAX_IMAGE_PIXELS == 100  # Pillow's setting is restored afterwards
    with pytest.raises(TooManyPixelsError):
        load_image(data, limits=LoadLimits(max_pixels=500))


# ---------------------------------------------------------------- real malformed files


def test_shared_corrupted_jpeg_is_refused(shared_data: Callable[..., Path]) -> None:
    with pytest.raises(CorruptImageError) as info:
        load_image(shared_data("photos", "exif-samples", "jpg", "corrupted.jpg"))
    _assert_plain(info.value.message)


def test_shared_files_with_malformed_exif_still_load(shared_data: Callable[..., Path]) -> None:
    root = shared_data("photos", "exif-samples", "jpg")
    files = sorted(
        p
        for folder in ("invalid", "tests")
        for p in (root / folder).iterdir()
        if p.suffix.lower() in (".jpg", ".jpeg")
    )
    assert len(files) >= 10
    for path in files:
        image = load_image(path)
        assert image.format == "JPEG", path
        assert image.pixels.ndim == 3 and image.pixels.shape[2] == 3
        assert 1 <= image.orientation <= 8


def test_pillow_bomb_warnings_never_leak(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Pillow warns (DecompressionBombWarning, on stderr) above its own threshold; within
    # pixelproof's limit that warning is noise: the loader applies its limit instead.
    import warnings

    from pixelproof.forensics import ela_map

    path = tmp_path / "big-for-pillow.png"
    noise = np.random.default_rng(1).integers(0, 255, (60, 60, 3), dtype=np.uint8)
    Image.fromarray(noise).save(path)
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 2000)  # 3,600 pixels warns in Pillow
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        image = load_image(path)
        ela_map(image.pixels, quality=90)  # re-decodes its own JPEG save
    assert image.width == 60
    assert not [w for w in caught if issubclass(w.category, Image.DecompressionBombWarning)]
