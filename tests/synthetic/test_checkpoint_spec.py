"""``KIND:PATH`` parsing and the published preprocessing: no torch needed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from pixelproof.registry import UnknownNameError
from pixelproof.synthetic.checkpoints import (
    CHECKPOINT_KINDS,
    IMAGENET_MEAN,
    IMAGENET_STD,
    CheckpointSpec,
    center_crop,
    network_input,
    parse_checkpoint_spec,
)


def test_the_two_published_kinds_are_registered() -> None:
    assert CHECKPOINT_KINDS.names()[:2] == ("cnndetection", "npr")
    assert "CC BY-NC-SA 4.0" in CHECKPOINT_KINDS.get("cnndetection").licence


@pytest.mark.parametrize(
    ("text", "kind", "path"),
    [
        ("cnndetection:/w/blur_jpg_prob0.5.pth", "cnndetection", "/w/blur_jpg_prob0.5.pth"),
        ("NPR:/w/NPR.pth", "npr", "/w/NPR.pth"),
        ("npr:/w/a:b.pth", "npr", "/w/a:b.pth"),  # only the first colon separates
        ("npr:relative/NPR.pth", "npr", "relative/NPR.pth"),
    ],
)
def test_parses_kind_and_path(text: str, kind: str, path: str) -> None:
    spec = parse_checkpoint_spec(text)
    assert spec == CheckpointSpec(kind, Path(path))
    assert str(spec) == f"{kind}:{path}"


def test_expands_the_home_directory() -> None:
    assert parse_checkpoint_spec("npr:~/NPR.pth").path == Path.home() / "NPR.pth"


@pytest.mark.parametrize("text", ["/w/NPR.pth", "npr:", ":x.pth", "npr:   ", ""])
def test_a_malformed_spec_shows_the_form_and_the_kinds(text: str) -> None:
    with pytest.raises(ValueError, match=r"KIND:PATH.*kinds: cnndetection, npr"):
        parse_checkpoint_spec(text)


def test_an_unknown_kind_lists_the_known_ones() -> None:
    with pytest.raises(UnknownNameError, match=r"unknown checkpoint kind 'dire' \(known: cnn"):
        parse_checkpoint_spec("dire:/w/dire.pth")


def test_normalisation_is_torchvisions_to_tensor_then_normalize() -> None:
    rgb = np.array([[[0, 128, 255], [255, 0, 51]]], dtype=np.uint8)  # 1 x 2 pixels
    batch = network_input(rgb)
    assert batch.shape == (1, 3, 1, 2)
    assert batch.dtype == np.float32
    # red of pixel 0 is 0 -> -mean/std; green 128 -> (128/255 - 0.456)/0.224; blue 255 -> 1.
    assert batch[0, 0, 0, 0] == pytest.approx(-0.485 / 0.229, abs=1e-6)
    assert batch[0, 1, 0, 0] == pytest.approx((128 / 255 - 0.456) / 0.224, abs=1e-6)
    assert batch[0, 2, 0, 0] == pytest.approx((1 - 0.406) / 0.225, abs=1e-6)
    assert batch[0, :, 0, 1] == pytest.approx(
        (np.array([1.0, 0.0, 0.2]) - IMAGENET_MEAN) / IMAGENET_STD
    )


def test_center_crop_offsets_round_half_to_even_like_torchvision() -> None:
    rgb = np.arange(7 * 9 * 3, dtype=np.uint8).reshape(7, 9, 3)
    # (7 - 4) / 2 = 1.5 -> 2 rows off the top; (9 - 4) / 2 = 2.5 -> 2 columns off the left.
    assert np.array_equal(center_crop(rgb, 4), rgb[2:6, 2:6])
    assert network_input(rgb, crop=4).shape == (1, 3, 4, 4)


def test_center_crop_pads_a_small_image_with_black() -> None:
    rgb = np.full((2, 3, 3), 200, dtype=np.uint8)
    out = center_crop(rgb, 5)
    assert out.shape == (5, 5, 3)
    # height 2 -> 1 row above, 2 below; width 3 -> 1 column each side.
    assert np.array_equal(np.argwhere(out[..., 0] == 200)[[0, -1]], [[1, 1], [2, 3]])
    assert int(out.sum()) == 200 * 6 * 3


@pytest.mark.parametrize(
    "bad",
    [
        np.zeros((4, 4), np.uint8),
        np.zeros((4, 4, 4), np.uint8),
        np.zeros((4, 4, 3), np.float32),
        np.zeros((0, 4, 3), np.uint8),
        [[0, 0, 0]],
    ],
)
def test_refuses_what_is_not_an_rgb_uint8_image(bad: object) -> None:
    with pytest.raises(ValueError, match="image must be"):
        network_input(bad)  # type: ignore[arg-type]


def test_importing_pixelproof_and_the_checkpoints_does_not_import_torch() -> None:
    code = (
        "import sys, pixelproof, pixelproof.synthetic.checkpoints as c;"
        "c.parse_checkpoint_spec('npr:/x.pth');"
        "print('torch' in sys.modules)"
    )
    src = Path(__file__).resolve().parents[2] / "src"
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONPATH": str(src), "PATH": "/usr/bin:/bin"},
    )
    assert result.stdout.strip() == "False"
