"""``pixelproof scan``: JSON Lines rows, exit codes, analyzer selection, heat-maps."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from pixelproof import __version__
from pixelproof.cli import app
from pixelproof.io import IMAGE_EXTENSIONS, sniff_format

from .._images import encode, noise, smooth, with_orientation, write_blank_png

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def images(tmp_path: Path) -> Path:
    """A folder of three good images of known sizes, plus a README."""
    folder = tmp_path / "images"
    folder.mkdir()
    (folder / "a.jpg").write_bytes(encode(smooth(40, 56), "JPEG", quality=90))
    (folder / "b.png").write_bytes(encode(noise(30, 20), "PNG"))
    (folder / "c.webp").write_bytes(encode(smooth(24, 32), "WEBP", quality=90))
    (folder / "README").write_text("three images\n")
    return folder


@pytest.fixture
def with_broken(images: Path) -> Path:
    data = encode(noise(64, 64), "JPEG", quality=90)
    (images / "broken.jpg").write_bytes(data[: len(data) // 2])
    return images


SIZES = {"a.jpg": (56, 40), "b.png": (20, 30), "c.webp": (32, 24)}


def run(*args: str) -> Any:
    result = CliRunner().invoke(app, list(args))
    assert "Traceback" not in result.output
    if result.exception is not None:
        assert isinstance(result.exception, SystemExit), repr(result.exception)
    return result


def rows_of(stdout: str) -> list[dict[str, Any]]:
    lines = [line for line in stdout.splitlines() if line.strip()]
    return [json.loads(line) for line in lines]


def by_name(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {Path(row["path"]).name: row for row in rows}


def analyzers_of(row: dict[str, Any]) -> list[str]:
    return [evidence["analyzer"] for evidence in row["evidence"]]


def test_scan_folder_json_rows(images: Path) -> None:
    result = run("scan", str(images), "--json")

    assert result.exit_code == 0
    rows = rows_of(result.stdout)
    assert sorted(by_name(rows)) == ["a.jpg", "b.png", "c.webp"]
    for row in rows:
        assert row["schema_version"] == "1.0"
        assert Path(row["path"]).parent == images
        assert "error" not in row
        name = Path(row["path"]).name
        assert (row["image"]["width"], row["image"]["height"]) == SIZES[name]
        assert len(row["sha256"]) == 64
        assert set(analyzers_of(row)) >= {"ela", "metadata"}
        for evidence in row["evidence"]:
            assert evidence["score"] is None or 0.0 <= evidence["score"] <= 1.0
            assert evidence["heatmap"] is None  # no --heatmap-dir
    assert by_name(rows)["a.jpg"]["image"]["format"] == "JPEG"
    assert by_name(rows)["c.webp"]["image"]["format"] == "WEBP"
    assert "skipped 1 non-image" in result.stderr


def test_one_broken_input_gives_an_error_row_and_exit_1(with_broken: Path) -> None:
    result = run("scan", str(with_broken), "--json")

    assert result.exit_code == 1
    rows = by_name(rows_of(result.stdout))
    assert sorted(rows) == ["a.jpg", "b.png", "broken.jpg", "c.webp"]
    broken = rows["broken.jpg"]
    assert broken["schema_version"] == "1.0"
    assert broken["error_type"] == "corrupt_image"
    assert broken["error"] and "\n" not in broken["error"]
    assert "evidence" not in broken
    assert all("error" not in rows[name] for name in SIZES)


def test_missing_path_gives_an_error_row_in_order(images: Path) -> None:
    missing = str(images / "nope.jpg")
    result = run("scan", str(images / "a.jpg"), missing, str(images / "b.png"), "--json")

    assert result.exit_code == 1
    rows = rows_of(result.stdout)
    assert [row["path"] for row in rows] == [str(images / "a.jpg"), missing, str(images / "b.png")]
    assert rows[1]["error_type"] == "not_found"
    assert rows[1]["schema_version"] == "1.0"
    assert "error" not in rows[0] and "error" not in rows[2]


def test_glob_matching_nothing_gives_an_error_row(images: Path) -> None:
    pattern = str(images / "*.gif")
    result = run("scan", str(images / "a.jpg"), pattern, "--json")
    assert result.exit_code == 1
    rows = rows_of(result.stdout)
    assert [row["path"] for row in rows] == [str(images / "a.jpg"), pattern]
    assert rows[1]["error_type"] == "not_found"


def test_glob_input(images: Path) -> None:
    result = run("scan", str(images / "*.png"), "--json")
    assert result.exit_code == 0
    assert list(by_name(rows_of(result.stdout))) == ["b.png"]


@pytest.mark.parametrize("option", ["--only", "--skip"])
def test_unknown_analyzer_is_a_usage_error(images: Path, option: str) -> None:
    result = run("scan", str(images), "--json", option, "no-such-analyzer")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "no-such-analyzer" in result.stderr


def test_no_inputs_is_a_usage_error(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "notes.md").write_text("nothing to see\n")
    result = run("scan", str(empty), "--json")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "no image files" in result.stderr


def test_no_arguments_is_a_usage_error() -> None:
    assert run("scan").exit_code == 2


def test_only_ela_leaves_just_ela(images: Path) -> None:
    result = run("scan", str(images), "--json", "--only", "ela")
    assert result.exit_code == 0
    for row in rows_of(result.stdout):
        assert analyzers_of(row) == ["ela"]


def test_only_accepts_capabilities_and_comma_lists(images: Path) -> None:
    rows = rows_of(run("scan", str(images / "a.jpg"), "--json", "--only", "forensics").stdout)
    assert "ela" in analyzers_of(rows[0])
    assert {e["capability"] for e in rows[0]["evidence"]} == {"forensics"}
    rows = rows_of(run("scan", str(images / "a.jpg"), "--json", "--only", "ela").stdout)
    assert analyzers_of(rows[0]) == ["ela"]
    rows = rows_of(run("scan", str(images / "a.jpg"), "--json", "--only", "ela,metadata").stdout)
    assert sorted(analyzers_of(rows[0])) == ["ela", "metadata"]


def test_skip_forensics_removes_ela(images: Path) -> None:
    result = run("scan", str(images), "--json", "--skip", "forensics")
    assert result.exit_code == 0
    for row in rows_of(result.stdout):
        names = analyzers_of(row)
        assert "ela" not in names
        assert "metadata" in names


def _without_timings(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    for row in rows:
        for evidence in row.get("evidence", []):
            evidence.pop("elapsed_ms")
    return rows


def test_two_workers_give_the_same_rows(with_broken: Path) -> None:
    one = run("scan", str(with_broken), "--json", "--workers", "1")
    two = run("scan", str(with_broken), "--json", "--workers", "2")
    assert one.exit_code == two.exit_code == 1
    assert _without_timings(rows_of(one.stdout)) == _without_timings(rows_of(two.stdout))


def test_heatmap_dir_writes_grayscale_pngs_of_the_image_size(images: Path, tmp_path: Path) -> None:
    (images / "rotated.jpg").write_bytes(with_orientation(smooth(24, 40), 6, "JPEG"))
    heat = tmp_path / "heat"
    result = run("scan", str(images), "--json", "--only", "ela", "--heatmap-dir", str(heat))

    assert result.exit_code == 0
    rows = by_name(rows_of(result.stdout))
    assert rows["rotated.jpg"]["image"]["orientation"] == 6
    sizes = {**SIZES, "rotated.jpg": (24, 40)}  # oriented size, not stored size
    written = sorted(heat.iterdir())
    assert len(written) == len(sizes)
    for name, row in rows.items():
        (evidence,) = row["evidence"]
        heatmap = Path(evidence["heatmap"])
        assert heatmap.parent == heat and heatmap.exists()
        with Image.open(heatmap) as image:
            assert image.format == "PNG"
            assert image.mode == "L"
            assert image.size == sizes[name]
            assert np.asarray(image).max() > 0  # a real map, not a blank file


def test_max_pixels_option(images: Path) -> None:
    result = run("scan", str(images), "--json", "--max-pixels", "700")
    assert result.exit_code == 1
    rows = by_name(rows_of(result.stdout))
    assert "error" not in rows["b.png"]  # 600 pixels
    assert rows["a.jpg"]["error_type"] == "too_many_pixels"
    assert "\n" not in rows["a.jpg"]["error"]


def test_max_file_mb_option(images: Path) -> None:
    result = run("scan", str(images / "b.png"), "--json", "--max-file-mb", "0.001")
    assert result.exit_code == 1
    assert rows_of(result.stdout)[0]["error_type"] == "file_too_large"


def test_decompression_bomb_gives_an_error_row(tmp_path: Path) -> None:
    bomb = write_blank_png(tmp_path / "bomb.png", 30_000, 30_000, bit_depth=1)
    result = run("scan", str(bomb), "--json")
    assert result.exit_code == 1
    (row,) = rows_of(result.stdout)
    assert row["error_type"] == "too_many_pixels"
    assert "30000x30000" in row["error"]


@pytest.mark.parametrize(
    ("content", "error_type"),
    [(b"", "empty_file"), (b"plain text, not pixels\n" * 4, "unsupported_format")],
)
def test_explicit_non_images_give_typed_error_rows(
    tmp_path: Path, content: bytes, error_type: str
) -> None:
    path = tmp_path / "file.jpg"
    path.write_bytes(content)
    result = run("scan", str(path), "--json")
    assert result.exit_code == 1
    assert rows_of(result.stdout)[0]["error_type"] == error_type


def test_text_output(with_broken: Path) -> None:
    result = run("scan", str(with_broken))
    assert result.exit_code == 1
    out = result.stdout
    assert "a.jpg" in out and "JPEG 56x40" in out
    assert "broken.jpg" in out and "corrupt_image" in out
    assert "ela" in out
    with pytest.raises(json.JSONDecodeError):
        json.loads(out.splitlines()[0])


def test_version() -> None:
    result = run("--version")
    assert result.exit_code == 0
    assert result.stdout.strip() == f"pixelproof {__version__}"


def _python_m_pixelproof(*args: str, cwd: Path, timeout: float = 120) -> Any:
    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT / "src"))
    return subprocess.run(
        [sys.executable, "-m", "pixelproof", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def test_python_m_pixelproof_real_process(with_broken: Path) -> None:
    done = _python_m_pixelproof("scan", with_broken.name, "--json", cwd=with_broken.parent)

    assert done.returncode == 1
    assert "Traceback" not in done.stdout + done.stderr
    rows = rows_of(done.stdout)
    assert sorted(row["path"] for row in rows) == sorted(
        f"{with_broken.name}/{name}" for name in ["a.jpg", "b.png", "broken.jpg", "c.webp"]
    )
    assert all(row["schema_version"] == "1.0" for row in rows)
    assert by_name(rows)["broken.jpg"]["error_type"] == "corrupt_image"


def _counts_as_image(path: Path) -> bool:
    """Independent of pixelproof's own filter: extension or magic bytes."""
    if path.name.startswith("."):
        return False
    if path.suffix.lower() in IMAGE_EXTENSIONS:
        return True
    head = path.read_bytes()[:32]
    return sniff_format(head) is not None or head[:2] == b"\xff\xd8"


def test_shared_exif_samples_scan(shared_data: Callable[..., Path]) -> None:
    folder = shared_data("photos", "exif-samples")
    expected = sorted(
        str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file() and _counts_as_image(p)
    )
    assert len(expected) > 50

    # As a user types it from the repository root: ../shared/data/photos/exif-samples
    relative = Path(os.path.relpath(folder, REPO_ROOT))
    done = _python_m_pixelproof(
        "scan", str(relative), "--json", "--workers", "4", cwd=REPO_ROOT, timeout=240
    )

    assert "Traceback" not in done.stdout + done.stderr
    rows = rows_of(done.stdout)
    assert all(row["schema_version"] == "1.0" for row in rows)
    paths = sorted(str(Path(row["path"]).relative_to(relative)) for row in rows)
    assert paths == expected
    errors = {
        str(Path(row["path"]).relative_to(relative)): row["error_type"]
        for row in rows
        if "error" in row
    }
    # Only the truly undecodable file fails; the malformed-EXIF samples load.
    assert errors == {os.path.join("jpg", "corrupted.jpg"): "corrupt_image"}
    assert done.returncode == 1
