"""``pixelproof forensics``: where each image was edited, and how sure we are.

JSON fields of a row (besides the envelope's)::

    {"score": 0.93, "label": "manipulated", "explanation": "...",
     "heatmap": "heat/a-1a2b3c4d.forensics.png",
     "analyses": {"dq": {"score": 0.97, "heatmap": "heat/a-1a2b3c4d.dq.png",
                         "informative": true, "explanation": "..."}, ...},
     "elapsed_ms": 812.0}

``heatmap`` paths are null without a heat-map folder (and for analyses that could not
look at the image). Heat-maps are grayscale PNGs of the input's size: 0 = authentic,
255 = manipulated.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
from typing_extensions import TypedDict

from ..evidence import Heatmap
from ..io import LoadedImage
from ..runner import JsonRowHead, side_file_path, write_side_file
from ..settings import Settings
from .scan import THUMBNAIL_SIZE, preview_jpeg


class AnalysisSummaryDict(TypedDict):
    """The JSON form of :class:`AnalysisSummary` (a value of a row's ``analyses``)."""

    score: float
    heatmap: str | None
    informative: bool
    explanation: str


class ForensicsFindingsDict(TypedDict):
    """The JSON form of :class:`ForensicsFindings`: a ``forensics`` row's own fields."""

    score: float
    label: str
    explanation: str
    heatmap: str | None
    analyses: dict[str, AnalysisSummaryDict]
    elapsed_ms: float


class ForensicsJsonRow(JsonRowHead, ForensicsFindingsDict):
    """A ``forensics`` row with a result (else :class:`~pixelproof.runner.ErrorJsonRow`)."""


@dataclass(frozen=True)
class AnalysisSummary:
    """One forensic analysis's verdict on one image."""

    score: float
    informative: bool
    explanation: str
    heatmap: str | None = None


@dataclass(frozen=True)
class ForensicsFindings:
    """The fused verdict, its map, and every analysis's part in it.

    ``thumbnail_jpeg`` (a small preview) and ``fused_preview`` (the fused map, at most
    :data:`~pixelproof.tasks.scan.THUMBNAIL_SIZE` pixels a side) are kept for the HTML
    report when the task was asked for thumbnails; they are not part of the JSON row.
    """

    score: float
    label: str
    explanation: str
    analyses: dict[str, AnalysisSummary] = field(default_factory=dict)
    heatmap: str | None = None
    elapsed_ms: float = 0.0
    thumbnail_jpeg: bytes | None = field(default=None, repr=False)
    fused_preview: Heatmap | None = field(default=None, repr=False)

    def to_dict(self) -> ForensicsFindingsDict:
        return {
            "score": round(self.score, 6),
            "label": self.label,
            "explanation": self.explanation,
            "heatmap": self.heatmap,
            "analyses": {
                name: {
                    "score": round(a.score, 6),
                    "heatmap": a.heatmap,
                    "informative": a.informative,
                    "explanation": a.explanation,
                }
                for name, a in self.analyses.items()
            },
            "elapsed_ms": round(self.elapsed_ms, 1),
        }


@dataclass(frozen=True)
class ForensicsTask:
    """Run the selected analyses, fuse them, and write their maps when asked.

    Parameters
    ----------
    analyses : tuple of str
        The analyses to run (see :func:`pixelproof.forensics.check_analyses`).
    heatmap_dir : str or None
        Folder for the fused map and each analysis's map as grayscale PNGs.
    thumbnails : bool
        Keep a small JPEG preview and the fused map at preview size (for the HTML
        report).
    """

    command: ClassVar[str] = "forensics"
    analyses: tuple[str, ...]
    heatmap_dir: str | None = None
    thumbnails: bool = False

    def process(self, image: LoadedImage, path: str, settings: Settings) -> ForensicsFindings:
        from ..forensics import ImageContext, fuse, run_analyses

        started = time.perf_counter()
        results, _ = run_analyses(ImageContext.from_loaded(image), analyses=self.analyses)
        report = fuse(results, damage=image.damage)

        def write(name: str, result: Any) -> str | None:
            if self.heatmap_dir is None:
                return None
            target = side_file_path(Path(self.heatmap_dir), path, image.sha256, name, ".png")
            png = Heatmap.from_float(result.heatmap, result.image_size).to_png()
            return write_side_file(target, png, protect=(path,))

        fused_map = write("forensics", report.fused)
        analyses = {
            name: AnalysisSummary(
                score=result.score,
                informative=result.informative,
                explanation=result.explanation,
                heatmap=write(name, result) if result.informative else None,
            )
            for name, result in report.results.items()
        }
        return ForensicsFindings(
            score=report.score,
            label=report.label,
            explanation=report.explanation,
            analyses=analyses,
            heatmap=fused_map,
            elapsed_ms=(time.perf_counter() - started) * 1000.0,
            thumbnail_jpeg=preview_jpeg(image) if self.thumbnails else None,
            fused_preview=_small_map(report.fused) if self.thumbnails else None,
        )


def _small_map(result: Any) -> Heatmap:
    """A forensic result's map, reduced to fit the report's previews."""
    heatmap = Heatmap.from_float(result.heatmap, result.image_size)
    height, width = heatmap.values.shape
    if max(width, height) <= THUMBNAIL_SIZE:
        return heatmap
    from PIL import Image

    image = Image.fromarray(heatmap.values, "L")
    image.thumbnail((THUMBNAIL_SIZE, THUMBNAIL_SIZE), Image.Resampling.BOX)
    return Heatmap(values=np.asarray(image, dtype=np.uint8), size=heatmap.size)
