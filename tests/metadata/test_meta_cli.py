"""``pixelproof meta`` and the metadata analyzers in ``pixelproof scan``."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image
from typer.testing import CliRunner

from pixelproof.cli import app
from pixelproof.evidence import Label, SharedWork
from pixelproof.inputs import expand_inputs
from pixelproof.io import load_image
from pixelproof.metadata.analyzers import FileMetadataAnalyzer

from ._builders import camera_jpeg, exif_blob, jpeg, photo, png_with_text, thumbnail_of
from .test_generators import A1111

runner = CliRunner()


def _rows(output: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in output.splitlines() if line.startswith("{")]


def test_meta_json_rows(tmp_path: Path) -> None:
    (tmp_path / "camera.jpg").write_bytes(camera_jpeg(photo(), make="Nikon", model="D70"))
    (tmp_path / "a1111.png").write_bytes(png_with_text(photo(64, 64), {"parameters": A1111}))
    (tmp_path / "damaged.jpg").write_bytes(b"\xff\xd8\xff\xe0 a damaged jpeg")
    (tmp_path / "broken.jpg").write_bytes(b"not an image at all")
    result = runner.invoke(app, ["meta", str(tmp_path), "--json", str(tmp_path / "broken.jpg")])
    rows = {Path(str(r["path"])).name: r for r in _rows(result.stdout)}
    assert set(rows) == {"camera.jpg", "a1111.png", "damaged.jpg", "broken.jpg"}
    # Pixels that cannot be decoded still get a metadata row, with a warning.
    assert "error" not in rows["damaged.jpg"] and rows["damaged.jpg"]["warnings"]
    assert rows["camera.jpg"]["camera"] == {"make": "Nikon", "model": "D70"}
    assert rows["camera.jpg"]["orientation"] == 1
    generators = rows["a1111.png"]["generators"]
    assert isinstance(generators, list) and generators[0]["seed"] == 1234567890
    assert "error" in rows["broken.jpg"] and "error_type" in rows["broken.jpg"]
    assert result.exit_code == 1  # one input could not be read
    for key in ("exif", "gps", "xmp", "iptc", "icc", "text", "container", "findings", "c2pa"):
        assert key in rows["camera.jpg"], key


def test_meta_text_output_and_exit_code(tmp_path: Path) -> None:
    path = tmp_path / "camera.jpg"
    path.write_bytes(camera_jpeg(photo(), make="Canon", model="Canon EOS 40D"))
    result = runner.invoke(app, ["meta", str(path)])
    assert result.exit_code == 0
    assert "Canon EOS 40D" in result.stdout and "Traceback" not in result.stdout
    missing = runner.invoke(app, ["meta", str(tmp_path / "nope.jpg"), "--json"])
    assert missing.exit_code == 1
    assert _rows(missing.stdout)[0]["error_type"] == "not_found"
    bad_list = runner.invoke(app, ["meta", str(path), "--trust-anchors", str(tmp_path / "x.pem")])
    assert bad_list.exit_code == 2


def test_analyzers_labels(tmp_path: Path) -> None:
    synthetic = load_image(png_with_text(photo(64, 64), {"parameters": A1111}))
    evidence = FileMetadataAnalyzer().analyze(synthetic, SharedWork())
    assert evidence.label == Label.SYNTHETIC
    assert "claim" in evidence.explanation

    original = photo()
    edited = original.copy()
    edited[60:180, 100:260] = 250
    tampered = load_image(jpeg(edited, exif=exif_blob(thumbnail=thumbnail_of(original))))
    evidence = FileMetadataAnalyzer().analyze(tampered, SharedWork())
    assert evidence.label == Label.MANIPULATED
    assert "thumbnail does not match" in evidence.explanation

    edited_only = load_image(camera_jpeg(original, software="GIMP 2.10.36"))
    evidence = FileMetadataAnalyzer().analyze(edited_only, SharedWork())
    assert evidence.label == Label.INFO  # edited is not manipulated
    assert "GIMP" in evidence.explanation
    bare = load_image(jpeg(original))
    assert (
        FileMetadataAnalyzer().analyze(bare, SharedWork()).label == Label.INFO
    )  # absence proves nothing


def test_scan_includes_metadata_evidence(tmp_path: Path) -> None:
    path = tmp_path / "gen.png"
    path.write_bytes(png_with_text(photo(64, 64), {"parameters": A1111}))
    result = runner.invoke(app, ["scan", str(path), "--json", "--only", "metadata"])
    row = json.loads(result.stdout.strip().splitlines()[-1])
    labels = {e["analyzer"]: e["label"] for e in row["evidence"]}
    assert labels == {"metadata": "synthetic"}
    details = row["evidence"][0]["details"]
    assert details["generators"][0]["seed"] == 1234567890
    assert details["c2pa"]["status"] == "no_manifest"


# -- the shared EXIF samples (skipped when ../shared/data is absent) ---------------------


def test_exif_samples_every_file_gets_a_row(shared_data: Callable[..., Path]) -> None:
    folder = shared_data("photos", "exif-samples")
    expected = set(expand_inputs([str(folder)]).files)
    result = runner.invoke(app, ["meta", str(folder), "--json", "--no-c2pa"])
    rows = {str(r["path"]): r for r in _rows(result.stdout)}
    assert set(rows) == expected
    assert all("error" not in r for r in rows.values()), [r for r in rows.values() if "error" in r]
    assert result.exit_code == 0
    canon = rows[str(folder / "jpg" / "Canon_40D.jpg")]
    assert canon["camera"] == {"make": "Canon", "model": "Canon EOS 40D"}
    assert canon["orientation"] == 1
    assert rows[str(folder / "jpg" / "orientation" / "portrait_6.jpg")]["orientation"] == 6
    assert rows[str(folder / "heic" / "mobile" / "iphone_13_pro_max.HEIC")]["camera"]["model"] == (
        "iPhone 13 Pro Max"
    )
    # Malformed EXIF gives warnings, never errors.
    for name in ("30-type_error.jpg", "45-gps_ifd.jpg", "87_OSError.jpg"):
        warnings = rows[str(folder / "jpg" / "tests" / name)]["warnings"]
        assert warnings and any("EXIF" in str(w) for w in warnings), name
    corrupt = rows[str(folder / "jpg" / "corrupted.jpg")]
    assert corrupt["camera"]["make"] == "OLYMPUS IMAGING CORP."
    # A real crop after capture in the samples: the thumbnail shows the wider frame.
    findings = rows[str(folder / "jpg" / "tests" / "35-empty.jpg")]["findings"]
    assert "thumbnail_cropped" in {f["code"] for f in findings}


def test_edited_exif_sample_thumbnail_mismatch(
    shared_data: Callable[..., Path], tmp_path: Path
) -> None:
    """Edit a real camera JPEG, keep its EXIF (thumbnail included): the mismatch shows."""
    source = shared_data("photos", "exif-samples", "jpg", "gps", "DSCN0010.jpg")
    with Image.open(source) as image:
        exif = image.info["exif"]
        pixels = np.asarray(image.convert("RGB")).copy()
    height, width = pixels.shape[:2]
    pixels[height // 4 : height * 3 // 4, width // 3 : width * 2 // 3] = (20, 160, 20)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="JPEG", quality=90, exif=exif)
    edited = tmp_path / "DSCN0010_edited.jpg"
    edited.write_bytes(buffer.getvalue())
    result = runner.invoke(app, ["meta", str(source), str(edited), "--json", "--no-c2pa"])
    rows = {Path(str(r["path"])).name: r for r in _rows(result.stdout)}
    codes = {name: {f["code"] for f in row["findings"]} for name, row in rows.items()}
    assert "thumbnail_match" in codes["DSCN0010.jpg"]
    assert "thumbnail_mismatch" in codes["DSCN0010_edited.jpg"]
