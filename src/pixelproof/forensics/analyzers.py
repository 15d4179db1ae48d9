"""Forensic analyzers registered for ``pixelproof scan``."""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from ..evidence import Evidence, Heatmap, Label, register
from ..io import LoadedImage
from ._ela import ela_map


@register
class ErrorLevelAnalyzer:
    """Error level analysis at JPEG quality 90, shown as a heat-map."""

    name: ClassVar[str] = "ela"
    capability: ClassVar[str] = "forensics"
    title: ClassVar[str] = "Error level analysis"
    description: ClassVar[str] = (
        "Recompresses the image once more and maps how much each 8x8 block changes."
    )
    quality = 90

    def analyze(self, image: LoadedImage) -> Evidence:
        blocks = ela_map(image.pixels, quality=self.quality)
        p50, p99 = (float(v) for v in np.percentile(blocks, [50, 99]))
        return Evidence(
            analyzer=self.name,
            capability=self.capability,
            label=Label.INFO,
            explanation=(
                "Bright areas changed more than the rest when saved again as JPEG "
                f"(quality {self.quality}). Pasted or retouched regions can stand out this way, "
                "but so do fine texture and sharp edges: compare like with like."
            ),
            heatmap=Heatmap.from_float(blocks, (image.width, image.height)),
            details={"quality": self.quality, "median_level": p50, "p99_level": p99},
        )
