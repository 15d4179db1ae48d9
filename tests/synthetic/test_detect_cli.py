"""``pixelproof detect`` and ``pixelproof train detect`` end to end."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from pixelproof.cli import app

from .test_features import natural


def run(*args: str) -> Any:
    result = CliRunner().invoke(app, list(args))
    assert "Traceback" not in result.output
    if result.exception is not None:
        assert isinstance(result.exception, SystemExit), repr(result.exception)
    return result


def rows_of(stdout: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stdout.splitlines() if line.startswith("{")]


def upsampled(height: int, width: int, seed: int) -> np.ndarray:
    """A stand-in for a generated image: a small image blown up by nearest neighbour."""
    small = natural(height // 4, width // 4, seed)
    return np.repeat(np.repeat(small, 4, axis=0), 4, axis=1)


@pytest.fixture
def images(tmp_path: Path) -> Path:
    folder = tmp_path / "in"
    folder.mkdir()
    Image.fromarray(natural(300, 420)).save(folder / "photo.jpg", quality=92)
    Image.fromarray(upsampled(320, 320, 1)).save(folder / "made.png")
    (folder / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 40)
    return folder


def test_detect_json_rows(images: Path, tmp_path: Path) -> None:
    result = run("detect", str(images), "--json", "--heatmap-dir", str(tmp_path / "heat"))
    assert result.exit_code == 1  # the broken file
    rows = {Path(r["path"]).name: r for r in rows_of(result.stdout)}
    assert rows["broken.png"]["error_type"]
    for name in ("photo.jpg", "made.png"):
        row = rows[name]
        assert 0.0 <= row["score"] <= 1.0
        assert row["label"] in ("synthetic", "real", "inconclusive")
        assert row["evidence"][0]["source"] == "pixels"
        assert row["generator"] in (None, "unknown")
        assert set(row["stability"]["copies"]) == {"original", "jpeg75", "half"}
        with Image.open(row["heatmap"]) as heat:
            assert heat.mode == "L"
            assert heat.size == Image.open(images / name).size


def test_bad_model_folder_is_a_usage_error(images: Path, tmp_path: Path) -> None:
    result = run("detect", str(images / "photo.jpg"), "--model", str(tmp_path))
    assert result.exit_code == 2
    assert "model.json missing" in result.output


def test_train_detect_end_to_end_on_a_small_folder(tmp_path: Path) -> None:
    root = tmp_path / "data"
    for label, make in (("0_real", natural), ("1_fake", upsampled)):
        folder = root / "things" / label
        folder.mkdir(parents=True)
        for i in range(4):
            Image.fromarray(make(256, 256, i)).save(folder / f"{i}.png")
    out = tmp_path / "model"
    result = run("train", "detect", str(root), "--out", str(out), "--copies", "1")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["real_images"] == summary["fake_images"] == 4
    assert summary["fit_rows"] == 6 and summary["select_rows"] == 6
    assert summary["format_parity"] is True
    assert (out / "probe.npz").stat().st_size < 100_000
    detected = run("detect", str(root), "--model", str(out), "--json", "--pixels-only")
    assert detected.exit_code == 0
    rows = rows_of(detected.stdout)
    fake = [r["score"] for r in rows if "1_fake" in r["path"]]
    real = [r["score"] for r in rows if "0_real" in r["path"]]
    assert min(fake) > max(real)  # the toy classes are easy: the model must separate them


def test_train_detect_needs_both_classes(tmp_path: Path) -> None:
    (tmp_path / "0_real").mkdir()
    result = run("train", "detect", "--real", str(tmp_path / "0_real"), "--out", str(tmp_path))
    assert result.exit_code == 2
    assert "at least 2 real and 2 fake" in result.output


def test_scan_runs_the_synthetic_analyzer_with_a_heatmap(images: Path, tmp_path: Path) -> None:
    heat = tmp_path / "heat"
    result = run(
        "scan",
        str(images / "photo.jpg"),
        "--only",
        "synthetic",
        "--json",
        "--heatmap-dir",
        str(heat),
    )
    assert result.exit_code == 0
    (row,) = rows_of(result.stdout)
    (evidence,) = row["evidence"]
    assert evidence["analyzer"] == "synthetic" and evidence["capability"] == "synthetic"
    assert evidence["label"] in ("synthetic", "real", "inconclusive")
    assert 0.0 <= evidence["score"] <= 1.0 and evidence["heatmap"]
    assert set(evidence["details"]["copies"]) == {"original", "jpeg75", "half"}


def test_a_configured_model_folder_is_relative_to_the_config_file() -> None:
    from pixelproof.settings import Settings

    settings = Settings.from_mapping({"synthetic_model": "m"}, base=Path("/cfg"))
    assert settings.synthetic_model == str(Path("/cfg") / "m")
    assert Settings().synthetic_model is None
