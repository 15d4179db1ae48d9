"""load_image on every supported container, mode and orientation (generated images)."""

from __future__ import annotations

import hashlib
import io
import pickle
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageOps

from pixelproof.io import (
    CorruptImageError,
    LoadedImage,
    LoadLimits,
    MissingDecoderError,
    load_image,
)

from .._images import (
    encode,
    gradient,
    noise,
    png_rgb16,
    quadrants,
    smooth,
    with_orientation,
)

# --------------------------------------------------------------------------- orientation

# What a viewer shows for each EXIF orientation of a stored (H, W, C) array,
# derived by hand from the EXIF 2.3 definitions (row 0 / column 0 positions).
HAND_DERIVED = {
    1: lambda a: a,
    2: lambda a: a[:, ::-1],  # mirrored left-right
    3: lambda a: a[::-1, ::-1],  # rotated 180
    4: lambda a: a[::-1, :],  # mirrored top-bottom
    5: lambda a: a.transpose(1, 0, 2),  # transposed (mirror about the main diagonal)
    6: lambda a: np.rot90(a, k=-1),  # stored rotated 90 CCW: display rotates 90 CW
    7: lambda a: np.rot90(a, k=2).transpose(1, 0, 2),  # transverse (anti-diagonal)
    8: lambda a: np.rot90(a, k=1),  # display rotates 90 CCW
}


def _pillow_upright(data: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(data)) as image:
        return np.asarray(ImageOps.exif_transpose(image).convert("RGB"))


@pytest.mark.parametrize("orientation", range(1, 9))
@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
def test_orientation_matches_pillow_exif_transpose(fmt: str, orientation: int) -> None:
    stored = quadrants(24, 40)
    data = with_orientation(stored, orientation, fmt)

    image = load_image(data)

    expected = _pillow_upright(data)
    assert image.orientation == orientation
    assert (image.stored_width, image.stored_height) == (40, 24)
    assert image.pixels.shape == expected.shape
    assert image.pixels.dtype == np.uint8
    assert image.pixels.flags["C_CONTIGUOUS"]
    tolerance = 0 if fmt == "PNG" else 2
    assert np.abs(image.pixels.astype(int) - expected).max() <= tolerance
    if orientation in (5, 6, 7, 8):
        assert (image.width, image.height) == (24, 40)
    else:
        assert (image.width, image.height) == (40, 24)
    applied = [note for note in image.normalization if "orientation" in note]
    assert applied == ([] if orientation == 1 else [f"EXIF orientation {orientation} applied"])


@pytest.mark.parametrize("orientation", range(1, 9))
def test_orientation_matches_hand_derived_transform(orientation: int) -> None:
    stored = gradient(6, 10)  # every pixel distinct, so any wrong transform shows
    image = load_image(with_orientation(stored, orientation, "PNG"))
    np.testing.assert_array_equal(image.pixels, HAND_DERIVED[orientation](stored))


def test_orientation_six_puts_stored_top_left_at_top_right() -> None:
    stored = np.zeros((20, 30, 3), dtype=np.uint8)
    stored[0, 0] = (255, 255, 255)  # a single marker pixel, stored at top-left
    image = load_image(with_orientation(stored, 6, "PNG"))
    assert image.pixels.shape == (30, 20, 3)
    assert tuple(image.pixels[0, -1]) == (255, 255, 255)
    assert int(image.pixels.sum()) == 3 * 255


@pytest.mark.parametrize("orientation", [3, 6, 8])
def test_alpha_is_oriented_like_the_pixels(orientation: int) -> None:
    rgb = gradient(6, 10)
    alpha = np.arange(60, dtype=np.uint8).reshape(6, 10) * 4
    rgba = np.dstack([rgb, alpha])
    exif = Image.Exif()
    exif[0x0112] = orientation
    image = load_image(encode(Image.fromarray(rgba, "RGBA"), "PNG", exif=exif))
    np.testing.assert_array_equal(image.pixels, HAND_DERIVED[orientation](rgb))
    assert image.alpha is not None
    np.testing.assert_array_equal(image.alpha, HAND_DERIVED[orientation](alpha[:, :, None])[..., 0])


def test_invalid_orientation_is_ignored_with_a_warning() -> None:
    stored = gradient(6, 10)
    image = load_image(with_orientation(stored, 9, "PNG"))
    assert image.orientation == 1
    np.testing.assert_array_equal(image.pixels, stored)
    assert any("orientation" in warning for warning in image.warnings)


def test_shared_orientation_samples_all_come_out_upright(
    shared_data: Callable[..., Path],
) -> None:
    folder = shared_data("photos", "exif-samples", "jpg", "orientation")
    for kind in ("landscape", "portrait"):
        images = [load_image(folder / f"{kind}_{n}.jpg") for n in range(1, 9)]
        assert [image.orientation for image in images] == list(range(1, 9))
        shapes = {image.pixels.shape for image in images}
        assert len(shapes) == 1, f"{kind}: shapes differ after orientation: {shapes}"
        height, width, _ = shapes.pop()
        assert (width > height) == (kind == "landscape")

        # landscape_1 carries no ICC profile and 2-8 do, so their tones differ a little:
        # compare after normalising brightness and contrast.
        def normalised(pixels: np.ndarray) -> np.ndarray:
            gray = pixels.astype(np.float64).mean(axis=2)
            return (gray - gray.mean()) / gray.std()

        reference = normalised(images[0].pixels)
        for n, image in enumerate(images, start=1):
            upright = np.abs(normalised(image.pixels) - reference).mean()
            assert upright < 0.2, f"{kind}_{n} is not upright (diff {upright:.3f})"
            for wrong in (image.pixels[:, ::-1], image.pixels[::-1, :], image.pixels[::-1, ::-1]):
                assert np.abs(normalised(wrong) - reference).mean() > 3 * upright + 0.3
        # 2-8 come from the same encoder: nearly equal pixels without any normalisation.
        base = images[1].pixels.astype(np.int16)
        for n, image in enumerate(images[1:], start=2):
            diff = np.abs(image.pixels.astype(np.int16) - base).mean()
            assert diff < 6.0, f"{kind}_{n} differs from {kind}_2 by {diff:.2f}"


# ------------------------------------------------------------------- modes and formats


def test_rgb_png_round_trips_exactly_with_file_context(tmp_path: Path) -> None:
    pixels = noise(17, 23)
    data = encode(pixels, "PNG")
    path = tmp_path / "noise.png"
    path.write_bytes(data)

    image = load_image(path)

    assert isinstance(image, LoadedImage)
    np.testing.assert_array_equal(image.pixels, pixels)
    assert image.format == "PNG"
    assert image.mode == "RGB"
    assert image.bit_depth == 8
    assert image.alpha is None and not image.has_alpha
    assert image.source == str(path)
    assert image.data == data
    assert image.sha256 == hashlib.sha256(data).hexdigest()
    assert image.normalization == [] and image.warnings == []
    assert image.jpeg is None
    assert np.array_equal(np.asarray(image.to_pil()), pixels)


def test_bytes_and_path_sources_give_the_same_image(tmp_path: Path) -> None:
    data = encode(smooth(32, 48), "JPEG", quality=90)
    path = tmp_path / "a.jpg"
    path.write_bytes(data)
    from_path, from_bytes = load_image(path), load_image(data)
    assert from_bytes.source == "<bytes>"
    np.testing.assert_array_equal(from_path.pixels, from_bytes.pixels)
    assert from_path.sha256 == from_bytes.sha256


def test_jpeg_pixels_match_a_reference_decoder() -> None:
    data = encode(smooth(48, 64), "JPEG", quality=90)
    image = load_image(data)
    with Image.open(io.BytesIO(data)) as reference:
        expected = np.asarray(reference.convert("RGB"))
    assert image.format == "JPEG" and image.mode == "RGB"
    assert np.abs(image.pixels.astype(int) - expected).max() <= 2


def test_cmyk_jpeg_becomes_rgb_with_a_note() -> None:
    rgb = quadrants(32, 32)
    data = encode(Image.fromarray(rgb).convert("CMYK"), "JPEG", quality=95)

    image = load_image(data)

    assert image.mode == "CMYK"
    assert image.pixels.shape == (32, 32, 3)
    assert any("CMYK" in note and "RGB" in note for note in image.normalization)
    for y, x in [(4, 4), (4, 28), (28, 4), (28, 28)]:
        assert np.abs(image.pixels[y, x].astype(int) - rgb[y, x]).max() <= 8


def test_16_bit_grayscale_png_is_scaled_to_8_bits() -> None:
    values = np.array([[0, 257, 32768, 65535], [1000, 20000, 40000, 65280]], dtype=np.uint16)
    stored = Image.fromarray(values)
    assert stored.mode == "I;16"

    image = load_image(encode(stored, "PNG"))

    assert image.bit_depth == 16
    assert image.mode.startswith("I")
    expected = np.rint(values / 65535.0 * 255.0).astype(np.uint8)
    assert tuple(expected[0]) == (0, 1, 128, 255)
    for channel in range(3):
        np.testing.assert_array_equal(image.pixels[:, :, channel], expected)
    assert any("16-bit" in note for note in image.normalization)


def test_16_bit_rgb_png_is_reduced_to_8_bits() -> None:
    values = np.array(
        [[[0, 32768, 65535], [65535, 0, 32768]], [[257, 12850, 51400], [1000, 30000, 60000]]],
        dtype=np.uint16,
    )
    image = load_image(png_rgb16(values))

    assert image.bit_depth == 16
    assert image.format == "PNG"
    np.testing.assert_array_equal(image.pixels[0], [[0, 128, 255], [255, 0, 128]])
    scaled = values / 65535.0 * 255.0
    assert np.abs(image.pixels.astype(float) - scaled).max() <= 1.0
    assert any("16-bit" in note for note in image.normalization)


def test_palette_png_with_transparency_gets_alpha() -> None:
    indices = np.array([[0, 1, 2, 1], [2, 1, 0, 0]], dtype=np.uint8)
    palette_image = Image.frombytes("P", (4, 2), indices.tobytes())
    palette = [(255, 0, 0), (0, 255, 0), (0, 0, 255)]
    palette_image.putpalette([c for rgb in palette for c in rgb])

    image = load_image(encode(palette_image, "PNG", transparency=1))

    assert image.mode == "P"
    np.testing.assert_array_equal(image.pixels, np.array(palette, dtype=np.uint8)[indices])
    assert image.alpha is not None
    np.testing.assert_array_equal(image.alpha, np.where(indices == 1, 0, 255))
    assert any("palette" in note for note in image.normalization)


def test_palette_png_without_transparency_has_no_alpha() -> None:
    palette_image = Image.fromarray(quadrants(8, 8)).convert("P", palette=Image.Palette.ADAPTIVE)
    image = load_image(encode(palette_image, "PNG"))
    assert image.alpha is None
    np.testing.assert_array_equal(image.pixels, quadrants(8, 8))


@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
def test_grayscale_gives_three_equal_channels(fmt: str) -> None:
    gray = smooth(32, 32)[:, :, 0]
    image = load_image(
        encode(Image.fromarray(gray, "L"), fmt, **({"quality": 95} if fmt == "JPEG" else {}))
    )
    assert image.mode == "L"
    assert image.pixels.shape == (32, 32, 3)
    np.testing.assert_array_equal(image.pixels[:, :, 0], image.pixels[:, :, 1])
    np.testing.assert_array_equal(image.pixels[:, :, 0], image.pixels[:, :, 2])
    assert np.abs(image.pixels[:, :, 0].astype(int) - gray).max() <= (0 if fmt == "PNG" else 3)


def test_one_bit_image_expands_to_black_and_white() -> None:
    bits = (gradient(6, 10)[:, :, 2] % 2).astype(bool)
    image = load_image(encode(Image.fromarray(bits), "PNG"))
    assert image.bit_depth == 1
    np.testing.assert_array_equal(image.pixels[:, :, 0], np.where(bits, 255, 0))


def test_la_png_keeps_alpha_separately() -> None:
    gray = np.full((5, 7), 100, dtype=np.uint8)
    alpha = np.tile(np.arange(7, dtype=np.uint8) * 40, (5, 1))
    image = load_image(encode(Image.fromarray(np.dstack([gray, alpha]), "LA"), "PNG"))
    assert image.mode == "LA"
    np.testing.assert_array_equal(image.pixels, np.full((5, 7, 3), 100, dtype=np.uint8))
    assert image.alpha is not None
    np.testing.assert_array_equal(image.alpha, alpha)


def test_rgba_png_keeps_alpha_and_does_not_composite() -> None:
    rgb = noise(6, 9, seed=3)
    alpha = np.zeros((6, 9), dtype=np.uint8)
    alpha[:, 4:] = 255  # the left part is fully transparent: its colour must survive
    image = load_image(encode(Image.fromarray(np.dstack([rgb, alpha]), "RGBA"), "PNG"))
    assert image.mode == "RGBA" and image.has_alpha
    np.testing.assert_array_equal(image.pixels, rgb)
    np.testing.assert_array_equal(image.alpha, alpha)
    assert any("alpha" in note for note in image.normalization)


def test_animated_gif_uses_the_first_frame_with_a_note() -> None:
    frames = [Image.new("RGB", (8, 6), colour) for colour in [(255, 0, 0), (0, 0, 255)]]
    data = encode(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)

    image = load_image(data)

    assert image.format == "GIF"
    assert image.pixels.shape == (6, 8, 3)
    assert (image.pixels == np.array([255, 0, 0], dtype=np.uint8)).all()
    assert any("animated" in note and "first frame" in note for note in image.normalization)


def test_gif_cut_in_its_second_frame_header_is_damaged() -> None:
    """Pillow raised IndexError while checking for a second frame (a fuzz finding)."""
    frames = [Image.new("RGB", (8, 6), colour) for colour in [(255, 0, 0), (0, 0, 255)]]
    data = encode(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100)
    descriptor = b"\x2c\x00\x00\x00\x00\x08\x00\x06\x00"  # an 8 x 6 frame at (0, 0)
    second = data.index(descriptor, data.index(descriptor) + 1)
    cut = data[: second + len(descriptor) + 1]  # ends before the LZW code size
    with pytest.raises(CorruptImageError, match="after the first frame"):
        load_image(cut)
    image = load_image(cut, limits=LoadLimits(allow_damaged=True))
    assert image.damaged and (image.pixels == np.array([255, 0, 0], dtype=np.uint8)).all()


def test_still_gif_has_no_animation_note() -> None:
    image = load_image(encode(Image.new("RGB", (8, 6), (0, 255, 0)), "GIF"))
    assert (image.pixels == np.array([0, 255, 0], dtype=np.uint8)).all()
    assert not any("animated" in note for note in image.normalization)


@pytest.mark.parametrize(
    ("fmt", "params"),
    [("WEBP", {"lossless": True}), ("TIFF", {}), ("BMP", {}), ("PNG", {"optimize": True})],
)
def test_lossless_containers_load_exactly(fmt: str, params: dict[str, object]) -> None:
    pixels = noise(13, 21, seed=5)
    image = load_image(encode(pixels, fmt, **params))
    assert image.format == fmt
    np.testing.assert_array_equal(image.pixels, pixels)


def test_lossy_webp_loads() -> None:
    pixels = smooth(32, 40)
    image = load_image(encode(pixels, "WEBP", quality=90))
    assert image.format == "WEBP" and image.pixels.shape == (32, 40, 3)
    assert np.abs(image.pixels.astype(int) - pixels).mean() < 4


def test_16_bit_tiff_records_its_depth() -> None:
    values = np.array([[0, 65535], [32768, 257]], dtype=np.uint16)
    image = load_image(encode(Image.fromarray(values), "TIFF"))
    assert image.bit_depth == 16
    np.testing.assert_array_equal(image.pixels[:, :, 1], [[0, 255], [128, 1]])


def test_metadata_blobs_are_kept() -> None:
    exif = Image.Exif()
    exif[0x010F] = "TestMake"  # Make
    icc = b"not-really-an-icc-profile"
    data = encode(smooth(16, 16), "JPEG", quality=90, exif=exif, icc_profile=icc)
    image = load_image(data)
    assert image.exif is not None and b"TestMake" in image.exif
    assert image.icc_profile == icc
    assert "exif" not in image.info and "icc_profile" not in image.info


def test_png_text_chunks_are_in_info() -> None:
    from PIL import PngImagePlugin

    text = PngImagePlugin.PngInfo()
    text.add_text("parameters", "a castle, steps: 20")
    image = load_image(encode(smooth(8, 8), "PNG", pnginfo=text))
    assert image.info.get("parameters") == "a castle, steps: 20"


def test_load_limits_reject_non_positive_values() -> None:
    with pytest.raises(ValueError):
        LoadLimits(max_pixels=0)
    with pytest.raises(ValueError):
        LoadLimits(max_file_bytes=-1)


def test_loaded_image_pickles() -> None:
    image = load_image(encode(smooth(16, 16), "JPEG", quality=80))
    copy = pickle.loads(pickle.dumps(image))
    np.testing.assert_array_equal(copy.pixels, image.pixels)
    assert copy.jpeg is not None
    assert copy.jpeg.dct_coefficients().components[0].shape == (2, 2, 8, 8)


# ------------------------------------------------------------------------ JPEG internals

# ITU-T T.81 Annex K tables, natural (row-major) order: libjpeg's tables at quality 50.
ANNEX_K_LUMA = np.array(
    [
        [16, 11, 10, 16, 24, 40, 51, 61],
        [12, 12, 14, 19, 26, 58, 60, 55],
        [14, 13, 16, 24, 40, 57, 69, 56],
        [14, 17, 22, 29, 51, 87, 80, 62],
        [18, 22, 37, 56, 68, 109, 103, 77],
        [24, 35, 55, 64, 81, 104, 113, 92],
        [49, 64, 78, 87, 103, 121, 120, 101],
        [72, 92, 95, 98, 112, 100, 103, 99],
    ]
)
ANNEX_K_CHROMA = np.full((8, 8), 99)
ANNEX_K_CHROMA[:4, :4] = [[17, 18, 24, 47], [18, 21, 26, 66], [24, 26, 56, 99], [47, 66, 99, 99]]


def libjpeg_table(base: np.ndarray, quality: int) -> np.ndarray:
    """libjpeg's jpeg_quality_scaling + jpeg_add_quant_table (baseline)."""
    scale = 5000 // quality if quality < 50 else 200 - 2 * quality
    return np.clip((base * scale + 50) // 100, 1, 255)


@pytest.mark.parametrize("quality", [50, 75, 90, 30])
def test_quant_tables_are_libjpeg_standard_tables(quality: int) -> None:
    image = load_image(encode(noise(32, 32), "JPEG", quality=quality))
    assert image.jpeg is not None
    tables = image.jpeg.quant_tables
    assert set(tables) == {0, 1}
    assert tables[0].shape == (8, 8) and tables[0].dtype == np.uint16
    np.testing.assert_array_equal(tables[0], libjpeg_table(ANNEX_K_LUMA, quality))
    np.testing.assert_array_equal(tables[1], libjpeg_table(ANNEX_K_CHROMA, quality))
    if quality == 50:
        np.testing.assert_array_equal(tables[0], ANNEX_K_LUMA)


def test_explicit_quant_tables_read_back_exactly() -> None:
    luma = np.arange(1, 65).reshape(8, 8)
    chroma = 100 - np.arange(64).reshape(8, 8)
    data = encode(noise(32, 32), "JPEG", qtables=[luma.ravel().tolist(), chroma.ravel().tolist()])
    image = load_image(data)
    assert image.jpeg is not None
    np.testing.assert_array_equal(image.jpeg.quant_tables[0], luma)
    np.testing.assert_array_equal(image.jpeg.quant_tables[1], chroma)
    # jpeglib parses the file independently: the tables must agree.
    dct = image.jpeg.dct_coefficients()
    np.testing.assert_array_equal(dct.quant_tables[0], luma)
    np.testing.assert_array_equal(dct.quant_tables[1], chroma)
    np.testing.assert_array_equal(dct.quant_tables[2], chroma)


@pytest.mark.parametrize(
    ("subsampling", "name", "chroma_blocks"),
    [(0, "4:4:4", (6, 8)), (1, "4:2:2", (6, 4)), (2, "4:2:0", (3, 4))],
)
def test_subsampling_and_dct_shapes(
    subsampling: int, name: str, chroma_blocks: tuple[int, int]
) -> None:
    image = load_image(encode(noise(48, 64), "JPEG", quality=85, subsampling=subsampling))
    assert image.jpeg is not None
    assert image.jpeg.subsampling == name
    assert image.jpeg.progressive is False
    dct = image.jpeg.dct_coefficients()
    assert len(dct.components) == 3
    assert dct.components[0].shape == (48 // 8, 64 // 8, 8, 8)
    assert dct.components[0].dtype == np.int16
    for chroma in dct.components[1:]:
        assert chroma.shape == (*chroma_blocks, 8, 8)


def test_grayscale_jpeg_info() -> None:
    image = load_image(encode(Image.fromarray(smooth(32, 16)[:, :, 1], "L"), "JPEG"))
    assert image.jpeg is not None
    assert image.jpeg.subsampling == "gray"
    dct = image.jpeg.dct_coefficients()
    assert len(dct.components) == 1
    assert dct.components[0].shape == (4, 2, 8, 8)


def test_progressive_flag() -> None:
    image = load_image(encode(noise(32, 32), "JPEG", quality=85, progressive=True))
    assert image.jpeg is not None and image.jpeg.progressive is True


def test_dct_dc_coefficient_of_a_flat_image() -> None:
    # A flat block of value v has DC = 8 * (v - 128) before quantization (JPEG FDCT
    # scaling); with all quantizers equal to 1 it is stored as is.
    flat = np.full((16, 24, 3), 200, dtype=np.uint8)
    ones = [1] * 64
    image = load_image(encode(flat, "JPEG", qtables=[ones, ones], subsampling=0))
    assert image.jpeg is not None
    luma = image.jpeg.dct_coefficients().components[0]
    assert luma.shape == (2, 3, 8, 8)
    np.testing.assert_array_equal(luma[:, :, 0, 0], np.full((2, 3), 8 * (200 - 128)))
    ac = luma.copy()
    ac[:, :, 0, 0] = 0
    assert np.abs(ac).max() <= 1
    # The cached result is returned on a second call.
    assert image.jpeg.dct_coefficients() is image.jpeg.dct_coefficients()


def test_dct_blocks_are_in_stored_order_not_oriented() -> None:
    image = load_image(with_orientation(noise(16, 32), 6, "JPEG"))
    assert image.pixels.shape == (32, 16, 3)
    assert image.jpeg is not None
    assert image.jpeg.dct_coefficients().components[0].shape == (2, 4, 8, 8)


# ---------------------------------------------------------------------------------- HEIF


def test_heif_round_trip(tmp_path: Path) -> None:
    pillow_heif = pytest.importorskip("pillow_heif")
    pixels = np.zeros((64, 96, 3), dtype=np.uint8)
    pixels[:32] = (200, 30, 30)
    pixels[32:] = (30, 30, 200)
    path = tmp_path / "two-tone.heic"
    pillow_heif.from_pillow(Image.fromarray(pixels)).save(str(path), quality=90)

    image = load_image(path)

    assert image.format == "HEIF"
    assert image.pixels.shape == (64, 96, 3)
    assert image.orientation == 1
    assert np.abs(image.pixels[8:24, 8:88].astype(int) - (200, 30, 30)).max() <= 12
    assert np.abs(image.pixels[40:56, 8:88].astype(int) - (30, 30, 200)).max() <= 12


def test_heif_without_decoder_raises_missing_decoder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A minimal HEIF 'ftyp' box is enough: the loader must stop before parsing further.
    data = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + bytes(64)
    monkeypatch.setitem(sys.modules, "pillow_heif", None)  # import fails
    with pytest.raises(MissingDecoderError) as info:
        load_image(data)
    assert info.value.code == "missing_decoder"
    assert "pixelproof[heif]" in info.value.message
    path = tmp_path / "photo.heic"
    path.write_bytes(data)
    with pytest.raises(MissingDecoderError):
        load_image(path)


def test_shared_heic_files_load(shared_data: Callable[..., Path]) -> None:
    pytest.importorskip("pillow_heif")
    folder = shared_data("photos", "exif-samples", "heic")
    files = sorted(p for p in folder.rglob("*") if p.suffix.lower() in (".heic", ".heif"))
    assert files
    for path in files:
        image = load_image(path)
        assert image.format == "HEIF", path
        assert image.pixels.ndim == 3 and image.pixels.shape[2] == 3
        assert min(image.width, image.height) >= 64
        assert image.pixels.std() > 5, f"{path.name} decoded to a flat image"
