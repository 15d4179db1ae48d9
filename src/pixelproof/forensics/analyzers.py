"""Forensic analyzers registered for ``pixelproof scan``.

``tampering`` gives the verdict: the fused score, a label (``manipulated``,
``inconclusive`` or ``authentic``) and the fused localization map, with every
analysis's score and explanation in its details. Each analysis is also an analyzer of
its own (``ela``, ``noise``, ``dq``, ...; label ``info``), so the report shows every
map next to the image. All of them have the capability ``forensics``; the analyses
of one image run once and are shared between the analyzers.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from ..evidence import AnalyzerBase, Evidence, Heatmap, Label, SharedWork, register
from ..io import LoadedImage
from ._context import ImageContext
from ._ela import ela_map
from ._result import ForensicResult, empty_result
from ._suite import TITLES, available_analyses, fuse, run_analyses


def _shared(
    image: LoadedImage, shared: SharedWork, names: tuple[str, ...]
) -> dict[str, ForensicResult]:
    """Results of ``names`` for ``image``, each analysis run once per image."""
    context = shared.get("forensics.context", lambda: ImageContext.from_loaded(image))
    results: dict[str, ForensicResult] = shared.get("forensics.results", dict)
    missing = tuple(n for n in names if n not in results)
    if missing:
        found, _ = run_analyses(context, analyses=missing)
        results.update(found)
    return {n: results[n] for n in names}


def _heatmap(result: ForensicResult) -> Heatmap | None:
    if not result.informative:
        return None
    return Heatmap.from_float(result.heatmap, result.image_size)


@register
class TamperingAnalyzer(AnalyzerBase):
    """All forensic analyses fused: a calibrated manipulation score and one map."""

    name: ClassVar[str] = "tampering"
    capability: ClassVar[str] = "forensics"
    title: ClassVar[str] = "Tampering (fused forensic analyses)"
    description: ClassVar[str] = (
        "Runs every forensic analysis and fuses them into a calibrated probability that "
        "the image was edited, and a map of where."
    )

    def analyze(self, image: LoadedImage, shared: SharedWork) -> Evidence:
        results = _shared(image, shared, available_analyses())
        report = fuse(results, damage=image.damage)
        details: dict[str, Any] = dict(report.fused.details)
        details["analyses"] = {
            name: {
                "score": round(r.score, 4),
                "informative": r.informative,
                "explanation": r.explanation,
            }
            for name, r in results.items()
        }
        return Evidence(
            analyzer=self.name,
            capability=self.capability,
            label=report.label,
            explanation=report.explanation,
            score=report.score,
            heatmap=Heatmap.from_float(report.fused.heatmap, report.fused.image_size),
            details=details,
        )


class _SingleAnalysis(AnalyzerBase):
    """One analysis as an analyzer (label ``info``: only the fusion decides)."""

    name: ClassVar[str]
    capability: ClassVar[str] = "forensics"
    title: ClassVar[str]
    description: ClassVar[str]

    def analyze(self, image: LoadedImage, shared: SharedWork) -> Evidence:
        result = _shared(image, shared, (self.name,))[self.name]
        return Evidence(
            analyzer=self.name,
            capability=self.capability,
            label=Label.INFO,
            explanation=result.explanation,
            score=result.score if result.informative else None,
            heatmap=_heatmap(result),
            details={"informative": result.informative, **result.details},
        )


def _make(analysis: str, text: str) -> type:
    cls = type(
        f"{analysis.title().replace('_', '')}Analyzer",
        (_SingleAnalysis,),
        {
            "name": analysis,
            "title": TITLES[analysis],
            "description": text,
            "__doc__": f"{TITLES[analysis]}: {text}",
        },
    )
    return register(cls)


_DESCRIPTIONS = {
    "ela": "Recompresses the image at several qualities and maps blocks that react unlike "
    "others of the same texture.",
    "noise": "Maps areas whose noise level departs from the rest of the image.",
    "dq": "Maps blocks lacking the traces of a first JPEG compression that the rest shows.",
    "grid": "Maps areas carrying a JPEG block grid at another offset than the image's.",
    "ghost": "Maps areas that were saved earlier at a lower JPEG quality than the rest.",
    "cfa": "Maps areas lacking the camera's demosaicing pattern.",
    "copymove": "Finds regions copied from elsewhere in the same image, with their source.",
    "resampling": "Maps areas carrying interpolation traces (scaled or rotated insertions).",
    "recolor": "Maps areas whose colours occur nowhere else in the scene or whose colour "
    "detail is weakly coupled to brightness detail.",
    "appearance": "Maps areas that look edited (smeared inpainting, pasted material, "
    "unnatural colours) to a network model fitted on forgeries.",
    "quality": "Estimates the JPEG quality and identifies the encoder from its tables.",
}


@register
class ErrorLevelAnalyzer(_SingleAnalysis):
    """Error level analysis: the classic view, plus the texture-normalised finding.

    The map is the raw ELA error at quality 90 on a fixed scale (what ELA users
    expect to see); the score and explanation are those of the ``ela`` analysis,
    which judges each block against others of the same texture at several qualities.
    """

    name: ClassVar[str] = "ela"
    title: ClassVar[str] = TITLES["ela"]
    description: ClassVar[str] = _DESCRIPTIONS["ela"]
    quality = 90

    def analyze(self, image: LoadedImage, shared: SharedWork) -> Evidence:
        blocks = ela_map(image.pixels, quality=self.quality)
        try:
            result = _shared(image, shared, (self.name,))[self.name]
        except ImportError as exc:  # the forensics extra is missing: the classic map only
            result = empty_result(self.name, (image.width, image.height), str(exc))
        p50, p99 = (float(v) for v in np.percentile(blocks, [50, 99]))
        explanation = (
            f"Map: how much each 8x8 block changes when saved again at quality {self.quality} "
            "(fine texture and sharp edges also change more). " + result.explanation
        )
        return Evidence(
            analyzer=self.name,
            capability=self.capability,
            label=Label.INFO,
            explanation=explanation,
            score=result.score if result.informative else None,
            heatmap=Heatmap.from_float(blocks, (image.width, image.height)),
            details={
                "quality": self.quality,
                "median_level": p50,
                "p99_level": p99,
                "informative": result.informative,
                **result.details,
            },
        )


for _name in available_analyses():
    if _name != "ela":
        _make(_name, _DESCRIPTIONS[_name])
