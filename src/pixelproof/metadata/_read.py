"""Read everything a file says about itself: :func:`read_metadata`.

The reading runs in steps: the metadata blocks are read into plain fields
(:mod:`._fields`), generator claims are gathered from them (:mod:`._traces`), C2PA is
validated (:mod:`._c2pa`) and the fields are checked against each other and the pixels
(the findings, below; the checks themselves are in :mod:`._consistency`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NotRequired

import numpy as np
from typing_extensions import TypedDict

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
from ._c2pa import C2paReport, C2paReportDict, read_c2pa
from ._consistency import (
    Finding,
    FindingDict,
    date_findings,
    dimension_finding,
    editor_findings,
    quant_finding,
    thumbnail_finding,
)
from ._containers import ContainerData
from ._exif import gps_datetime, parse_exif_datetime, parse_offset
from ._fields import Reading, xmp_field
from ._generators import GeneratorTrace, GeneratorTraceDict
from ._quant import identify_tables
from ._thumbnail import compare_thumbnail, decode_thumbnail
from ._traces import generator_traces


class MetadataReportDict(TypedDict):
    """The JSON form of a :class:`MetadataReport`: a ``meta`` row's own fields.

    ``exif``, ``gps``, ``xmp``, ``iptc``, ``icc``, ``container`` and the ``text`` items
    hold what the file carries, so their keys vary from file to file.
    """

    path: str
    format: str
    camera: NotRequired[dict[str, Any]]
    orientation: NotRequired[int]
    exif: dict[str, Any]
    gps: dict[str, Any]
    xmp: dict[str, Any]
    iptc: dict[str, Any]
    icc: dict[str, Any]
    text: list[dict[str, Any]]
    container: dict[str, Any]
    generators: list[GeneratorTraceDict]
    findings: list[FindingDict]
    c2pa: C2paReportDict
    warnings: list[str]


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

    def to_dict(self) -> MetadataReportDict:
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
    reading = Reading(name, fmt, data, image, warnings)
    walked = reading.read_fields()
    if c2pa:
        reading.c2pa = read_c2pa(data, trust_anchors=trust_anchors, fmt=fmt)
    reading.generators = generator_traces(reading)
    reading.findings = _findings(reading, walked, check_thumbnail=check_thumbnail)
    return MetadataReport(
        path=reading.name,
        format=reading.fmt,
        camera=reading.camera,
        orientation=reading.orientation,
        exif=reading.exif,
        gps=reading.gps,
        xmp=reading.xmp,
        iptc=reading.iptc,
        icc=reading.icc,
        text=reading.texts,
        container=reading.container,
        generators=reading.generators,
        findings=reading.findings,
        c2pa=reading.c2pa,
        warnings=reading.warnings,
    )


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
        if isinstance(exc, CorruptImageError):  # the same prefix as a damaged decode's rows
            note = f"damaged: {note}"
        return None, data, name, [note]
    except ImageLoadError:
        raise


# -- consistency ---------------------------------------------------------------------


def _findings(reading: Reading, walked: ContainerData, *, check_thumbnail: bool) -> list[Finding]:
    """The consistency checks of what was read, against itself and the pixels."""
    findings: list[Finding] = []
    dirs, image = reading.dirs, reading.image
    if check_thumbnail and dirs is not None and dirs.thumbnail and image is not None:
        thumb = decode_thumbnail(dirs.thumbnail)
        if thumb is None:
            reading.warn("EXIF: the embedded thumbnail cannot be decoded")
        else:
            comparison = compare_thumbnail(thumb, image.pixels, orientation=image.orientation)
            findings.append(thumbnail_finding(comparison))
    history = reading.history()
    ps_history = xmp_field(reading.xmp, "photoshop:History")
    if isinstance(ps_history, str) and ps_history.strip():
        history.append({"action": "photoshop:History", "text": ps_history.strip()[:2000]})
    findings.extend(editor_findings(reading.software_fields, history))
    findings.extend(date_findings(_dates(reading)))
    if walked.quant_tables:
        findings.append(
            quant_finding(
                identify_tables(walked.quant_tables),
                camera=camera_name(reading.camera),
                software=reading.exif.get("software"),
            )
        )
    declared = (reading.exif.get("pixel_x_dimension"), reading.exif.get("pixel_y_dimension"))
    width, height = declared
    if image is not None and isinstance(width, int) and isinstance(height, int):
        stored = (image.stored_width, image.stored_height)
        finding = dimension_finding((width, height), stored)
        if finding is not None:
            findings.append(finding)
    return findings


def _dates(reading: Reading) -> dict[str, Any]:
    dates: dict[str, Any] = {}
    for key in ("datetime", "datetime_original", "datetime_digitized"):
        value = reading.exif.get(key)
        parsed = parse_exif_datetime(value if isinstance(value, str) else None)
        if parsed is not None:
            dates[key] = parsed
    offset = reading.exif.get("offset_time_original")
    dates["offset_original"] = parse_offset(offset if isinstance(offset, str) else None)
    if reading.dirs is not None:
        dates["gps"] = gps_datetime(reading.dirs.gps.get(0x001D), reading.dirs.gps.get(0x0007))
    return dates


def camera_name(camera: dict[str, Any]) -> str | None:
    """``"Canon EOS 40D"`` from make and model, without repeating the make."""
    make, model = str(camera.get("make") or "").strip(), str(camera.get("model") or "").strip()
    if model and make and model.lower().startswith(make.split()[0].lower()):
        return model
    return " ".join(part for part in (make, model) if part) or None


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
