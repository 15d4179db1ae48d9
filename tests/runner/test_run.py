"""The runner: one row per input in order, one error vocabulary, limits, safe side files."""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from pixelproof.cli import app
from pixelproof.io import LoadedImage, LoadLimits
from pixelproof.runner import ErrorType, Row, run
from pixelproof.settings import Settings
from pixelproof.tasks.meta import MetaTask


@dataclass(frozen=True)
class Brightness:
    value: float

    def to_dict(self) -> dict[str, Any]:
        return {"brightness": self.value, "warnings": ["from the task"]}


@dataclass(frozen=True)
class BrightnessTask:
    """Mean brightness; sleeps on images named 'slow', fails on images named 'bad'."""

    command: ClassVar[str] = "brightness"

    def process(self, image: LoadedImage, path: str, settings: Settings) -> Brightness:
        if "slow" in path:
            time.sleep(60)
        if "bad" in path:
            raise ValueError("cannot measure this one")
        return Brightness(float(image.pixels.mean()))


def _png(path: Path, value: int) -> str:
    Image.fromarray(np.full((32, 48, 3), value, np.uint8)).save(path)
    return str(path)


def test_rows_in_input_order_with_one_error_vocabulary(tmp_path: Path) -> None:
    good = _png(tmp_path / "a.png", 10)
    bad = _png(tmp_path / "bad.png", 20)
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8\xff\xe0 not a jpeg")
    inputs = [good, str(tmp_path / "missing.png"), bad, str(broken), str(tmp_path / "*.gif")]
    rows = list(run(BrightnessTask(), inputs))
    assert [r.path for r in rows] == inputs
    assert [r.error_type for r in rows] == [
        None,
        ErrorType.NOT_FOUND,
        ErrorType.ANALYSIS_ERROR,
        ErrorType.CORRUPT_IMAGE,  # a JPEG header and nothing after it
        ErrorType.NOT_FOUND,
    ]
    first = rows[0].to_dict()
    assert first["brightness"] == 10.0 and first["schema_version"] == "1.0"
    assert first["image"]["width"] == 48 and len(first["sha256"]) == 64
    assert first["warnings"] == ["from the task"]
    assert set(rows[2].to_dict()) == {"schema_version", "path", "error", "error_type"}


def test_an_input_past_the_time_limit_becomes_a_timeout_row(tmp_path: Path) -> None:
    inputs = [_png(tmp_path / n, 30) for n in ("a.png", "slow.png", "c.png")]
    started = time.monotonic()
    rows = list(run(BrightnessTask(), inputs, settings=Settings(time_limit_s=2.0), workers=2))
    assert time.monotonic() - started < 30
    assert [r.error_type for r in rows] == [None, ErrorType.TIMEOUT, None]
    assert rows[2].ok and rows[2].result is not None and rows[2].result.value == 30.0


def test_metadata_is_read_from_files_whose_pixels_are_damaged(tmp_path: Path) -> None:
    whole = tmp_path / "whole.jpg"
    Image.fromarray(np.full((64, 64, 3), 90, np.uint8)).save(whole, quality=90)
    cut = tmp_path / "cut.jpg"
    cut.write_bytes(whole.read_bytes()[:-200])
    (row,) = run(MetaTask(), [str(cut)])
    assert row.ok and row.to_dict()["format"] == "JPEG"
    assert any("pixels not decoded" in w for w in row.to_dict()["warnings"])


def _damaged_png(tmp_path: Path) -> Path:
    rng = np.random.default_rng(3)
    source = tmp_path / "photo.png"
    Image.fromarray(rng.integers(0, 255, (96, 128, 3), dtype=np.uint8)).save(source)
    data = bytearray(source.read_bytes())
    data[len(data) // 2] ^= 0xFF  # inside the image data: the IDAT CRC no longer holds
    damaged = tmp_path / "damaged.png"
    damaged.write_bytes(bytes(data))
    return damaged


def test_damaged_files_are_refused_unless_allowed_and_then_never_judged(tmp_path: Path) -> None:
    damaged = str(_damaged_png(tmp_path))
    runner = CliRunner()
    refused = runner.invoke(app, ["forensics", damaged, "--json", "-a", "ela,noise"])
    assert refused.exit_code == 1
    assert json.loads(refused.stdout)["error_type"] == "corrupt_image"
    allowed = runner.invoke(
        app, ["forensics", damaged, "--json", "-a", "ela,noise", "--allow-damaged"]
    )
    row = json.loads(allowed.stdout)
    assert row["label"] == "inconclusive" and "damaged" in row["explanation"]
    assert any(w.startswith("damaged:") for w in row["warnings"])
    settings = Settings(limits=LoadLimits(allow_damaged=True))
    (meta_row,) = run(MetaTask(), [damaged], settings=settings)
    assert any(w.startswith("damaged:") for w in meta_row.to_dict()["warnings"])


def test_embedding_into_the_input_folder_never_overwrites_the_input(tmp_path: Path) -> None:
    rng = np.random.default_rng(5)
    source = tmp_path / "photo.png"
    Image.fromarray(rng.integers(0, 255, (300, 300, 3), dtype=np.uint8)).save(source)
    before = source.read_bytes()
    result = CliRunner().invoke(
        app,
        ["watermark", "embed", str(source), "--out-dir", str(tmp_path), "--message", "1",
         "--json"],
    )  # fmt: skip
    assert result.exit_code == 1
    assert json.loads(result.stdout)["error_type"] == "unsafe_output"
    assert source.read_bytes() == before


def test_heatmaps_are_never_written_through_an_existing_link(tmp_path: Path) -> None:
    source = tmp_path / "in" / "x.png"
    source.parent.mkdir()
    _png(source, 60)
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    folder = tmp_path / "heat"
    folder.mkdir()
    from pixelproof.io import load_image
    from pixelproof.runner import side_file_path

    sha = load_image(source).sha256
    os.symlink(victim, side_file_path(folder, str(source), sha, "forensics", ".png"))
    result = CliRunner().invoke(
        app, ["forensics", str(source), "-a", "noise", "--heatmap-dir", str(folder), "--json"]
    )
    assert json.loads(result.stdout)["error_type"] == "unsafe_output"
    assert victim.read_text() == "keep me"


def test_settings_from_a_config_file_and_options(tmp_path: Path) -> None:
    config = tmp_path / "pixelproof.toml"
    (tmp_path / "key.bin").write_bytes(b"s3cret\n")
    config.write_text(
        'watermark_key_file = "key.bin"\nmax_pixels = 1000\ntime_limit_s = 5\n'
        "allow_damaged = true\nmemory_limit_mb = 2048\n"
    )
    settings = Settings.from_file(config)
    assert settings.key == b"s3cret" and not settings.demo_key
    assert settings.limits.max_pixels == 1000 and settings.limits.allow_damaged
    assert settings.time_limit_s == 5.0 and settings.memory_limit_bytes == 2048 * 2**20
    config.write_text('watermark_key = "x"\nkeys = 1\n')
    with pytest.raises(ValueError, match="unknown setting"):
        Settings.from_file(config)


def test_a_config_limit_reaches_every_row(tmp_path: Path) -> None:
    config = tmp_path / "pixelproof.toml"
    config.write_text("max_pixels = 100\n")
    image = _png(tmp_path / "a.png", 1)
    result = CliRunner().invoke(app, ["meta", image, "--json", "--config", str(config)])
    assert result.exit_code == 0  # metadata is still read from an image too large to decode
    result = CliRunner().invoke(
        app, ["forensics", image, "-a", "noise", "--json", "--config", str(config)]
    )
    assert json.loads(result.stdout)["error_type"] == "too_many_pixels"


def test_rows_are_typed_envelopes() -> None:
    row: Row[Any] = Row.failed("x", ErrorType.TIMEOUT, "took too long")
    assert row.to_dict() == {
        "schema_version": "1.0",
        "path": "x",
        "error": "took too long",
        "error_type": "timeout",
    }


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes")
def test_a_folder_with_a_fifo_a_device_link_and_a_folder_named_like_an_image(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    _png(folder / "a.png", 40)
    os.mkfifo(folder / "pipe.jpg")
    (folder / "zero.png").symlink_to("/dev/zero")
    (folder / "dir.jpg").mkdir()
    result = CliRunner().invoke(
        app, ["meta", str(folder), "--json", "--workers", "2", "--time-limit", "30"]
    )
    rows = {Path(r["path"]).name: r for r in map(json.loads, result.stdout.splitlines())}
    assert set(rows) == {"a.png", "pipe.jpg", "zero.png", "dir.jpg"}
    assert "error" not in rows["a.png"]
    assert rows["pipe.jpg"]["error_type"] == "not_a_regular_file"
    assert rows["zero.png"]["error_type"] == "not_a_regular_file"
    assert rows["dir.jpg"]["error_type"] == "not_a_file"
    assert "3 input(s) are not regular files" in result.stderr
    assert result.exit_code == 1


def test_embedding_never_writes_through_a_link_in_the_output_folder(tmp_path: Path) -> None:
    rng = np.random.default_rng(6)
    source = tmp_path / "in" / "photo.png"
    source.parent.mkdir()
    Image.fromarray(rng.integers(0, 255, (300, 300, 3), dtype=np.uint8)).save(source)
    out = tmp_path / "out"
    out.mkdir()
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    (out / "photo.png").symlink_to(victim)
    result = CliRunner().invoke(
        app, ["watermark", "embed", str(source), "--out-dir", str(out), "--message", "2", "--json"]
    )
    assert json.loads(result.stdout)["error_type"] == "unsafe_output"
    assert victim.read_text() == "keep me"


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    import struct
    import zlib

    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def test_a_palette_longer_transparency_chunk_is_a_corrupt_image(tmp_path: Path) -> None:
    # Found by benchmarks/hostile_corpus.py: Pillow's palette conversion raised a bare
    # ValueError, reported as analysis_error by every command.
    rng = np.random.default_rng(2)
    source = tmp_path / "p.png"
    Image.fromarray(rng.integers(0, 255, (48, 64), dtype=np.uint8), "P").save(source)
    data = source.read_bytes()
    at = data.index(b"IDAT") - 4
    odd = tmp_path / "long-trns.png"
    odd.write_bytes(data[:at] + _png_chunk(b"tRNS", bytes([128]) * 600) + data[at:])
    (row,) = run(BrightnessTask(), [str(odd)])
    assert row.error_type == ErrorType.CORRUPT_IMAGE


def test_a_zero_quantization_step_does_not_break_the_double_jpeg_analysis(
    tmp_path: Path,
) -> None:
    # Found by benchmarks/hostile_corpus.py: a DQT entry of 0 divided by zero in `dq`.
    rng = np.random.default_rng(8)
    y, x = np.mgrid[0:512, 0:512]
    scene = (128 + 60 * np.sin(x / 9.0) + 50 * np.cos(y / 13.0))[..., None]
    noisy = np.clip(scene + rng.normal(0, 12, (512, 512, 3)), 0, 255).astype(np.uint8)
    source = tmp_path / "q.jpg"
    Image.fromarray(noisy).save(source, quality=80)
    data = bytearray(source.read_bytes())
    table = data.index(b"\xff\xdb") + 5  # marker, length (2), precision/id (1)
    data[table + 12] = 0
    zeroed = tmp_path / "zero-step.jpg"
    zeroed.write_bytes(bytes(data))
    result = CliRunner().invoke(app, ["forensics", str(zeroed), "-a", "dq", "--json"])
    row = json.loads(result.stdout)
    assert row.get("error_type") != "analysis_error", row
