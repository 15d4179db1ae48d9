"""The fast scan profile: reduced JPEG decoding, what it runs, and how rows say so."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from pixelproof.cli import app
from pixelproof.io import load_image
from pixelproof.io._load import draft_scale
from pixelproof.runner import process_one
from pixelproof.settings import Settings
from pixelproof.tasks.scan import FAST_ANALYZERS, FAST_DECODE_PIXELS, ScanTask

from ._images import encode, smooth, with_orientation


def _photo(height: int, width: int) -> np.ndarray:
    """A smooth scene with texture, so that the JPEG carries real detail."""
    rng = np.random.default_rng(3)
    texture = rng.integers(-12, 13, size=(height, width, 3))
    return np.clip(smooth(height, width).astype(int) + texture, 0, 255).astype(np.uint8)


def test_draft_scale_keeps_at_least_the_requested_pixels() -> None:
    assert draft_scale((4000, 3000), FAST_DECODE_PIXELS) == 4  # 1000x750
    assert draft_scale((5657, 4243), FAST_DECODE_PIXELS) == 4  # 1415x1061
    assert draft_scale((12000, 9000), FAST_DECODE_PIXELS) == 8
    assert draft_scale((1024, 1024), FAST_DECODE_PIXELS) == 1  # 512x512 would be too few
    assert draft_scale((2000, 1500), FAST_DECODE_PIXELS) == 2
    assert draft_scale((1600, 1200), FAST_DECODE_PIXELS) == 1  # 800x600 would be too few


def test_reduced_decoding_is_the_jpeg_at_a_quarter_size(tmp_path: Path) -> None:
    pixels = _photo(480, 640)
    path = tmp_path / "photo.jpg"
    path.write_bytes(encode(pixels, "JPEG", quality=92))
    full = load_image(path)
    reduced = load_image(path, reduce_to=120 * 160)
    assert (full.decode_scale, reduced.decode_scale) == (1, 4)
    assert reduced.pixels.shape == (120, 160, 3)
    assert reduced.native_size == full.native_size == (640, 480)
    assert reduced.normalization == ["decoded at 1/4 size (160x120 of 640x480, JPEG DCT scaling)"]
    # the DCT-scaled decode is a faithful small copy: block means of the full decode
    blocks = full.pixels.reshape(120, 4, 160, 4, 3).mean(axis=(1, 3))
    assert float(np.abs(blocks - reduced.pixels).mean()) < 2.0
    assert reduced.sha256 == full.sha256 and reduced.jpeg is not None


def test_reduced_decoding_follows_the_orientation_and_leaves_png_alone(tmp_path: Path) -> None:
    turned = tmp_path / "turned.jpg"
    turned.write_bytes(with_orientation(_photo(160, 320), 6, "JPEG"))
    image = load_image(turned, reduce_to=40 * 80)
    assert image.decode_scale == 4 and image.pixels.shape == (80, 40, 3)
    assert image.native_size == (160, 320)  # orientation 6: displayed upright
    png = tmp_path / "flat.png"
    png.write_bytes(encode(_photo(160, 320), "PNG"))
    assert load_image(png, reduce_to=100).decode_scale == 1


def test_fast_rows_say_which_profile_ran_and_what_it_left_out(tmp_path: Path) -> None:
    path = tmp_path / "photo.jpg"
    path.write_bytes(encode(_photo(1500, 2000), "JPEG", quality=90))
    fast = process_one((ScanTask(), str(path), Settings(profile="fast"))).to_dict()
    assert fast["profile"] == "fast"
    ran = [e["analyzer"] for e in fast["evidence"]]
    assert set(ran) <= FAST_ANALYZERS and {"metadata", "watermark", "appearance"} <= set(ran)
    assert {"tampering", "dq", "synthetic"} <= set(fast["skipped"])
    assert not set(ran) & set(fast["skipped"])
    assert all("fast profile" in why for why in fast["skipped"].values())
    assert (
        fast["image"]["width"] == 2000
        and "decoded at 1/2 size" in fast["image"]["normalization"][0]
    )
    watermark = next(e for e in fast["evidence"] if e["analyzer"] == "watermark")
    assert "skipped" in watermark["details"]["stable_diffusion"]
    assert "not checked" in watermark["explanation"]
    default = process_one((ScanTask(only=("metadata",)), str(path), Settings())).to_dict()
    assert default["profile"] == "default" and default["skipped"] == {}
    assert default["image"]["normalization"] == []


def test_the_profile_is_checked_and_read_from_the_config(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="profile must be one of"):
        Settings(profile="quick")
    config = tmp_path / "pixelproof.toml"
    config.write_text('profile = "fast"\n')
    assert Settings.from_file(config).profile == "fast"


def test_scan_profile_option(tmp_path: Path) -> None:
    path = tmp_path / "photo.jpg"
    path.write_bytes(encode(_photo(256, 320), "JPEG", quality=90))
    result = CliRunner().invoke(
        app, ["scan", str(path), "--profile", "fast", "--only", "metadata,dq", "--json"]
    )
    assert result.exit_code == 0, result.output
    row = json.loads(result.output.strip().splitlines()[-1])
    assert row["profile"] == "fast" and list(row["skipped"]) == ["dq"]
    assert [e["analyzer"] for e in row["evidence"]] == ["metadata"]
    text = CliRunner().invoke(app, ["scan", str(path), "--profile", "fast", "--only", "dq"])
    assert "fast profile (triage): not run: dq" in text.output
    bad = CliRunner().invoke(app, ["scan", str(path), "--profile", "quick"])
    assert bad.exit_code == 2


def test_the_html_summary_flags_a_fast_row() -> None:
    from pixelproof.report._scan import chips
    from pixelproof.runner import Row
    from pixelproof.tasks.scan import ScanFindings

    findings = ScanFindings(profile="fast", skipped={"dq": "Left out by the fast profile"})
    [chip] = list(chips(Row(path="a.jpg", result=findings), {"dq": "Double JPEG"}))
    assert (chip.key, chip.text) == ("fast profile", "triage")
    assert "not run: Double JPEG" in chip.hint
    assert list(chips(Row(path="a.jpg", result=ScanFindings()), {})) == []
