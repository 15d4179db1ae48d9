"""The reader of the Stable Diffusion (invisible-watermark dwtDct) mark."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

from ._images import texture

pytest.importorskip("cv2")

from pixelproof.watermark import (
    SD_V1_MESSAGE,
    SDXL_MESSAGE_BITS,
    detect,
    embed,
    read_stable_diffusion_mark,
)

needs_package = pytest.mark.skipif(
    importlib.util.find_spec("imwatermark") is None or importlib.util.find_spec("pywt") is None,
    reason="invisible-watermark and PyWavelets are not installed",
)


def _sd_marked(image: np.ndarray, bits: list[int]) -> np.ndarray:
    from pixelproof.watermark._stable_diffusion import _load_max_dct

    encoder = _load_max_dct().EmbedMaxDct(watermarks=bits, wmLen=len(bits))
    bgr = np.ascontiguousarray(image[..., ::-1])
    return np.ascontiguousarray(np.clip(encoder.encode(bgr), 0, 255).astype(np.uint8)[..., ::-1])


def test_published_constants() -> None:
    assert SD_V1_MESSAGE == b"StableDiffusionV1"
    assert int(SDXL_MESSAGE_BITS, 2) == 0b101100111110110010010000011110111011000110011110


def test_unmarked_images_are_clean() -> None:
    for seed in range(5):
        result = read_stable_diffusion_mark(texture(200 + seed))
        assert not result.detected
        assert result.p_value > 1e-4


@needs_package
@pytest.mark.parametrize(
    ("variant", "bits"),
    [
        ("sdxl", [int(b) for b in SDXL_MESSAGE_BITS]),
        ("sd-v1", np.unpackbits(np.frombuffer(SD_V1_MESSAGE, np.uint8)).tolist()),
    ],
)
def test_sd_marks_are_read_and_not_confused_with_ours(variant: str, bits: list[int]) -> None:
    marked = _sd_marked(texture(300, 512, 512), bits)
    for backend in ("numpy", "invisible-watermark"):
        result = read_stable_diffusion_mark(marked, backend=backend)
        assert result.detected and result.message == variant, backend
    assert not detect(marked).detected


@needs_package
def test_vectorised_decoder_matches_the_package() -> None:
    image = texture(400, 384, 512)
    a = read_stable_diffusion_mark(image, backend="numpy")
    b = read_stable_diffusion_mark(image, backend="invisible-watermark")
    assert a.details["sdxl"] == b.details["sdxl"]
    assert a.details["sd-v1"] == b.details["sd-v1"]


def test_our_mark_is_not_read_as_stable_diffusion() -> None:
    assert not read_stable_diffusion_mark(embed(texture(500), "c0ffee42")).detected
