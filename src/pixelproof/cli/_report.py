"""``--report FILE`` of the commands: the HTML page of their rows (:mod:`pixelproof.report`).

A command checks the target before any work (a link, a folder or one of the inputs is
a usage error), keeps its rows while they are printed, then writes the page.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Annotated, Any

import typer

from ..io import ProtectedFiles, UnsafeOutputError, check_output
from ..runner import Row
from ._common import EXIT_SOME_FAILED, stderr, usage_error

ReportFile = Annotated[
    Path | None,
    typer.Option(
        "--report",
        help="Also write a self-contained HTML report here (one file, no network).",
        show_default=False,
    ),
]


def report_target(report: Path | None, protect: Iterable[str | Path]) -> ProtectedFiles:
    """The files the report must not replace; a usage error now if ``report`` is unsafe."""
    protected = ProtectedFiles(protect if report is not None else ())
    if report is None:
        return protected
    if not report.parent.is_dir():
        raise usage_error(f"--report: no folder {report.parent}")
    try:
        check_output(report, protect=protected)
    except UnsafeOutputError as exc:
        raise usage_error(f"--report: {exc}") from None
    return protected


def collecting(rows: Iterable[Row[Any]], collected: list[Row[Any]]) -> Iterator[Row[Any]]:
    """``rows``, each also appended to ``collected``."""
    for row in rows:
        collected.append(row)
        yield row


def write_report_file(
    rows: list[Row[Any]], report: Path, protect: ProtectedFiles, exit_: typer.Exit, **options: Any
) -> typer.Exit:
    """Write the page; the exit to raise (status 1 when the page could not be written)."""
    from ..report import write_report

    try:
        write_report(rows, report, protect=protect, **options)
    except (UnsafeOutputError, OSError) as exc:
        stderr.print(f"Error: --report: {exc}", markup=False)
        return typer.Exit(max(exit_.exit_code, EXIT_SOME_FAILED))
    stderr.print(f"report written to {report}", markup=False)
    return exit_
