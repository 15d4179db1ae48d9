"""Watermark analyzer registered for ``pixelproof scan``."""

from __future__ import annotations

from typing import Any, ClassVar

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
        # the fast profile's triage searches one frequency band (see detect)
        ours = detect(image, key=self.settings.key, thorough=self.settings.profile != "fast")
        details: dict[str, Any] = {
            "pixelproof": {
                "detected": ours.detected,
                "message": ours.message,
                "p_value": ours.p_value,
                "key": "demo" if self.settings.demo_key else "configured",
            },
        }
        if image.decode_scale != 1:
            # The Stable Diffusion mark lives in single pixels: a reduced decode erases it.
            details["stable_diffusion"] = {"skipped": _SD_SKIPPED}
            return _without_sd_mark(self, ours.detected, ours.message, ours.p_value, details)
        sd = read_stable_diffusion_mark(image)
        details["stable_diffusion"] = {
            "detected": sd.detected,
            "variant": sd.message,
            "p_value": sd.p_value,
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
            return _without_sd_mark(self, True, ours.message, ours.p_value, details)
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


_SD_SKIPPED = (
    "not checked: the image was decoded at reduced size (fast profile), which erases this mark"
)


def _without_sd_mark(
    analyzer: WatermarkAnalyzer,
    detected: bool,
    message: str | None,
    p_value: float,
    details: dict[str, Any],
) -> Evidence:
    """The evidence of pixelproof's own mark (the Stable Diffusion mark absent or not read)."""
    if detected:
        label = Label.WATERMARKED
        explanation = (
            f"Carries a pixelproof watermark with message {message} "
            f"(chance of this on an unmarked image: {p_value:.1e})."
        )
    else:
        label = Label.INFO
        explanation = (
            "No pixelproof watermark found (the Stable Diffusion mark was not checked: "
            "the image was decoded at reduced size). Most images carry none, so this "
            "proves nothing."
        )
    return Evidence(
        analyzer=analyzer.name,
        capability=analyzer.capability,
        label=label,
        explanation=explanation,
        score=_confidence(p_value),
        details=details,
    )


def _confidence(p_value: float) -> float:
    """Score in [0, 1]: one minus the p-value (how unlikely the finding is by chance)."""
    return float(min(1.0, max(0.0, 1.0 - p_value)))
