"""``pixelproof scan``: run every installed analyzer and report per image."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from .._spec import split_names
from ..runner import Row, run
from ..settings import PROFILES, Settings
from ..tasks.scan import ScanTask
from ._common import (
    Inputs,
    JsonFlag,
    check_repository,
    configured,
    emit_rows,
    gather_inputs,
    output_folder,
    reads_images,
    usage_error,
)
from ._report import ReportFile, collecting, report_target, write_report_file
from ._text import print_report

ProfileName = StrEnum("ProfileName", {name.upper(): name for name in PROFILES})  # type: ignore[misc]

NameList = Annotated[
    list[str] | None,
    typer.Option(help="Analyzer or capability names, comma-separated or repeated."),
]


@reads_images
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
    credentials_repo: Annotated[
        Path | None,
        typer.Option(
            "--credentials-repo",
            help="Manifest repository: recover Content Credentials from the pixels "
            "(default: credentials_repo from --config).",
            show_default=False,
        ),
    ] = None,
    profile: Annotated[
        ProfileName | None,
        typer.Option(
            "--profile",
            help="'default': every analysis, at the resolution each needs. 'fast': triage "
            "for large collections (JPEGs decoded at reduced size; metadata, watermarks, "
            "JPEG tables and the learned appearance model only; each row lists what was "
            "left out) [default: profile from --config, else default].",
            show_default=False,
        ),
    ] = None,
    *,
    settings: Settings,
    workers: int,
) -> None:
    """Run every installed analyzer on each image and report the evidence."""
    if credentials_repo is not None:
        settings = configured(settings, credentials_repo=str(credentials_repo))
    if profile is not None:
        settings = configured(settings, profile=str(profile.value))
    check_repository(settings)
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
        total=expanded.row_count,
        description="scanning",
        json_output=json_output,
        render=print_report,
    )
    if report is not None:
        exit_ = write_report_file(collected, report, protect, exit_, limits=settings.limits)
    raise exit_
