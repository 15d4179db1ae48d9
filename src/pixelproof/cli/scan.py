"""``pixelproof scan``: run every installed analyzer and report per image."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from ..runner import Row, run
from ..tasks.scan import ScanTask
from ._common import (
    DEFAULT_MAX_FILE_MB,
    DEFAULT_MEMORY_LIMIT_MB,
    DEFAULT_PIXELS,
    DEFAULT_TIME_LIMIT_S,
    AllowDamaged,
    ConfigFile,
    Inputs,
    JsonFlag,
    MaxFileMb,
    MaxPixels,
    MemoryLimitMb,
    TimeLimit,
    Workers,
    build_settings,
    emit_rows,
    gather_inputs,
    output_folder,
    split_names,
    usage_error,
)
from ._report import ReportFile, collecting, report_target, write_report_file
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
    report: ReportFile = None,
    heatmap_dir: Annotated[
        Path | None,
        typer.Option(help="Write each heat-map as a grayscale PNG (0 = clean, 255 = suspect)."),
    ] = None,
    workers: Workers = 1,
    max_pixels: MaxPixels = DEFAULT_PIXELS,
    max_file_mb: MaxFileMb = DEFAULT_MAX_FILE_MB,
    allow_damaged: AllowDamaged = False,
    time_limit: TimeLimit = DEFAULT_TIME_LIMIT_S,
    memory_limit_mb: MemoryLimitMb = DEFAULT_MEMORY_LIMIT_MB,
    config: ConfigFile = None,
) -> None:
    """Run every installed analyzer on each image and report the evidence."""
    settings = build_settings(
        config, max_pixels, max_file_mb, allow_damaged, time_limit, memory_limit_mb
    )
    task = ScanTask(
        only=split_names(only),
        skip=split_names(skip),
        heatmap_dir=output_folder(heatmap_dir, "--heatmap-dir"),
        thumbnails=report is not None,
    )
    try:
        task.check(settings)
    except ValueError as exc:
        raise usage_error(str(exc)) from None
    expanded = gather_inputs(inputs)
    protect = report_target(report, expanded.files)
    collected: list[Row[Any]] = []

    rows = run(task, expanded, settings=settings, workers=workers)
    if report is not None:
        rows = collecting(rows, collected)
    exit_ = emit_rows(
        rows,
        total=len(expanded.files) + len(expanded.missing),
        description="scanning",
        json_output=json_output,
        render=print_report,
    )
    if report is not None:
        exit_ = write_report_file(collected, report, protect, exit_, limits=settings.limits)
    raise exit_
