"""EXIF, XMP, IPTC, ICC and container parsing: correct on good input, warnings on bad."""

from __future__ import annotations

import io
import struct

import numpy as np
import pytest
from PIL import Image, ImageCms

from pixelproof.metadata import XmpRefusedError, parse_xmp, read_metadata, walk_exif

from ._builders import camera_jpeg, exif_blob, jpeg, photo, png_with_text, xmp_packet


def test_exif_fields_gps_and_thumbnail() -> None:
    data = camera_jpeg(
        photo(),
        make="Canon",
        model="Canon EOS 40D",
        orientation=1,
        software="Firmware 1.0.3",
        gps=(48.858222, -2.2945),
    )
    report = read_metadata(data)
    assert report.camera == {"make": "Canon", "model": "Canon EOS 40D"}
    assert report.orientation == 1
    assert report.exif["datetime_original"] == "2024:05:01 10:00:00"
    assert report.exif["thumbnail_bytes"] > 0
    assert report.gps["latitude"] == pytest.approx(48.858222, abs=1e-5)
    assert report.gps["longitude"] == pytest.approx(-2.2945, abs=1e-5)
    assert report.warnings == []
    assert report.container["structure"][:2] == ["APP0 JFIF", "APP1 Exif"]


def test_exif_walker_survives_hostile_blobs() -> None:
    good = exif_blob(thumbnail=b"\xff\xd8" + b"\x00" * 50)
    tiff = good[6:]
    cases = {
        "truncated": tiff[:40],
        "loop": tiff[:4] + struct.pack("<I", 8) + tiff[8:10] + tiff[10:],
        "huge count": tiff[:8] + struct.pack("<H", 60000) + tiff[10:],
        "bad first offset": tiff[:4] + struct.pack("<I", 10**9) + tiff[8:],
        "bad magic": tiff[:2] + b"\x00\x00" + tiff[4:],
        "not tiff": b"hello world" * 3,
    }
    for name, blob in cases.items():
        result = walk_exif(blob)
        assert isinstance(result.warnings, list), name
    assert walk_exif(cases["huge count"]).warnings
    assert walk_exif(cases["bad first offset"]).warnings
    rng = np.random.default_rng(7)
    for _ in range(300):  # random corruption never raises
        noisy = bytearray(tiff)
        for index in rng.integers(8, len(noisy), size=6):
            noisy[index] = int(rng.integers(0, 256))
        walk_exif(bytes(noisy))


def test_exif_directory_loop_is_detected() -> None:
    tiff = exif_blob()[6:]
    # Point the EXIF sub-directory back at IFD0.
    position = tiff.find(struct.pack("<HHI", 0x8769, 4, 1))
    looped = tiff[: position + 8] + struct.pack("<I", 8) + tiff[position + 12 :]
    assert any("loop" in w for w in walk_exif(looped).warnings)


def test_malformed_exif_in_a_jpeg_is_a_warning_not_an_error() -> None:
    blob = bytearray(exif_blob())
    blob[14:16] = struct.pack("<H", 5000)  # IFD0 entry count far beyond the data
    report = read_metadata(jpeg(photo(32, 32), exif=bytes(blob)))
    assert any("EXIF" in w for w in report.warnings)


def test_xmp_history_and_creator_tool() -> None:
    packet = xmp_packet(
        attributes='xmp:CreatorTool="Adobe Photoshop 25.0 (Macintosh)"',
        elements="""<xmpMM:History><rdf:Seq>
          <rdf:li stEvt:action="created" stEvt:softwareAgent="Adobe Photoshop 25.0"/>
          <rdf:li rdf:parseType="Resource"><stEvt:action>saved</stEvt:action>
            <stEvt:changed>/</stEvt:changed></rdf:li>
        </rdf:Seq></xmpMM:History>
        <dc:title><rdf:Alt><rdf:li xml:lang="x-default">Harbour</rdf:li></rdf:Alt></dc:title>
        <photoshop:History>Cropped; Levels</photoshop:History>""",
    )
    fields = parse_xmp(packet)
    assert fields["xmp:CreatorTool"] == "Adobe Photoshop 25.0 (Macintosh)"
    assert fields["dc:title"] == "Harbour"
    assert fields["xmpMM:History"][0]["stEvt:action"] == "created"
    assert fields["xmpMM:History"][1]["stEvt:changed"] == "/"
    assert fields["photoshop:History"] == "Cropped; Levels"


@pytest.mark.parametrize(
    "packet",
    [
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]>'
        b'<x:xmpmeta xmlns:x="adobe:ns:meta/">&lol2;</x:xmpmeta>',
        b'<!DOCTYPE x SYSTEM "file:///etc/passwd"><x/>',
        b"<x:xmpmeta><<<",
    ],
)
def test_unsafe_or_broken_xmp_is_refused(packet: bytes) -> None:
    with pytest.raises(XmpRefusedError):
        parse_xmp(packet)


def test_refused_xmp_becomes_a_warning() -> None:
    packet = b'<!DOCTYPE x [<!ENTITY a "b">]><x:xmpmeta xmlns:x="adobe:ns:meta/"/>'
    buffer = io.BytesIO()
    Image.fromarray(photo(32, 32)).save(buffer, format="JPEG", xmp=packet)
    report = read_metadata(buffer.getvalue())
    assert report.xmp == {}
    assert any("DTD" in w for w in report.warnings)


def test_iptc_iim_in_photoshop_app13() -> None:
    def dataset(number: int, value: bytes) -> bytes:
        return b"\x1c\x02" + bytes([number]) + struct.pack(">H", len(value)) + value

    iim = b"\x1c\x01\x5a\x00\x03\x1b%G" + dataset(110, b"Made with Google AI")
    iim += dataset(80, b"Jane Doe") + dataset(65, b"Imagen")
    resource = b"8BIM" + struct.pack(">H", 0x0404) + b"\x00\x00" + struct.pack(">I", len(iim))
    resource += iim + (b"\x00" if len(iim) % 2 else b"")
    segment = b"Photoshop 3.0\x00" + resource
    base = jpeg(photo(32, 32))
    data = base[:2] + b"\xff\xed" + struct.pack(">H", len(segment) + 2) + segment + base[2:]
    report = read_metadata(data)
    assert report.iptc == {
        "credit": "Made with Google AI",
        "byline": ["Jane Doe"],
        "originating_program": "Imagen",
    }
    assert {t.generator for t in report.generators} == {"Google AI"}


def test_icc_description_and_png_text_types() -> None:
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    buffer = io.BytesIO()
    Image.fromarray(photo(16, 16)).save(buffer, format="PNG", icc_profile=profile)
    report = read_metadata(buffer.getvalue())
    assert "sRGB" in report.icc["description"]
    data = png_with_text(photo(16, 16), {"Title": "t", "Software": "x"}, itxt=("Software",))
    kinds = {(t["keyword"], t["type"]) for t in read_metadata(data).text}
    assert kinds == {("Title", "tEXt"), ("Software", "iTXt")}


def test_webp_metadata() -> None:
    buffer = io.BytesIO()
    Image.fromarray(photo(32, 32)).save(
        buffer, format="WEBP", exif=exif_blob(make="Google", model="Pixel 8"), xmp=xmp_packet()
    )
    report = read_metadata(buffer.getvalue())
    assert report.format == "WEBP"
    assert report.camera == {"make": "Google", "model": "Pixel 8"}
    assert {"EXIF", "XMP"} <= set(report.container["structure"])


def test_undecodable_pixels_still_give_metadata() -> None:
    data = camera_jpeg(photo(), make="Nikon", model="D70")
    truncated = data[: len(data) - 2000]
    report = read_metadata(truncated)
    assert report.camera["make"] == "Nikon"
    assert any("pixels not decoded" in w for w in report.warnings)
