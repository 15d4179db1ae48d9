"""The ``synthetic`` analyzer registered for ``pixelproof scan``.

It reports the pixel-level verdict of :mod:`pixelproof.synthetic` (score, label,
stability on degraded copies) with its per-region map. The file's clues (metadata,
Content Credentials, the Stable Diffusion mark) are reported by the ``metadata`` and
``watermark`` analyzers of the same scan, so they are not repeated here; ``pixelproof
detect`` fuses all of them into one score.
"""

from __future__ import annotations

from typing import ClassVar

from ..evidence import AnalyzerBase, Evidence, Heatmap, Label, SharedWork, register
from ..io import LoadedImage


@register
class SyntheticAnalyzer(AnalyzerBase):
    """Do the pixels look AI-generated?"""

    name: ClassVar[str] = "synthetic"
    capability: ClassVar[str] = "synthetic"
    title: ClassVar[str] = "AI-generated pixels"
    description: ClassVar[str] = (
        "A detector of generation traces (frozen ImageNet features with spectral and "
        "neighbouring-pixel residual statistics, trained under format parity and "
        "calibrated), re-checked on a JPEG-75 and a half-size copy; maps where the image "
        "looks generated."
    )

    def analyze(self, image: LoadedImage, shared: SharedWork) -> Evidence:
        try:
            from . import fuse, model_from, pixel_verdict
            from ._detect import pixel_explanation

            model = model_from(self.settings.synthetic_model)
            pixels = pixel_verdict(image.pixels, model)
        except ImportError as exc:
            return Evidence(
                analyzer=self.name,
                capability=self.capability,
                label=Label.INFO,
                explanation=f"The synthetic-image detector was skipped: {exc}",
                details={"skipped": True},
            )
        verdict = fuse(pixels, [], model)
        label = {"synthetic": Label.SYNTHETIC, "real": Label.REAL}.get(
            verdict.label, Label.INCONCLUSIVE
        )
        stability = verdict.stability()
        return Evidence(
            analyzer=self.name,
            capability=self.capability,
            label=label,
            explanation=pixel_explanation(pixels),
            score=round(verdict.score, 6),
            heatmap=Heatmap.from_float(pixels.tile_map, (image.width, image.height)),
            details={
                "copies": dict(stability["copies"]),
                "disagreement": stability["disagreement"],
                "stable": stability["stable"],
                "model": pixels.model,
            },
        )
