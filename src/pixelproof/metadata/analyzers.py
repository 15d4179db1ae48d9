"""The metadata analyzer registered for ``pixelproof scan``.

One analyzer, ``metadata``, reports one piece of evidence built from
:func:`read_metadata`: generator claims written in the file, consistency findings (EXIF
thumbnail against the pixels, dates, editors, JPEG tables) and C2PA Content Credentials.
Its label is the strongest of the three: ``manipulated`` (thumbnail or C2PA hash
disagrees with the pixels) over ``synthetic`` (a generator claim) over ``authentic`` (a
trusted, intact C2PA capture) over ``inconclusive`` and ``info``. All the parts are in
``details``. The C2PA trust list is the settings' ``trust_anchors``.
"""

from __future__ import annotations

from typing import Any, ClassVar

from ..evidence import AnalyzerBase, Evidence, Label, SharedWork, register
from ..io import LoadedImage
from ._c2pa import C2paReport
from ._read import MetadataReport, camera_name, read_metadata


@register
class FileMetadataAnalyzer(AnalyzerBase):
    """What the file says about its origin, and whether that holds together."""

    name: ClassVar[str] = "metadata"
    capability: ClassVar[str] = "metadata"
    title: ClassVar[str] = "File metadata and Content Credentials"
    description: ClassVar[str] = (
        "Reads EXIF, XMP, IPTC, ICC and PNG text (camera, software, dates, generation "
        "parameters of A1111, ComfyUI, InvokeAI, NovelAI, Midjourney, IPTC digital source "
        "types), checks the EXIF thumbnail, dates and JPEG tables against the picture, and "
        "validates C2PA Content Credentials (integrity, signer trust and claims apart)."
    )

    def analyze(self, image: LoadedImage, shared: SharedWork) -> Evidence:
        anchors = self.settings.trust_anchors
        report = shared.get("metadata.report", lambda: read_metadata(image, trust_anchors=anchors))
        statements = _statements(report)
        label = max((s[0] for s in statements), key=lambda lab: _PRIORITY.get(lab, 0))
        ordered = sorted(statements, key=lambda s: -_PRIORITY.get(s[0], 0))
        explanation = " ".join(text for _, text in ordered[:3])
        details = _summary_details(report)
        details["generators"] = [g.to_dict() for g in report.generators]
        details["findings"] = [f.to_dict() for f in report.findings]
        details["c2pa"] = report.c2pa.to_dict()
        return Evidence(
            analyzer=self.name,
            capability=self.capability,
            label=label,
            explanation=explanation,
            details=details,
        )


_PRIORITY = {
    Label.MANIPULATED: 5,
    Label.SYNTHETIC: 4,
    Label.AUTHENTIC: 3,
    Label.INCONCLUSIVE: 2,
    Label.INFO: 1,
}


def _statements(report: MetadataReport) -> list[tuple[str, str]]:
    """(label, sentence) pairs: generator claims, consistency findings, C2PA."""
    statements: list[tuple[str, str]] = []
    claims = [g for g in report.generators if g.kind in ("parameters", "source_type")]
    traces = claims or report.generators
    if traces:
        names = ", ".join(sorted({g.generator for g in traces}))
        statements.append(
            (
                Label.SYNTHETIC,
                f"The file claims to come from {names} ({traces[0].source}). This is a claim "
                "written in the file: easy to add or strip, so its absence would prove nothing.",
            )
        )
    notable = [f for f in report.findings if f.label in (Label.MANIPULATED, Label.INCONCLUSIVE)]
    statements.extend((f.label, f.message) for f in notable[:2])
    if report.c2pa.present:
        statements.append((c2pa_label(report.c2pa), report.c2pa.summary))
    if not statements:
        camera = camera_name(report.camera)
        if camera:
            text = f"Camera metadata names a {camera}."
        elif report.exif or report.xmp or report.iptc or report.text:
            text = "The file carries metadata, but names no camera or generator."
        else:
            text = "No metadata: common after sharing online; it proves nothing."
        software = report.exif.get("software")
        if isinstance(software, str):
            text += f" Last written by {software}."
        edits = [f for f in report.findings if f.code.startswith(("thumbnail", "editor"))]
        if edits:
            text += " " + edits[0].message
        statements.append((Label.INFO, text))
    return statements


def c2pa_label(c2pa: C2paReport) -> str:
    """The evidence label for a C2PA report.

    A broken hash binding means the content changed after signing (manipulated). An
    intact manifest that declares generative AI is a signed claim of synthesis. An
    intact manifest from a trusted signer that declares a capture is authentic. All
    else is information: an untrusted signer is not a sign of forgery.
    """
    if c2pa.status != "present":
        return Label.INCONCLUSIVE if c2pa.status in ("error", "unavailable") else Label.INFO
    integrity = c2pa.integrity.get("status")
    if integrity == "broken":
        codes = [str(c.get("code")) for c in c2pa.integrity.get("codes", [])]
        return Label.MANIPULATED if any("Hash.mismatch" in c for c in codes) else Label.INCONCLUSIVE
    if integrity != "intact":
        return Label.INCONCLUSIVE
    terms = {item["term"] for item in c2pa.claims.get("digital_source_types", [])}
    if terms & {"trainedAlgorithmicMedia", "compositeWithTrainedAlgorithmicMedia"}:
        return Label.SYNTHETIC
    capture = {"digitalCapture", "computationalCapture", "negativeFilm", "positiveFilm"}
    if c2pa.trust.get("status") == "trusted" and terms and terms <= capture:
        return Label.AUTHENTIC
    return Label.INFO


def _summary_details(report: MetadataReport) -> dict[str, Any]:
    details: dict[str, Any] = {}
    if report.camera:
        details["camera"] = report.camera
    if report.orientation is not None:
        details["orientation"] = report.orientation
    for key in ("software", "datetime_original", "datetime"):
        if key in report.exif:
            details[key] = report.exif[key]
    if report.gps.get("latitude") is not None:
        details["gps"] = {k: report.gps[k] for k in ("latitude", "longitude") if k in report.gps}
    tool = report.xmp.get("xmp:CreatorTool")
    if tool:
        details["creator_tool"] = tool
    if report.text:
        details["text_chunks"] = sorted({str(t["keyword"]) for t in report.text})
    if report.icc.get("description"):
        details["icc_profile"] = report.icc["description"]
    details["c2pa"] = report.c2pa.status
    if report.warnings:
        details["warnings"] = list(report.warnings)
    return details
