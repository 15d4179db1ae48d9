"""``pixelproof scan``: run every installed analyzer and report per image."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..evidence import ImageReport, available_analyzers, create_analyzers
from ..heatmaps import write_heatmaps
from ..scan import ScanOptions, scan_paths
from ._common import (
    DEFAULT_MAX_FILE_MB,
    DEFAULT_PIXELS,
    EXIT_OK,
    EXIT_SOME_FAILED,
    Inputs,
    JsonFlag,
    MaxFileMb,
    MaxPixels,
    Workers,
    gather_inputs,
    limits_from,
    print_json,
    progress_bar,
    usage_error,
)
from ._text import print_report

NameList = Annotated[
    list[str] | None,
    typer.Option(help="Analyzer or capability names, comma-separated or repeated."),
]


def scan(
    inputs: Inputs,
    json_output: JsonFlag = False,
    only: NameList = None,
    skip: NameList = None,
    report: Annotated[
        Path | None, typer.Option(help="Also write a self-contained HTML report here.")
    ] = None,
    heatmap_dir: Annotated[
        Path | None,
        typer.Option(help="Write each heat-map as a grayscale PNG (0 = clean, 255 = suspect)."),
    ] = None,
    workers: Workers = 1,
    max_pixels: MaxPixels = DEFAULT_PIXELS,
    max_file_mb: MaxFileMb = DEFAULT_MAX_FILE_MB,
) -> None:
    """Run every installed analyzer on each image and report the evidence."""
    options = ScanOptions(
        only=_names(only),
        skip=_names(skip),
        limits=limits_from(max_pixels, max_file_mb),
        thumbnails=report is not None,
    )
    try:
        create_analyzers(only=options.only, skip=options.skip)
    except ValueError as exc:
        raise usage_error(str(exc)) from None
    expanded = gather_inputs(inputs)
    results = scan_paths(expanded.files, options=options, workers=workers)
    collected: list[ImageReport] = []
    failed = 0

    def emit(result: ImageReport) -> None:
        nonlocal failed
        failed += not result.ok
        paths = write_heatmaps(result, heatmap_dir) if heatmap_dir and result.ok else {}
        if json_output:
            print_json(result.to_dict(heatmap_paths=paths))
        else:
            print_report(result)
        if report is not None:
            collected.append(result)

    with progress_bar(len(expanded.files), "scanning") as advance:
        for result in results:
            advance()
            emit(result)
    for pattern in expanded.missing:
        emit(ImageReport.failed(pattern, "not_found", "the pattern matched no file"))
    if report is not None:
        from ..report import write_html_report

        titles = {
            name: str(getattr(cls, "title", name)) for name, cls in available_analyzers().items()
        }
        write_html_report(collected, report, analyzer_titles=titles)
        from ._common import stderr

        stderr.print(f"report written to {report}", markup=False)
    raise typer.Exit(EXIT_SOME_FAILED if failed else EXIT_OK)


def _names(values: list[str] | None) -> tuple[str, ...] | None:
    if values is None:
        return None
    return tuple(name.strip() for value in values for name in value.split(",") if name.strip())
