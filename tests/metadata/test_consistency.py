"""Consistency checks: thumbnail against pixels, editors, dates, JPEG tables."""

from __future__ import annotations

import io
from datetime import datetime

import numpy as np
import pytest
from PIL import Image

from pixelproof.evidence import Label
from pixelproof.metadata import identify_tables, ijg_table, read_metadata
from pixelproof.metadata._consistency import date_findings

from ._builders import camera_jpeg, exif_blob, jpeg, photo, thumbnail_of


def _codes(data: bytes) -> dict[str, str]:
    return {f.code: f.label for f in read_metadata(data).findings}


def test_camera_original_thumbnail_matches() -> None:
    codes = _codes(camera_jpeg(photo()))
    assert codes["thumbnail_match"] == Label.INFO


def _edited(pixels: np.ndarray) -> np.ndarray:
    edited = pixels.copy()
    edited[60:180, 100:260] = (250, 250, 250)  # a large region painted over
    return edited


def test_edit_after_capture_keeping_exif_is_detected() -> None:
    original = photo()
    exif = exif_blob(thumbnail=thumbnail_of(original))
    report = read_metadata(jpeg(_edited(original), exif=exif))
    finding = next(f for f in report.findings if f.code.startswith("thumbnail"))
    assert finding.code == "thumbnail_mismatch"
    assert finding.label == Label.MANIPULATED


def test_crop_after_capture_is_recognised_as_a_crop() -> None:
    original = photo(480, 640)
    exif = exif_blob(thumbnail=thumbnail_of(original))
    cropped = np.ascontiguousarray(original[60:420, 80:560])
    report = read_metadata(jpeg(cropped, exif=exif))
    codes = {f.code for f in report.findings}
    assert "thumbnail_cropped" in codes and "thumbnail_mismatch" not in codes


@pytest.mark.parametrize("orientation", [3, 6, 8])
def test_thumbnail_check_is_orientation_aware(orientation: int) -> None:
    stored = photo()
    data = jpeg(stored, exif=exif_blob(orientation=orientation, thumbnail=thumbnail_of(stored)))
    assert "thumbnail_match" in _codes(data)


def test_lossless_rotation_without_thumbnail_update() -> None:
    stored = photo()
    rotated = np.ascontiguousarray(np.rot90(stored, -1))
    data = jpeg(rotated, exif=exif_blob(thumbnail=thumbnail_of(stored)))
    assert "thumbnail_rotated" in _codes(data)


def test_editor_software_is_info_not_manipulation() -> None:
    data = camera_jpeg(photo(), software="Adobe Photoshop 25.0 (Windows)")
    findings = {f.code: f for f in read_metadata(data).findings}
    assert findings["editor_software"].label == Label.INFO
    assert findings["editor_software"].details["editor"] == "Adobe Photoshop"
    assert "legitimate" in findings["editor_software"].message


def test_dates() -> None:
    later = exif_blob(datetime="2024:06:01 09:00:00", datetime_original="2024:05:01 10:00:00")
    codes = _codes(jpeg(photo(32, 32), exif=later))
    assert codes["modified_after_capture"] == Label.INFO
    earlier = exif_blob(datetime="2024:04:01 09:00:00", datetime_original="2024:05:01 10:00:00")
    assert _codes(jpeg(photo(32, 32), exif=earlier))["date_inconsistent"] == Label.INCONCLUSIVE
    # GPS in UTC, capture in local time two hours ahead: consistent.
    local, stamp = "2024:05:01 12:00:05", ("2024:05:01", (10, 0, 0))
    ok = exif_blob(datetime=local, datetime_original=local, gps_stamp=stamp)
    assert "date_inconsistent" not in _codes(jpeg(photo(32, 32), exif=ok))
    local = "2024:05:01 12:37:00"
    bad = exif_blob(datetime=local, datetime_original=local, gps_stamp=stamp)
    assert "date_inconsistent" in _codes(jpeg(photo(32, 32), exif=bad))
    future = date_findings({"datetime_original": datetime(2031, 1, 1)}, now=datetime(2030, 1, 1))
    assert [f.code for f in future] == ["date_in_future"]


@pytest.mark.parametrize("quality", [1, 25, 50, 75, 90, 95, 100])
def test_ijg_tables_match_libjpeg(quality: int) -> None:
    """The IJG formula reproduces what libjpeg (via Pillow) writes at every quality."""
    data = jpeg(photo(32, 32), quality=quality)
    with Image.open(io.BytesIO(data)) as image:
        tables = {k: np.asarray(v, np.uint16).reshape(8, 8) for k, v in image.quantization.items()}
    assert np.array_equal(tables[0], ijg_table(quality))
    assert np.array_equal(tables[1], ijg_table(quality, chroma=True))
    match = identify_tables(tables)
    assert (match.encoder, match.quality) == ("IJG libjpeg", quality)
    report = read_metadata(data)
    assert report.container["jpeg_ijg_quality"] == quality


def test_libjpeg_tables_with_camera_exif_are_reported() -> None:
    finding = next(
        f
        for f in read_metadata(camera_jpeg(photo(), make="Nikon")).findings
        if f.code == "jpeg_tables_libjpeg"
    )
    assert finding.label == Label.INFO
    assert "re-saved" in finding.message


def test_photoshop_tables_are_recognised_by_their_sums() -> None:
    luma = np.ones((8, 8), np.uint16)
    luma.flat[:31] = 2  # any table with these sums; values other than sums do not matter
    chroma = np.ones((8, 8), np.uint16)
    chroma.flat[:] = [2] * 64
    chroma.flat[:26] = 3
    # Sums (95, 154) are not a Photoshop setting; (95, 166) is "quality 12" of CS2.
    assert identify_tables({0: luma, 1: chroma}).encoder == "unknown"
    chroma.flat[26:38] = 3
    assert int(luma.sum()) == 95 and int(chroma.sum()) == 166
    assert identify_tables({0: luma, 1: chroma}).encoder == "Adobe Photoshop CS2, quality 12"


def test_exif_dimensions_differ_from_pixels() -> None:
    # Pillow keeps the EXIF IFD but the pixels were resized: PixelXDimension is not set
    # by our builder, so no finding; a missing field is never evidence.
    assert "resized_after_capture" not in _codes(camera_jpeg(photo()))
