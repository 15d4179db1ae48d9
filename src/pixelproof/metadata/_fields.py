"""The metadata blocks of one file read into plain fields, the first steps of
:func:`~pixelproof.metadata.read_metadata`: container, EXIF and GPS, XMP, IPTC, ICC
and text chunks."""

from __future__ import annotations

import math
from typing import Any

from ..io import LoadedImage
from ._c2pa import C2paReport
from ._consistency import Finding
from ._containers import ContainerData, walk_container
from ._exif import (
    EXIF_TAGS,
    GPS_TAGS,
    IFD0_TAGS,
    ExifDirectories,
    gps_coordinate,
    gps_datetime,
    number,
    parse_exif_datetime,
    text_of,
    user_comment,
    walk_exif,
)
from ._generators import GeneratorTrace
from ._icc import describe_icc
from ._iptc import IPTC_RESOURCE, parse_iim, parse_photoshop_irb
from ._quant import identify_tables
from ._xmp import XmpRefusedError, parse_xmp

MAX_TEXT_IN_REPORT = 4000


class Reading:
    """What has been read of one file so far; each step fills in its fields."""

    def __init__(
        self, name: str, fmt: str, data: bytes, image: LoadedImage | None, warnings: list[str]
    ) -> None:
        self.name, self.fmt, self.data, self.image = name, fmt, data, image
        self.warnings = warnings
        self.camera: dict[str, Any] = {}
        self.orientation: int | None = None
        self.exif: dict[str, Any] = {}
        self.gps: dict[str, Any] = {}
        self.xmp: dict[str, Any] = {}
        self.iptc: dict[str, Any] = {}
        self.icc: dict[str, Any] = {}
        self.texts: list[dict[str, Any]] = []
        self.container: dict[str, Any] = {}
        self.generators: list[GeneratorTrace] = []
        self.findings: list[Finding] = []
        self.c2pa = C2paReport("not_checked", "Content Credentials were not checked.")
        self.dirs: ExifDirectories | None = None
        self.software_fields: list[tuple[str, str]] = []
        self.full_texts: dict[str, str] = {}

    def warn(self, message: str) -> None:
        if message not in self.warnings:
            self.warnings.append(message)

    # -- the steps, in order -----------------------------------------------------------

    def read_fields(self) -> ContainerData:
        """Read the container and every metadata block in it; return the walked container."""
        walked = walk_container(self.data, self.fmt)
        for warning in walked.warnings:
            self.warn(warning)
        self.container_info(walked)
        image = self.image
        exif_blob = walked.exif or (image.exif if image else None)
        if exif_blob:
            self.exif_fields(exif_blob)
        raw = self.dirs.raw if self.dirs else {}
        xmp_blob = walked.xmp or raw.get("xmp") or (image.xmp if image else None)
        if xmp_blob:
            self.xmp_fields(xmp_blob)
        self.iptc_fields(walked.photoshop or raw.get("photoshop"), raw.get("iptc"))
        icc_blob = walked.icc or raw.get("icc") or (image.icc_profile if image else None)
        if icc_blob:
            self.icc = describe_icc(icc_blob, self.warnings) or {}
        self.text_fields(walked)
        return walked

    def container_info(self, walked: ContainerData) -> None:
        info: dict[str, Any] = {"structure": walked.structure[:64]}
        if walked.brand:
            info["brand"] = walked.brand
        info.update({k: v for k, v in walked.extra.items()})
        if walked.quant_tables:
            match = identify_tables(walked.quant_tables)
            info["jpeg_encoder"] = match.encoder
            if match.quality is not None:
                info["jpeg_ijg_quality"] = match.quality
        if self.image is not None and self.image.jpeg is not None:
            info["jpeg_subsampling"] = self.image.jpeg.subsampling
            info["jpeg_progressive"] = self.image.jpeg.progressive
        info["c2pa_embedded"] = walked.c2pa_embedded
        self.container = info

    def exif_fields(self, blob: bytes) -> None:
        dirs = walk_exif(blob)
        self.dirs = dirs
        for warning in dirs.warnings:
            self.warn(warning)
        exif: dict[str, Any] = {}
        for table, directory in ((IFD0_TAGS, dirs.ifd0), (EXIF_TAGS, dirs.exif)):
            for tag, key in table.items():
                if tag not in directory:
                    continue
                value = directory[tag]
                if key == "maker_note":
                    exif["maker_note_bytes"] = len(value) if isinstance(value, bytes) else None
                elif key == "user_comment":
                    text = user_comment(value)
                    if text:
                        exif[key] = text
                else:
                    clean = _clean(value)
                    if clean not in (None, ""):
                        exif[key] = clean
        orientation = dirs.ifd0.get(0x0112)
        if isinstance(orientation, int):
            self.orientation = orientation
            if not 1 <= orientation <= 8:
                self.warn(f"EXIF: orientation {orientation} is not a valid value (1-8)")
        for key in ("make", "model", "lens_make", "lens_model", "body_serial_number"):
            if isinstance(exif.get(key), str):
                self.camera[key] = exif[key]
        if dirs.thumbnail:
            exif["thumbnail_bytes"] = len(dirs.thumbnail)
        self.exif = exif
        self.gps_fields(dirs)
        for key in ("software", "host_computer", "artist"):
            if isinstance(exif.get(key), str):
                self.software_fields.append((f"EXIF {key}", exif[key]))
        for key in ("datetime", "datetime_original", "datetime_digitized"):
            text = exif.get(key)
            unset = not isinstance(text, str) or text.strip(" :0") == ""
            if not unset and parse_exif_datetime(str(text)) is None:
                self.warn(f"EXIF: {key} {text!r} is not a valid date")

    def gps_fields(self, dirs: ExifDirectories) -> None:
        gps = dirs.gps
        if not gps:
            return
        result: dict[str, Any] = {}
        latitude = gps_coordinate(gps.get(0x0002), gps.get(0x0001))
        longitude = gps_coordinate(gps.get(0x0004), gps.get(0x0003))
        if latitude is not None and longitude is not None:
            if -90 <= latitude <= 90 and -180 <= longitude <= 180:
                result["latitude"], result["longitude"] = latitude, longitude
            else:
                self.warn("EXIF: GPS coordinates are out of range; ignored")
        altitude = number(gps.get(0x0006))
        if altitude is not None:
            below = gps.get(0x0005) == 1 or gps.get(0x0005) == b"\x01"
            result["altitude_m"] = round(-altitude if below else altitude, 2)
        when = gps_datetime(gps.get(0x001D), gps.get(0x0007))
        if when is not None:
            result["datetime_utc"] = when.isoformat()
        datum = text_of(gps.get(0x0012))
        if datum:
            result["map_datum"] = datum
        result["tags"] = sorted(GPS_TAGS.get(t, f"0x{t:04x}") for t in gps)
        self.gps = result

    def xmp_fields(self, blob: bytes) -> None:
        try:
            self.xmp = parse_xmp(blob)
        except XmpRefusedError as exc:
            self.warn(f"XMP: {exc}")
            return
        tool = xmp_field(self.xmp, "xmp:CreatorTool")
        if isinstance(tool, str):
            self.software_fields.append(("XMP xmp:CreatorTool", tool))
        for key in ("photoshop:Credit", "tiff:Software", "exif:Software"):
            value = xmp_field(self.xmp, key)
            if isinstance(value, str):
                self.software_fields.append((f"XMP {key}", value))
        for step in self.history():
            if step.get("software"):
                self.software_fields.append(("XMP xmpMM:History", str(step["software"])))
        if not self.camera:
            for key, name in (("tiff:Make", "make"), ("tiff:Model", "model")):
                value = xmp_field(self.xmp, key)
                if isinstance(value, str) and value:
                    self.camera[name] = value
            if self.camera:
                self.camera["source"] = "XMP"

    def history(self) -> list[dict[str, Any]]:
        """The steps of ``xmpMM:History``: action, software, when, changed."""
        history = xmp_field(self.xmp, "xmpMM:History")
        steps: list[dict[str, Any]] = []
        if isinstance(history, list):
            for item in history:
                if isinstance(item, dict):
                    step = {
                        "action": item.get("stEvt:action"),
                        "software": item.get("stEvt:softwareAgent"),
                        "when": item.get("stEvt:when"),
                        "changed": item.get("stEvt:changed"),
                    }
                    steps.append({k: v for k, v in step.items() if v})
        return steps

    def iptc_fields(self, photoshop: bytes | None, iim: bytes | None) -> None:
        blob = iim
        if photoshop:
            resources, names = parse_photoshop_irb(photoshop, self.warnings)
            if names:
                self.container["photoshop_resources"] = names
            blob = resources.get(IPTC_RESOURCE) or blob
        if blob:
            self.iptc = parse_iim(blob, self.warnings)
        for key in ("originating_program", "credit", "source"):
            value = self.iptc.get(key)
            if isinstance(value, str):
                self.software_fields.append((f"IPTC {key}", value))

    def text_fields(self, walked: ContainerData) -> None:
        for chunk in walked.texts:
            text = chunk.text
            self.full_texts.setdefault(chunk.keyword, text)
            entry: dict[str, Any] = {"keyword": chunk.keyword, "type": chunk.kind}
            entry["text"] = text if len(text) <= MAX_TEXT_IN_REPORT else text[:MAX_TEXT_IN_REPORT]
            if len(text) > MAX_TEXT_IN_REPORT:
                entry["truncated_from"] = len(text)
            self.texts.append(entry)
            if chunk.keyword in ("Software", "Source") or chunk.kind in ("COM", "APP12"):
                self.software_fields.append((f"{chunk.kind} {chunk.keyword}", text[:300]))
        if not walked.texts and self.image is not None:
            for key, value in self.image.info.items():
                if isinstance(value, str) and key.isprintable() and key not in ("xmp",):
                    self.texts.append({"keyword": key, "type": "info", "text": value[:4000]})

    # -- generators ----------------------------------------------------------------------


def xmp_field(xmp: dict[str, Any], key: str) -> Any:
    """An XMP field, tolerating writers that got the case of the name wrong."""
    if key in xmp:
        return xmp[key]
    lower = key.lower()
    return next((v for k, v in xmp.items() if k.lower() == lower), None)


def _clean(value: Any) -> Any:
    if isinstance(value, bytes):
        text = value.rstrip(b"\x00")
        if text and all(32 <= b < 127 for b in text):
            return text.decode("ascii")
        return value[:32].hex() + ("…" if len(value) > 32 else "")
    if isinstance(value, float):
        return round(value, 6) if math.isfinite(value) else None
    if isinstance(value, tuple):
        return [_clean(v) for v in value[:32]]
    return value
