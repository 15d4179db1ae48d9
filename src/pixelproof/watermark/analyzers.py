"""Watermark analyzer registered for ``pixelproof scan``."""

from __future__ import annotations

from typing import ClassVar

from ..evidence import AnalyzerBase, Evidence, Label, SharedWork, register
from ..io import LoadedImage


@register
class WatermarkAnalyzer(AnalyzerBase):
    """pixelproof's own mark (with the configured key) and the Stable Diffusion mark."""

    name: ClassVar[str] = "watermark"
    capability: ClassVar[str] = "watermark"
    title: ClassVar[str] = "Invisible watermarks"
    description: ClassVar[str] = (
        "Looks for a pixelproof watermark (with the configured key, else the demo key) "
        "and for the invisible mark Stable Diffusion's reference pipelines add."
    )

    def analyze(self, image: LoadedImage, shared: SharedWork) -> Evidence:
        try:
            from ._api import detect
            from ._stable_diffusion import read_stable_diffusion_mark
        except ImportError as exc:
            return Evidence(
                analyzer=self.name,
                capability=self.capability,
                label=Label.INFO,
                explanation=f"Watermark checks were skipped: {exc}",
                details={"skipped": True},
            )
        ours = detect(image, key=self.settings.key)
        sd = read_stable_diffusion_mark(image)
        details = {
            "pixelproof": {
                "detected": ours.detected,
                "message": ours.message,
                "p_value": ours.p_value,
                "key": "demo" if self.settings.demo_key else "configured",
            },
            "stable_diffusion": {
                "detected": sd.detected,
                "variant": sd.message,
                "p_value": sd.p_value,
            },
        }
        if sd.detected:
            generator = sd.details.get("generator", "Stable Diffusion")
            return Evidence(
                analyzer=self.name,
                capability=self.capability,
                label=Label.SYNTHETIC,
                explanation=(
                    f"Carries the invisible watermark that {generator} adds to what it "
                    f"generates (chance of this on an unmarked image: {sd.p_value:.1e})."
                ),
                score=_confidence(sd.p_value),
                details=details,
            )
        if ours.detected:
            return Evidence(
                analyzer=self.name,
                capability=self.capability,
                label=Label.WATERMARKED,
                explanation=(
                    f"Carries a pixelproof watermark with message {ours.message} "
                    f"(chance of this on an unmarked image: {ours.p_value:.1e})."
                ),
                score=_confidence(ours.p_value),
                details=details,
            )
        return Evidence(
            analyzer=self.name,
            capability=self.capability,
            label=Label.INFO,
            explanation=(
                "No pixelproof or Stable Diffusion watermark found. Most images carry none, "
                "so this proves nothing."
            ),
            score=_confidence(min(ours.p_value, sd.p_value)),
            details=details,
        )


def _confidence(p_value: float) -> float:
    """Score in [0, 1]: one minus the p-value (how unlikely the finding is by chance)."""
    return float(min(1.0, max(0.0, 1.0 - p_value)))
