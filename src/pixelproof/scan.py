"""Run every installed analyzer over images: load -> analyze -> evidence -> report."""

from __future__ import annotations

import io
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from functools import cache

from .batch import parallel_map
from .evidence import Analyzer, Evidence, ImageFacts, ImageReport, create_analyzers
from .io import ImageLoadError, ImageSource, LoadedImage, LoadLimits, load_image

THUMBNAIL_SIZE = 384


@dataclass(frozen=True)
class ScanOptions:
    """What to run and within which limits (picklable, shared with worker processes).

    Parameters
    ----------
    only, skip : tuple of str or None
        Analyzer or capability names to restrict to / to leave out.
    limits : LoadLimits
        Loader limits.
    thumbnails : bool
        Keep a small JPEG preview in each report (for the HTML report).
    """

    only: tuple[str, ...] | None = None
    skip: tuple[str, ...] | None = None
    limits: LoadLimits = field(default_factory=LoadLimits)
    thumbnails: bool = False


def analyze_image(
    image: LoadedImage, analyzers: Sequence[Analyzer]
) -> tuple[list[Evidence], dict[str, str]]:
    """Run analyzers on a loaded image; an analyzer that fails is recorded, not raised."""
    evidence: list[Evidence] = []
    errors: dict[str, str] = {}
    for analyzer in analyzers:
        started = time.perf_counter()
        try:
            found = analyzer.analyze(image)
        except MemoryError:
            errors[analyzer.name] = "ran out of memory on this image"
            continue
        except Exception as exc:  # one analyzer's bug must not hide the others' evidence
            errors[analyzer.name] = f"{type(exc).__name__}: {exc}"
            continue
        elapsed = (time.perf_counter() - started) * 1000.0
        evidence.append(_with_time(found, elapsed))
    return evidence, errors


def scan_image(
    source: ImageSource,
    *,
    analyzers: Sequence[Analyzer] | None = None,
    options: ScanOptions | None = None,
) -> ImageReport:
    """Load one image and run the analyzers on it.

    Never raises for bad input: a file that cannot be loaded gives a report with
    ``error`` and ``error_type`` set.
    """
    options = options or ScanOptions()
    if analyzers is None:
        analyzers = _cached_analyzers(options.only, options.skip)
    name = "<bytes>" if isinstance(source, bytes) else str(source)
    try:
        image = load_image(source, limits=options.limits)
    except ImageLoadError as exc:
        return ImageReport.failed(name, exc.code, exc.message)
    except FileNotFoundError:
        return ImageReport.failed(name, "not_found", "no such file")
    except IsADirectoryError:
        return ImageReport.failed(name, "not_a_file", "is a folder, not a file")
    except PermissionError:
        return ImageReport.failed(name, "permission_denied", "permission denied")
    except OSError as exc:
        return ImageReport.failed(name, "read_error", f"cannot read file: {exc.strerror or exc}")
    evidence, errors = analyze_image(image, analyzers)
    return ImageReport(
        path=name,
        sha256=image.sha256,
        image=facts_of(image),
        evidence=tuple(evidence),
        warnings=tuple(image.warnings),
        analyzer_errors=errors,
        thumbnail_jpeg=_thumbnail(image) if options.thumbnails else None,
    )


def scan_paths(
    paths: Iterable[str], *, options: ScanOptions | None = None, workers: int = 1
) -> Iterator[ImageReport]:
    """Scan many files, in input order, with ``workers`` processes."""
    options = options or ScanOptions()
    # Fail fast on unknown analyzer names, before any worker starts.
    _cached_analyzers(options.only, options.skip)
    tasks = ((path, options) for path in paths)
    return parallel_map(_scan_task, tasks, workers=workers, on_crash=_crash_report)


def facts_of(image: LoadedImage) -> ImageFacts:
    return ImageFacts(
        format=image.format,
        width=image.width,
        height=image.height,
        mode=image.mode,
        bit_depth=image.bit_depth,
        has_alpha=image.has_alpha,
        orientation=image.orientation,
        normalization=tuple(image.normalization),
    )


def _scan_task(task: tuple[str, ScanOptions]) -> ImageReport:
    path, options = task
    return scan_image(path, options=options)


def _crash_report(task: tuple[str, ScanOptions], error_type: str, message: str) -> ImageReport:
    return ImageReport.failed(task[0], error_type, message)


@cache
def _cached_analyzers(only: tuple[str, ...] | None, skip: tuple[str, ...] | None) -> list[Analyzer]:
    return create_analyzers(only=only, skip=skip)


def _with_time(evidence: Evidence, elapsed_ms: float) -> Evidence:
    return replace(evidence, elapsed_ms=elapsed_ms)


def _thumbnail(image: LoadedImage) -> bytes:
    preview = image.to_pil()
    preview.thumbnail((THUMBNAIL_SIZE, THUMBNAIL_SIZE))
    buffer = io.BytesIO()
    preview.save(buffer, format="JPEG", quality=85)
    return buffer.getvalue()
