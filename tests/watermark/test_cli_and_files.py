"""``pixelproof watermark embed|detect``, the file helpers and the scan analyzer."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from ._images import texture

pytest.importorskip("cv2")

from pixelproof.cli import app
from pixelproof.evidence import SharedWork
from pixelproof.io import load_image
from pixelproof.watermark import detect_file, embed_file

runner = CliRunner()


def _rows(output: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in output.splitlines() if line.startswith("{")]


@pytest.fixture
def photos(tmp_path: Path) -> Path:
    folder = tmp_path / "in"
    folder.mkdir()
    Image.fromarray(texture(1)).save(folder / "a.png")
    Image.fromarray(texture(2)).save(folder / "b.jpg", quality=95)
    return folder


def test_cli_embed_then_detect(photos: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = runner.invoke(
        app,
        [
            "watermark",
            "embed",
            str(photos / "a.png"),
            str(photos / "b.jpg"),
            "--out-dir",
            str(out),
            "--message",
            "c0ffee42",
            "--key",
            "s3cret",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    rows = _rows(result.output)
    assert [Path(str(r["path"])).name for r in rows] == ["a.png", "b.jpg"]
    assert sorted(p.name for p in out.iterdir()) == ["a.png", "b.png"]

    result = runner.invoke(
        app, ["watermark", "detect", str(out), str(photos / "a.png"), "--key", "s3cret", "--json"]
    )
    assert result.exit_code == 0, result.output
    rows = _rows(result.output)
    by_name = {(Path(str(r["path"])).parent.name, Path(str(r["path"])).name): r for r in rows}
    for name in ("a.png", "b.png"):
        row = by_name[("out", name)]
        assert row["detected"] is True and row["message"] == "c0ffee42"
        assert set(row) >= {"path", "detected", "message", "p_value", "method"}
    unmarked = by_name[("in", "a.png")]
    assert unmarked["detected"] is False and unmarked["message"] is None


def test_cli_key_file_and_auto_format(photos: Path, tmp_path: Path) -> None:
    key_file = tmp_path / "key.txt"
    key_file.write_bytes(b"file key\n")
    out = tmp_path / "out"
    result = runner.invoke(
        app,
        [
            "watermark",
            "embed",
            str(photos / "b.jpg"),
            "--out-dir",
            str(out),
            "--message",
            "1234",
            "--key-file",
            str(key_file),
            "--format",
            "auto",
            "--quality",
            "92",
        ],
    )
    assert result.exit_code == 0, result.output
    marked = out / "b.jpg"
    assert load_image(marked).format == "JPEG"
    result = runner.invoke(app, ["watermark", "detect", str(marked), "--key", "file key", "--json"])
    assert _rows(result.output)[0]["message"] == "00001234"


@pytest.mark.parametrize(
    "args",
    [
        ["--message", "not hex"],
        ["--message", "123456789"],
        ["--message", "12", "--key", "a", "--key-file", "k"],
        ["--message", "12", "--format", "gif"],
    ],
)
def test_cli_usage_errors_exit_2(photos: Path, tmp_path: Path, args: list[str]) -> None:
    result = runner.invoke(
        app, ["watermark", "embed", str(photos / "a.png"), "--out-dir", str(tmp_path), *args]
    )
    assert result.exit_code == 2
    assert "Traceback" not in result.output


def test_cli_broken_input_is_an_error_row(photos: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    result = runner.invoke(
        app, ["watermark", "detect", str(broken), str(photos / "a.png"), "--json"]
    )
    assert result.exit_code == 1
    rows = _rows(result.output)
    assert len(rows) == 2
    bad = next(r for r in rows if Path(str(r["path"])).name == "broken.jpg")
    assert {"path", "error", "error_type"} <= set(bad)
    result = runner.invoke(
        app,
        [
            "watermark",
            "embed",
            str(broken),
            "--out-dir",
            str(tmp_path / "o"),
            "--message",
            "1",
            "--json",
        ],
    )
    assert result.exit_code == 1
    assert "error" in _rows(result.output)[0]


def test_embed_file_keeps_metadata_grey_and_alpha(tmp_path: Path) -> None:
    colour = texture(3)
    exif = Image.Exif()
    exif[0x010F] = "pixelproof test camera"  # Make
    exif[0x0112] = 1
    source = tmp_path / "src.jpg"
    Image.fromarray(colour).save(source, quality=95, exif=exif.tobytes(), dpi=(300, 300))
    out = embed_file(source, tmp_path / "out.png", "abcd", key="m")
    loaded = load_image(out)
    assert loaded.format == "PNG"
    assert loaded.exif and b"pixelproof test camera" in loaded.exif
    assert detect_file(out, key="m").message == "0000abcd"

    grey = tmp_path / "grey.png"
    Image.fromarray(colour[..., 0]).save(grey)
    out = embed_file(grey, tmp_path / "grey_out.png", 5, key="m")
    with Image.open(out) as im:
        assert im.mode == "L"

    rgba = np.dstack([colour, np.full(colour.shape[:2], 77, np.uint8)])
    src = tmp_path / "alpha.png"
    Image.fromarray(rgba, "RGBA").save(src)
    out = embed_file(src, tmp_path / "alpha_out.png", 6, key="m")
    with Image.open(out) as im:
        assert im.mode == "RGBA"
        assert np.all(np.asarray(im)[..., 3] == 77)
    with pytest.raises(ValueError, match="transparency"):
        embed_file(src, tmp_path / "alpha_out.jpg", 6)


def test_scan_analyzer_reports_the_mark(tmp_path: Path) -> None:
    from pixelproof.evidence import create_analyzers
    from pixelproof.watermark import DEFAULT_KEY, embed

    (analyzer,) = create_analyzers(only=["watermark"])
    path = tmp_path / "m.png"
    Image.fromarray(embed(texture(4), "feedf00d", key=DEFAULT_KEY)).save(path)
    evidence = analyzer.analyze(load_image(path), SharedWork())
    assert evidence.label == "watermarked"
    assert evidence.details["pixelproof"]["message"] == "feedf00d"
    path2 = tmp_path / "u.png"
    Image.fromarray(texture(5)).save(path2)
    assert analyzer.analyze(load_image(path2), SharedWork()).label == "info"
