"""pixelproof's watermark: round trips, keys, robustness, the null distribution, inputs."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from ._images import cv2, jpeg, resize, smooth, texture, webp

pytest.importorskip("cv2")

from pixelproof.watermark import (
    DEFAULT_KEY,
    WatermarkResult,
    detect,
    embed,
)
from pixelproof.watermark._detect import COARSE_ANGLES, gaussian_sf, sync_tail
from pixelproof.watermark._ecc import conv_decode, conv_encode, crc16
from pixelproof.watermark._message import bits_to_hex, message_bits


@pytest.mark.parametrize("seed", range(4))
def test_round_trip_random_messages_and_keys(seed: int) -> None:
    rng = np.random.default_rng(100 + seed)
    image = texture(seed, 288 + 32 * seed, 384 - 16 * seed)
    value = int(rng.integers(0, 2**32))
    key = bytes(rng.integers(0, 256, 16, dtype=np.uint8))
    marked = embed(image, value, key=key)
    assert marked.shape == image.shape and marked.dtype == np.uint8
    result = detect(marked, key=key)
    assert result.detected
    assert result.message == f"{value:08x}"
    assert result.p_value < 1e-6
    assert len(result.bit_confidences) == 32
    assert min(result.bit_confidences) > 0.9


def test_message_forms_agree() -> None:
    image = texture(11)
    a = embed(image, "C0FFEE42")
    assert np.array_equal(a, embed(image, 0xC0FFEE42))
    assert np.array_equal(a, embed(image, b"\xc0\xff\xee\x42"))
    assert np.array_equal(a, embed(image, "0xc0ff_ee42"))
    assert detect(a).message == "c0ffee42"


def test_wrong_key_finds_nothing() -> None:
    image = texture(21)
    marked = embed(image, "deadbeef", key="right key")
    for key in ("wrong key", "right key ", DEFAULT_KEY, b"\x00"):
        result = detect(marked, key=key)
        assert not result.detected
        assert result.message is None
        assert result.p_value > 1e-4


def test_unmarked_image_is_not_detected() -> None:
    result = detect(texture(31))
    assert isinstance(result, WatermarkResult)
    assert not result.detected and result.message is None
    assert result.details["decoded_message"]  # the best guess is always reported
    assert len(result.bit_confidences) == 32


@pytest.mark.parametrize(
    ("name", "attack"),
    [
        ("jpeg50", lambda im: jpeg(im, 50)),
        ("resize0.5", lambda im: resize(im, 0.5)),
    ],
)
def test_jpeg50_and_half_size_keep_the_message(
    name: str, attack: Callable[[np.ndarray], np.ndarray]
) -> None:
    image = texture(41, 512, 512)
    marked = embed(image, "0badf00d", key="k")
    result = detect(attack(marked), key="k")
    assert result.detected, name
    assert result.message == "0badf00d"


def test_geometry_is_recovered() -> None:
    image = texture(51, 448, 512)
    marked = embed(image, "12345678", key="k")
    pil = Image.fromarray(marked)
    rotated = np.asarray(pil.rotate(7, resample=Image.Resampling.BICUBIC))
    h, w = marked.shape[:2]
    cropped = marked[h // 5 : h // 5 + int(h * 0.71), w // 7 : w // 7 + int(w * 0.71)]
    flipped = marked[:, ::-1]
    for attacked in (rotated, cropped, flipped):
        assert detect(attacked, key="k").message == "12345678"


def test_null_p_values_are_uniform_ish() -> None:
    """On unmarked images the p-value is never anti-conservative, and not far from uniform.

    It is a union bound over hypotheses that are in fact correlated (neighbouring
    shifts, and the coarse layer's score barely changes within one coarse chip), so
    it leans conservative; a one-sided test checks that it never leans the other way.
    """
    from scipy import stats

    pvalues = np.array([detect(texture(1000 + i, 256, 256)).p_value for i in range(200)])
    ks = stats.kstest(pvalues, "uniform", alternative="greater")  # more small p than uniform?
    assert ks.pvalue > 0.001, ks
    assert 0.3 <= float(np.mean(pvalues <= 0.5)) <= 0.6  # informative, not stuck near 1
    for alpha in (0.05, 0.1, 0.25, 0.5):
        share = float(np.mean(pvalues <= alpha))
        assert share <= alpha + 3 * math.sqrt(alpha * (1 - alpha) / len(pvalues)), (alpha, share)


def test_smooth_images_survive_webp_through_the_coarse_layer() -> None:
    """WebP flattens a smooth image's fine chips; the coarse layer still carries the mark."""
    for seed in range(4):
        message = f"5eed{seed:04x}"
        result = detect(webp(embed(smooth(seed), message), 50))
        assert result.detected and result.message == message, (seed, result.details)
        assert result.details["coarse_angle_deg"] > 0  # found through the coarse layer
        assert result.details["coarse_chip_snr"] > 3 * result.details["chip_snr"]


def test_sync_tail_matches_simulation() -> None:
    """The exact tail of the best combined sync score agrees with a simulation."""
    rng = np.random.default_rng(0)
    fine, coarse = rng.standard_normal((2, 2_000_000))
    best = np.max([math.cos(t) * fine + math.sin(t) * coarse for t in COARSE_ANGLES], axis=0)
    for z in (1.0, 2.0, 3.0):
        simulated = float(np.mean(best >= z))
        assert sync_tail(z) == pytest.approx(simulated, rel=0.03), z
    assert sync_tail(5.3) == pytest.approx(2.71 * gaussian_sf(5.3), rel=0.01)


def test_quality_and_flat_areas() -> None:
    image = texture(61, 384, 384)
    image[:128] = 120  # a perfectly flat band
    marked = embed(image, "cafebabe")
    diff = marked.astype(float) - image.astype(float)
    psnr = 10 * math.log10(255**2 / np.mean(diff**2))
    assert psnr > 39.5
    change = diff.mean(axis=2).astype(np.float32)
    detail = change - cv2.GaussianBlur(change, (0, 0), 3.0)

    def rms(a: np.ndarray) -> float:
        return float(np.sqrt(np.mean(a**2)))

    # fine detail (the texture-masked layer) is far weaker in the flat band; all told,
    # with the coarse layer that smooth areas carry, the flat band still changes less
    assert rms(detail[8:120]) < 0.6 * rms(detail[136:])
    assert rms(change[8:120]) < 0.9 * rms(change[136:])


def test_grey_rgba_float_and_pil_inputs() -> None:
    colour = texture(71)
    grey = colour[..., 1].copy()
    marked_grey = embed(grey, 7, key="g")
    assert marked_grey.shape == grey.shape
    assert detect(marked_grey, key="g").message == "00000007"

    alpha = np.random.default_rng(0).integers(0, 256, grey.shape, dtype=np.uint8)
    rgba = np.dstack([colour, alpha])
    marked_rgba = embed(rgba, 8, key="g")
    assert marked_rgba.shape == rgba.shape
    assert np.array_equal(marked_rgba[..., 3], alpha)
    assert detect(marked_rgba, key="g").message == "00000008"

    as_float = colour.astype(np.float32) / 255
    marked_float = embed(as_float, 9, key="g")
    assert marked_float.dtype == np.float32 and marked_float.max() <= 1.0
    assert detect(marked_float, key="g").message == "00000009"

    marked_pil = embed(Image.fromarray(colour), 10, key="g")
    assert detect(Image.fromarray(marked_pil), key="g").message == "0000000a"
    assert not np.shares_memory(marked_pil, colour)


def test_inputs_are_not_modified() -> None:
    image = texture(81)
    before = image.copy()
    embed(image, 1)
    detect(image)
    assert np.array_equal(image, before)


@pytest.mark.parametrize(
    ("message", "error"),
    [
        ("", ValueError),
        ("123456789", ValueError),
        ("xyz", ValueError),
        (2**32, ValueError),
        (-1, ValueError),
        (b"12345", ValueError),
        (1.5, TypeError),
        (True, TypeError),
    ],
)
def test_bad_messages_are_refused(message: object, error: type[Exception]) -> None:
    with pytest.raises(error):
        message_bits(message)  # type: ignore[arg-type]


def test_bad_arguments_are_refused() -> None:
    image = texture(91)
    with pytest.raises(ValueError, match="strength"):
        embed(image, 1, strength=0)
    with pytest.raises(ValueError, match="key"):
        embed(image, 1, key="")
    with pytest.raises(ValueError, match="at least"):
        embed(image[:100], 1)
    with pytest.raises(ValueError, match="threshold"):
        detect(image, threshold=0)
    with pytest.raises(TypeError):
        embed(image.astype(np.int32), 1)


def test_message_hex_round_trip() -> None:
    for value in (0, 1, 0xC0FFEE42, 2**32 - 1):
        assert bits_to_hex(message_bits(value)) == f"{value:08x}"


def test_crc16_reference_value() -> None:
    # CRC-16/CCITT-FALSE of b"123456789" is 0x29B1 (the catalogue's check value)
    bits = np.unpackbits(np.frombuffer(b"123456789", dtype=np.uint8))
    crc = crc16(bits)
    assert int("".join(map(str, crc)), 2) == 0x29B1


def test_convolutional_code_corrects_errors() -> None:
    rng = np.random.default_rng(5)
    info = rng.integers(0, 2, 48).astype(np.uint8)
    coded = conv_encode(info)
    assert coded.size == (48 + 6) * 3
    llr = (1.0 - 2.0 * coded) * 4.0
    flip = rng.choice(coded.size, 12, replace=False)  # 12 hard errors, spread out
    llr[flip] *= -1
    decoded, info_llr = conv_decode(llr, 48)
    assert np.array_equal(decoded, info)
    assert np.all(np.sign(info_llr) == 1 - 2.0 * info)


def test_photos_survive_jpeg50_and_half_size(shared_data: Callable[..., Path]) -> None:
    folder = shared_data("photos", "kodak24")
    for name in ("03.png", "23.png"):
        with Image.open(folder / name) as im:
            photo = np.asarray(im.convert("RGB").resize((512, 341), Image.Resampling.LANCZOS))
        marked = embed(photo, "c0ffee42", key="photo key")
        for attacked in (jpeg(marked, 50), resize(marked, 0.5)):
            assert detect(attacked, key="photo key").message == "c0ffee42", name


def test_small_photos_survive_rotation_and_reshare(shared_data: Callable[..., Path]) -> None:
    """Strongly textured photos at 512 px, whose lattice peaks are weak: the square
    lattice scans still find the tile after a 15-degree rotation (cropped) and after
    an offset crop, downscaling and JPEG."""
    folder = shared_data("photos", "kodak24")
    for name in ("08.png", "13.png"):
        with Image.open(folder / name) as im:
            photo = np.asarray(im.convert("RGB").resize((512, 341), Image.Resampling.LANCZOS))
        marked = embed(photo, "5ca1ab1e", key="photo key")
        rotated = np.asarray(Image.fromarray(marked).rotate(15, Image.Resampling.BICUBIC))
        inscribed = rotated[58:283, 22:489]  # inside the black corners
        h, w = marked.shape[:2]
        reshared = jpeg(resize(marked[30 : 30 + int(0.9 * h), 20 : 20 + int(0.9 * w)], 0.75), 75)
        for attacked in (inscribed, reshared):
            assert detect(attacked, key="photo key").message == "5ca1ab1e", name


def test_hypothesis_count_covers_every_lattice_found() -> None:
    """The p-value counts each lattice the (key-blind) search returned, tried or not,
    and the full budget of a frequency band it skipped."""
    per_lattice = 8 * 4 * 33 * 33
    image = texture(71, 384, 448)
    for result in (detect(image), detect(embed(image, "12345678"))):
        details = result.details
        skipped_bands = 2 - details["bands_searched"]
        budget = details["search_budget"]["lattices"]
        assert details["lattices"] <= details["lattices_found"] <= budget
        expected = details["lattices_found"] + skipped_bands * budget // 2
        assert details["hypotheses"] == max(1, expected) * per_lattice
