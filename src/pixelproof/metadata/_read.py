"""Read everything a file says about itself: :func:`read_metadata`."""

from __future__ import annotations

import math
import threading
import weakref
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..io import (
    CorruptImageError,
    ImageLoadError,
    LoadedImage,
    LoadLimits,
    MissingDecoderError,
    TooManyPixelsError,
    load_image,
    sniff_format,
)
from ..io._files import read_regular_file
from ._c2pa import C2paReport, read_c2pa
from ._consistency import (
    Finding,
    date_findings,
    dimension_finding,
    editor_findings,
    quant_finding,
    thumbnail_finding,
)
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
    parse_offset,
    text_of,
    user_comment,
    walk_exif,
)
from ._generators import (
    DIGITAL_SOURCE_TYPES,
    GeneratorTrace,
    marker_traces,
    parse_a1111,
    parse_comfyui,
    parse_invokeai,
    parse_midjourney,
    parse_novelai,
    source_type_term,
    source_type_trace,
)
from ._icc import describe_icc
from ._iptc import IPTC_RESOURCE, parse_iim, parse_photoshop_irb
from ._quant import identify_tables
from ._stealth import read_stealth
from ._thumbnail import compare_thumbnail, decode_thumbnail
from ._xmp import XmpRefusedError, parse_xmp

MAX_TEXT_IN_REPORT = 4000
_LOSSLESS = ("PNG", "TIFF", "BMP", "GIF")
_INVERSE_ORIENTATION = {6: 8, 8: 6}


@dataclass(frozen=True)
class MetadataReport:
    """Everything pixelproof read from one file's metadata.

    Attributes
    ----------
    path : str
    format : str
        Container format detected from the content.
    camera : dict
        ``make``, ``model``, ``lens_model``, ... where present.
    orientation : int or None
        The EXIF orientation tag, when present.
    exif, gps, xmp, iptc, icc : dict
        Parsed groups (empty when absent). ``gps`` has decimal ``latitude`` and
        ``longitude``; ``xmp`` uses canonical prefixes (``xmp:CreatorTool``, ...).
    text : list of dict
        PNG text chunks, JPEG comments, ...: ``keyword``, ``type``, ``text``.
    container : dict
        Structure of the file: segments or chunks, JPEG encoder, brands.
    generators : list of GeneratorTrace
        Generator claims found in the file.
    findings : list of Finding
        Consistency checks.
    c2pa : C2paReport
    warnings : list of str
        Malformed metadata and other problems; none of them is an error.
    """

    path: str
    format: str
    camera: dict[str, Any] = field(default_factory=dict)
    orientation: int | None = None
    exif: dict[str, Any] = field(default_factory=dict)
    gps: dict[str, Any] = field(default_factory=dict)
    xmp: dict[str, Any] = field(default_factory=dict)
    iptc: dict[str, Any] = field(default_factory=dict)
    icc: dict[str, Any] = field(default_factory=dict)
    text: list[dict[str, Any]] = field(default_factory=list)
    container: dict[str, Any] = field(default_factory=dict)
    generators: list[GeneratorTrace] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    c2pa: C2paReport = field(default_factory=lambda: C2paReport("not_checked", "not checked"))
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """The JSON row of ``pixelproof meta --json`` (without ``path`` handling)."""
        row: dict[str, Any] = {"path": self.path, "format": self.format}
        if self.camera:
            row["camera"] = self.camera
        if self.orientation is not None:
            row["orientation"] = self.orientation
        row.update(
            exif=self.exif,
            gps=self.gps,
            xmp=self.xmp,
            iptc=self.iptc,
            icc=self.icc,
            text=self.text,
            container=self.container,
            generators=[g.to_dict() for g in self.generators],
            findings=[f.to_dict() for f in self.findings],
            c2pa=self.c2pa.to_dict(),
            warnings=list(self.warnings),
        )
        return jsonable(row)  # type: ignore[no-any-return]


def read_metadata(
    source: str | Path | bytes | LoadedImage,
    *,
    limits: LoadLimits | None = None,
    c2pa: bool = True,
    trust_anchors: str | Path | None = None,
    check_thumbnail: bool = True,
) -> MetadataReport:
    """Read and check all metadata of an image file.

    Parameters
    ----------
    source : str, Path, bytes or LoadedImage
        The file (path or bytes) or an image already loaded by :mod:`pixelproof.io`.
    limits : LoadLimits, optional
        Loader limits for paths and bytes.
    c2pa : bool
        Validate Content Credentials (needs the ``c2pa`` extra when a manifest exists).
    trust_anchors : str or Path, optional
        PEM file of trusted C2PA roots; see :func:`read_c2pa`.
    check_thumbnail : bool
        Compare the EXIF thumbnail with the pixels.

    Returns
    -------
    MetadataReport

    Raises
    ------
    ImageLoadError
        When the bytes are not an image at all (unsupported, empty, too large).
        Images whose pixels cannot be decoded (corrupt, too many pixels, missing
        decoder) still get their metadata read, with a warning.
    OSError
        When a path cannot be read.
    """
    image, data, name, warnings = _load(source, limits)
    fmt = image.format if image is not None else (sniff_format(data[:32]) or "unknown")
    builder = _Builder(name, fmt, data, image, warnings)
    builder.read(c2pa=c2pa, trust_anchors=trust_anchors, check_thumbnail=check_thumbnail)
    return builder.report()


def _load(
    source: str | Path | bytes | LoadedImage, limits: LoadLimits | None
) -> tuple[LoadedImage | None, bytes, str, list[str]]:
    if isinstance(source, LoadedImage):
        return source, source.data, source.source, list(source.warnings)
    try:
        image = load_image(source, limits=limits)
        return image, image.data, image.source, list(image.warnings)
    except (CorruptImageError, TooManyPixelsError, MissingDecoderError) as exc:
        if isinstance(source, bytes):
            data = source
        else:  # the same bounded, regular-file-only read the loader made
            data = read_regular_file(source, (limits or LoadLimits()).max_file_bytes)
        name = "<bytes>" if isinstance(source, bytes) else str(source)
        if sniff_format(data[:32]) is None:
            raise
        note = f"pixels not decoded ({exc.code}: {exc.message}); metadata read from the bytes"
        return None, data, name, [note]
    except ImageLoadError:
        raise


class _Builder:
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

    def report(self) -> MetadataReport:
        return MetadataReport(
            path=self.name,
            format=self.fmt,
            camera=self.camera,
            orientation=self.orientation,
            exif=self.exif,
            gps=self.gps,
            xmp=self.xmp,
            iptc=self.iptc,
            icc=self.icc,
            text=self.texts,
            container=self.container,
            generators=self.generators,
            findings=self.findings,
            c2pa=self.c2pa,
            warnings=self.warnings,
        )

    # -- the steps, in order -----------------------------------------------------------

    def read(self, *, c2pa: bool, trust_anchors: str | Path | None, check_thumbnail: bool) -> None:
        walked = walk_container(self.data, self.fmt)
        for warning in walked.warnings:
            self.warn(warning)
        self._container(walked)
        image = self.image
        exif_blob = walked.exif or (image.exif if image else None)
        if exif_blob:
            self._exif(exif_blob)
        raw = self.dirs.raw if self.dirs else {}
        xmp_blob = walked.xmp or raw.get("xmp") or (image.xmp if image else None)
        if xmp_blob:
            self._xmp(xmp_blob)
        self._iptc(walked.photoshop or raw.get("photoshop"), raw.get("iptc"))
        icc_blob = walked.icc or raw.get("icc") or (image.icc_profile if image else None)
        if icc_blob:
            self.icc = describe_icc(icc_blob, self.warnings) or {}
        self._texts(walked)
        if c2pa:
            self.c2pa = read_c2pa(self.data, trust_anchors=trust_anchors, fmt=self.fmt)
        self._generators()
        self._findings(walked, check_thumbnail=check_thumbnail)

    def _container(self, walked: ContainerData) -> None:
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

    def _exif(self, blob: bytes) -> None:
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
        self._gps(dirs)
        for key in ("software", "host_computer", "artist"):
            if isinstance(exif.get(key), str):
                self.software_fields.append((f"EXIF {key}", exif[key]))
        for key in ("datetime", "datetime_original", "datetime_digitized"):
            text = exif.get(key)
            unset = not isinstance(text, str) or text.strip(" :0") == ""
            if not unset and parse_exif_datetime(str(text)) is None:
                self.warn(f"EXIF: {key} {text!r} is not a valid date")

    def _gps(self, dirs: ExifDirectories) -> None:
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

    def _xmp(self, blob: bytes) -> None:
        try:
            self.xmp = parse_xmp(blob)
        except XmpRefusedError as exc:
            self.warn(f"XMP: {exc}")
            return
        tool = _field(self.xmp, "xmp:CreatorTool")
        if isinstance(tool, str):
            self.software_fields.append(("XMP xmp:CreatorTool", tool))
        for key in ("photoshop:Credit", "tiff:Software", "exif:Software"):
            value = _field(self.xmp, key)
            if isinstance(value, str):
                self.software_fields.append((f"XMP {key}", value))
        for step in self._history():
            if step.get("software"):
                self.software_fields.append(("XMP xmpMM:History", str(step["software"])))
        if not self.camera:
            for key, name in (("tiff:Make", "make"), ("tiff:Model", "model")):
                value = _field(self.xmp, key)
                if isinstance(value, str) and value:
                    self.camera[name] = value
            if self.camera:
                self.camera["source"] = "XMP"

    def _history(self) -> list[dict[str, Any]]:
        history = _field(self.xmp, "xmpMM:History")
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

    def _iptc(self, photoshop: bytes | None, iim: bytes | None) -> None:
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

    def _texts(self, walked: ContainerData) -> None:
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

    def _generators(self) -> None:
        walked_texts = {t["keyword"]: t for t in self.texts}
        full = {k: v["text"] for k, v in walked_texts.items()}
        # Parse the untruncated text (the report keeps a shortened copy).
        full.update(self.full_texts)
        kind_of = {k: str(v["type"]) for k, v in walked_texts.items()}
        traces: list[GeneratorTrace] = []

        def where(key: str) -> str:
            return f"PNG {kind_of.get(key, 'text')} chunk {key!r}"

        if "parameters" in full:
            trace = parse_a1111(full["parameters"], source=where("parameters"))
            if trace is not None:
                traces.append(trace)
        comment = self.exif.get("user_comment")
        if isinstance(comment, str) and "Steps:" in comment:
            trace = parse_a1111(comment, source="EXIF UserComment")
            if trace is not None:
                traces.append(trace)
        if "prompt" in full or "workflow" in full:
            key = "prompt" if "prompt" in full else "workflow"
            trace = parse_comfyui(full.get("prompt"), full.get("workflow"), source=where(key))
            if trace is not None:
                traces.append(trace)
        invoke = parse_invokeai(full, kind_of=kind_of)
        if invoke is not None:
            traces.append(invoke)
        novelai = parse_novelai(full, source="PNG text chunks Software/Comment")
        if novelai is not None:
            traces.append(novelai)
        traces.extend(self._stealth())
        for key, text in self._descriptions(full):
            trace = parse_midjourney(text, source=key, author=full.get("Author"))
            if trace is not None:
                traces.append(trace)
                break
        traces.extend(self._source_types())
        named = {t.generator.split(" ")[0].lower() for t in traces}
        for marker in marker_traces(self.software_fields):
            if marker.generator.split(" ")[0].lower() not in named:
                traces.append(marker)
        self.generators = traces

    def _descriptions(self, texts: dict[str, str]) -> list[tuple[str, str]]:
        found = [
            (f"PNG text chunk {k!r}", texts[k]) for k in ("Description", "Comment") if k in texts
        ]
        description = self.exif.get("image_description")
        if isinstance(description, str):
            found.append(("EXIF ImageDescription", description))
        xmp_description = _field(self.xmp, "dc:description")
        if isinstance(xmp_description, str):
            found.append(("XMP dc:description", xmp_description))
        return found

    def _stealth(self) -> list[GeneratorTrace]:
        image = self.image
        if image is None or image.alpha is None or self.fmt not in (*_LOSSLESS, "WEBP"):
            return []
        if self.fmt == "WEBP" and self.container.get("webp_compression") != "lossless":
            return []
        alpha = image.alpha
        rgb = image.pixels if self.fmt in _LOSSLESS else None
        if image.orientation != 1:
            undo = _INVERSE_ORIENTATION.get(image.orientation, image.orientation)
            from ._thumbnail import orient

            alpha = orient(alpha, undo)
            rgb = orient(rgb, undo) if rgb is not None else None
        try:
            payload = read_stealth(np.asarray(alpha), None if rgb is None else np.asarray(rgb))
        except ValueError as exc:
            self.warn(f"stealth metadata: {exc}")
            return []
        if payload is None:
            return []
        source = f"{payload.channel} LSBs ({payload.magic})"
        trace = parse_novelai(payload.data, source=source)
        if trace is None:
            parameters = payload.data.get("parameters")
            if isinstance(parameters, str):
                trace = parse_a1111(parameters, source=source)
        if trace is None:
            trace = GeneratorTrace(
                generator="unknown (stealth metadata)",
                source=source,
                kind="parameters",
                parameters={"keys": sorted(payload.data)},
            )
        return [trace]

    def _source_types(self) -> list[GeneratorTrace]:
        traces: list[GeneratorTrace] = []
        declared: list[tuple[str, Any]] = []
        for key, value in self.xmp.items():
            if key.lower().endswith(":digitalsourcetype"):
                declared.append((f"XMP {key}", value))
        for source, value in declared:
            term = source_type_term(value)
            if term is None:
                continue
            if term in DIGITAL_SOURCE_TYPES:
                self.container.setdefault("digital_source_type", term)
            trace = source_type_trace(value, source=source)
            if trace is not None:
                traces.append(trace)
        if self.c2pa.status == "present":
            for item in self.c2pa.claims.get("digital_source_types", []):
                trace = source_type_trace(item["term"], source="C2PA manifest (signed claim)")
                if trace is not None:
                    agent = next(
                        (
                            a.get("software_agent")
                            for a in self.c2pa.claims.get("actions", [])
                            if a.get("software_agent")
                        ),
                        None,
                    )
                    params = dict(trace.parameters)
                    params["integrity"] = self.c2pa.integrity.get("status")
                    params["signer_trust"] = self.c2pa.trust.get("status")
                    traces.append(
                        GeneratorTrace(
                            generator=str(agent or self.c2pa.claims.get("claim_generator")),
                            source=trace.source,
                            kind="source_type",
                            parameters=params,
                        )
                    )
        return traces

    # -- consistency ---------------------------------------------------------------------

    def _findings(self, walked: ContainerData, *, check_thumbnail: bool) -> None:
        findings: list[Finding] = []
        dirs, image = self.dirs, self.image
        if check_thumbnail and dirs is not None and dirs.thumbnail and image is not None:
            thumb = decode_thumbnail(dirs.thumbnail)
            if thumb is None:
                self.warn("EXIF: the embedded thumbnail cannot be decoded")
            else:
                comparison = compare_thumbnail(thumb, image.pixels, orientation=image.orientation)
                findings.append(thumbnail_finding(comparison))
        history = self._history()
        ps_history = _field(self.xmp, "photoshop:History")
        if isinstance(ps_history, str) and ps_history.strip():
            history.append({"action": "photoshop:History", "text": ps_history.strip()[:2000]})
        findings.extend(editor_findings(self.software_fields, history))
        findings.extend(date_findings(self._dates()))
        if walked.quant_tables:
            findings.append(
                quant_finding(
                    identify_tables(walked.quant_tables),
                    camera=camera_name(self.camera),
                    software=self.exif.get("software"),
                )
            )
        declared = (self.exif.get("pixel_x_dimension"), self.exif.get("pixel_y_dimension"))
        width, height = declared
        if image is not None and isinstance(width, int) and isinstance(height, int):
            stored = (image.stored_width, image.stored_height)
            finding = dimension_finding((width, height), stored)
            if finding is not None:
                findings.append(finding)
        self.findings = findings

    def _dates(self) -> dict[str, Any]:
        dates: dict[str, Any] = {}
        for key in ("datetime", "datetime_original", "datetime_digitized"):
            value = self.exif.get(key)
            parsed = parse_exif_datetime(value if isinstance(value, str) else None)
            if parsed is not None:
                dates[key] = parsed
        offset = self.exif.get("offset_time_original")
        dates["offset_original"] = parse_offset(offset if isinstance(offset, str) else None)
        if self.dirs is not None:
            dates["gps"] = gps_datetime(self.dirs.gps.get(0x001D), self.dirs.gps.get(0x0007))
        return dates


def camera_name(camera: dict[str, Any]) -> str | None:
    """``"Canon EOS 40D"`` from make and model, without repeating the make."""
    make, model = str(camera.get("make") or "").strip(), str(camera.get("model") or "").strip()
    if model and make and model.lower().startswith(make.split()[0].lower()):
        return model
    return " ".join(part for part in (make, model) if part) or None


def _field(xmp: dict[str, Any], key: str) -> Any:
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


def jsonable(value: Any) -> Any:
    """Plain JSON values: bytes to hex, non-finite floats to None, tuples to lists."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, bytes):
        return value[:64].hex()
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, np.generic):
        return jsonable(value.item())
    return value


# -- a one-slot cache shared by the analyzers that look at the same image ---------------

_cache_lock = threading.Lock()
_cache: tuple[weakref.ref[LoadedImage], MetadataReport] | None = None


def cached_metadata(image: LoadedImage) -> MetadataReport:
    """:func:`read_metadata` of a loaded image, computed once for all analyzers."""
    global _cache
    with _cache_lock:
        if _cache is not None and _cache[0]() is image:
            return _cache[1]
    from ._c2pa import default_trust_anchors

    report = read_metadata(image, trust_anchors=default_trust_anchors())
    with _cache_lock:
        _cache = (weakref.ref(image), report)
    return report
