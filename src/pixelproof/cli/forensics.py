"""``pixelproof forensics``: where each image was edited, and how sure we are.

The rows are :class:`pixelproof.tasks.forensics.ForensicsFindings` in the runner's
envelope (their JSON fields are documented there).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.text import Text

from .._spec import split_names
from ..forensics import ANALYSES
from ..runner import Row, run
from ..settings import Settings
from ..tasks.forensics import ForensicsTask
from ._common import (
    Inputs,
    JsonFlag,
    emit_rows,
    gather_inputs,
    output_folder,
    print_error_row,
    reads_images,
    usage_error,
)
from ._report import ReportFile, collecting, report_target, write_report_file

_LABEL_STYLES = {"manipulated": "bold red", "inconclusive": "yellow", "authentic": "green"}


@reads_images
def forensics(
    inputs: Inputs,
    analyses: Annotated[
        list[str] | None,
        typer.Option(
            "--analyses",
            "-a",
            help="Analyses to run, comma-separated or repeated (default: all). "
            f"Known: {ANALYSES.known()}.",
        ),
    ] = None,
    heatmap_dir: Annotated[
        Path | None,
        typer.Option(
            help="Write the fused map and each analysis's map as grayscale PNGs "
            "(0 = authentic, 255 = manipulated), the size of the input."
        ),
    ] = None,
    json_output: JsonFlag = False,
    report: ReportFile = None,
    *,
    settings: Settings,
    workers: int,
) -> None:
    """Localize edits: run the forensic analyses on each image and fuse them."""
    from ..forensics import check_analyses

    try:
        selected = check_analyses(split_names(analyses))
    except ValueError as exc:
        raise usage_error(f"--analyses: {exc}") from None
    expanded = gather_inputs(inputs)
    protect = report_target(report, expanded.files)
    task = ForensicsTask(
        selected, output_folder(heatmap_dir, "--heatmap-dir"), thumbnails=report is not None
    )
    collected: list[Row[Any]] = []
    rows = run(task, expanded, settings=settings, workers=workers)
    exit_ = emit_rows(
        collecting(rows, collected) if report is not None else rows,
        total=expanded.row_count,
        description="analysing",
        json_output=json_output,
        render=_print_row,
    )
    if report is not None:
        exit_ = write_report_file(collected, report, protect, exit_, limits=settings.limits)
    raise exit_


def _print_row(row: Row[Any]) -> None:
    from ._text import stdout

    found = row.result
    if found is None:
        print_error_row(row)
        return
    header = Text(row.path, style="bold")
    header.append("  ")
    header.append(found.label, style=_LABEL_STYLES.get(found.label, ""))
    header.append(f"  {found.score:.2f}  {found.explanation}")
    stdout.print(header)
    for name, entry in found.analyses.items():
        line = Text(f"  {name:<12}")
        if entry.informative:
            line.append(f"{entry.score:5.2f}  ")
        else:
            line.append("  -    ", style="dim")
        line.append(entry.explanation, style="" if entry.informative else "dim")
        stdout.print(line)
    if found.heatmap:
        stdout.print(Text(f"  heat-map: {found.heatmap}", style="dim"))
