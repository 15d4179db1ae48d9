"""Metadata analyzers registered for ``pixelproof scan``."""

from __future__ import annotations

from typing import ClassVar

from ..evidence import Evidence, Label, register
from ..io import LoadedImage
from ._summary import summarize_metadata


@register
class FileMetadataAnalyzer:
    """Camera, software and generator traces written in the file."""

    name: ClassVar[str] = "metadata"
    capability: ClassVar[str] = "metadata"
    title: ClassVar[str] = "File metadata"
    description: ClassVar[str] = (
        "Reads camera, software, dates and generator traces from EXIF, XMP and PNG text."
    )

    def analyze(self, image: LoadedImage) -> Evidence:
        summary = summarize_metadata(image)
        details = dict(summary.fields)
        if summary.warnings:
            details["warnings"] = summary.warnings
        if summary.generator:
            details["generator"] = summary.generator
            return Evidence(
                analyzer=self.name,
                capability=self.capability,
                label=Label.SYNTHETIC,
                explanation=(
                    f"The file says it was made by {summary.generator}: "
                    f"{summary.generator_evidence}. Such claims are easy to add or strip, "
                    "so their absence proves nothing."
                ),
                details=details,
            )
        camera = " ".join(str(details[k]) for k in ("make", "model") if k in details)
        if camera:
            explanation = f"Camera metadata names a {camera}."
        elif details:
            explanation = "The file carries metadata, but names no camera or generator."
        else:
            explanation = "No metadata: common after sharing online; it proves nothing."
        if "software" in details:
            explanation += f" Last written by {details['software']}."
        return Evidence(
            analyzer=self.name,
            capability=self.capability,
            label=Label.INFO,
            explanation=explanation,
            details=details,
        )
