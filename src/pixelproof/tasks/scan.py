"""``pixelproof scan``: every installed analyzer on each image, as evidence."""

from __future__ import annotations

import io
import time
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path
from typing import Any, ClassVar

from typing_extensions import TypedDict

from ..evidence import Analyzer, Evidence, EvidenceDict, SharedWork, create_analyzers
from ..io import LoadedImage
from ..runner import JsonRowHead, Row, process_one, side_file_path, write_side_file
from ..settings import Settings

THUMBNAIL_SIZE = 384

FAST_DECODE_PIXELS = 500_000
"""The fast profile decodes a JPEG at the smallest DCT scaling with at least this many
pixels (a 12-megapixel photo at 1/4 size, 1000x750): more than the working sizes of
the analyses it keeps (the watermark detector's 384-pixel side, the appearance
model's 0.3 megapixels)."""
FAST_ANALYZERS = frozenset({"metadata", "credentials", "watermark", "quality", "appearance"})
"""What the fast profile runs: the file's metadata and credentials, watermarks, the
JPEG tables' reading and the learned appearance model at its working size."""
_FAST_REASONS = {
    "forensics": "it needs the image at full resolution or its full set of DCT coefficients",
    "synthetic": "the pixel detector's tiles and degraded copies cost several times "
    "the triage budget",
}


class ScanFindingsDict(TypedDict):
    """The JSON form of :class:`ScanFindings`: a ``scan`` row's own fields."""

    evidence: list[EvidenceDict]
    analyzer_errors: dict[str, str]
    profile: str
    skipped: dict[str, str]


class ScanJsonRow(JsonRowHead, ScanFindingsDict):
    """A ``scan`` row with a result (else :class:`~pixelproof.runner.ErrorJsonRow`)."""


@dataclass(frozen=True)
class ScanFindings:
    """The evidence of every analyzer about one image.

    Attributes
    ----------
    evidence : tuple of Evidence
        One per analyzer that ran.
    analyzer_errors : dict
        Analyzer name -> why it failed on this image (the others still report).
    heatmaps : dict
        Analyzer name -> heat-map PNG written to disk (with ``heatmap_dir``).
    thumbnail_jpeg : bytes or None
        A small preview for the HTML report.
    profile : str
        The profile that ran (``default`` or ``fast``, see :class:`Settings`).
    skipped : dict
        Analyzer name -> why the profile left it out (empty for ``default``): a fast
        row's silence about them is no finding.
    """

    evidence: tuple[Evidence, ...] = ()
    analyzer_errors: dict[str, str] = field(default_factory=dict)
    heatmaps: dict[str, str] = field(default_factory=dict)
    thumbnail_jpeg: bytes | None = field(default=None, repr=False)
    profile: str = "default"
    skipped: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> ScanFindingsDict:
        return {
            "evidence": [
                e.to_dict(heatmap_path=self.heatmaps.get(e.analyzer)) for e in self.evidence
            ],
            "analyzer_errors": dict(self.analyzer_errors),
            "profile": self.profile,
            "skipped": dict(self.skipped),
        }


@dataclass(frozen=True)
class ScanTask:
    """Run the selected analyzers; write heat-maps and keep thumbnails when asked.

    Parameters
    ----------
    only, skip : tuple of str or None
        Analyzer or capability names to restrict to / to leave out.
    heatmap_dir : str or None
        Folder for each heat-map as a grayscale PNG.
    thumbnails : bool
        Keep a small JPEG preview (for the HTML report).
    """

    command: ClassVar[str] = "scan"
    only: tuple[str, ...] | None = None
    skip: tuple[str, ...] | None = None
    heatmap_dir: str | None = None
    thumbnails: bool = False

    def check(self, settings: Settings) -> None:
        """Raise ``ValueError`` for unknown analyzer names, before any worker starts."""
        analyzers_for(self.only, self.skip, settings)

    def decode_pixels(self, settings: Settings) -> int | None:
        """How many pixels the runner needs to decode (None: all of them)."""
        return FAST_DECODE_PIXELS if settings.profile == "fast" else None

    def process(self, image: LoadedImage, path: str, settings: Settings) -> ScanFindings:
        selected = analyzers_for(self.only, self.skip, settings)
        skipped = left_out(selected, settings.profile)
        evidence, errors = analyze_image(image, [a for a in selected if a.name not in skipped])
        heatmaps = {}
        if self.heatmap_dir is not None:
            folder = Path(self.heatmap_dir)
            for found in evidence:
                if found.heatmap is not None:
                    target = side_file_path(folder, path, image.sha256, found.analyzer, ".png")
                    heatmaps[found.analyzer] = write_side_file(
                        target, found.heatmap.to_png(), protect=(path,)
                    )
        return ScanFindings(
            evidence=tuple(evidence),
            analyzer_errors=errors,
            heatmaps=heatmaps,
            thumbnail_jpeg=preview_jpeg(image) if self.thumbnails else None,
            profile=settings.profile,
            skipped=skipped,
        )


def left_out(analyzers: list[Analyzer], profile: str) -> dict[str, str]:
    """The selected analyzers a profile does not run, each with the reason."""
    if profile != "fast":
        return {}
    return {
        a.name: "Left out by the fast profile (triage): "
        + _FAST_REASONS.get(a.capability, "it is not part of the fast profile")
        + ". Run the default profile for a full check."
        for a in analyzers
        if a.name not in FAST_ANALYZERS
    }


def analyze_image(
    image: LoadedImage, analyzers: list[Analyzer]
) -> tuple[list[Evidence], dict[str, str]]:
    """Run analyzers on a loaded image; an analyzer that fails is recorded, not raised."""
    shared = SharedWork()
    evidence: list[Evidence] = []
    errors: dict[str, str] = {}
    for analyzer in analyzers:
        started = time.perf_counter()
        try:
            found = analyzer.analyze(image, shared)
        except MemoryError:
            errors[analyzer.name] = "ran out of memory on this image"
            continue
        except Exception as exc:  # one analyzer's bug must not hide the others' evidence
            errors[analyzer.name] = f"{type(exc).__name__}: {exc}"
            continue
        elapsed = (time.perf_counter() - started) * 1000.0
        evidence.append(replace(found, elapsed_ms=elapsed))
    return evidence, errors


@cache
def analyzers_for(
    only: tuple[str, ...] | None, skip: tuple[str, ...] | None, settings: Settings
) -> list[Analyzer]:
    """The analyzers of a run, created once per process."""
    return create_analyzers(only=only, skip=skip, settings=settings)


def preview_jpeg(image: LoadedImage) -> bytes:
    """A JPEG preview of ``image`` at most :data:`THUMBNAIL_SIZE` pixels a side."""
    preview = image.to_pil()
    preview.thumbnail((THUMBNAIL_SIZE, THUMBNAIL_SIZE))
    buffer = io.BytesIO()
    preview.save(buffer, format="JPEG", quality=85)
    return buffer.getvalue()


def scan_image(
    path: str | Path, *, settings: Settings | None = None, **options: Any
) -> Row[ScanFindings]:
    """Scan one file in this process (``options`` as for :class:`ScanTask`)."""
    return process_one((ScanTask(**options), str(path), settings or Settings()))
