"""Conventions shared by every command: inputs, JSON Lines, progress, exit codes.

Exit status: 0 when every input was processed, 1 when some input failed, 2 on usage
errors (Click's own convention for bad options). Expected problems never print a
traceback.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from ..inputs import ExpandedInputs, expand_inputs
from ..io import DEFAULT_MAX_FILE_BYTES, DEFAULT_MAX_PIXELS, LoadLimits

EXIT_OK = 0
EXIT_SOME_FAILED = 1
EXIT_USAGE = 2

Inputs = Annotated[
    list[str],
    typer.Argument(
        help="Image files, folders (searched recursively) or glob patterns.",
        show_default=False,
        metavar="IN",
    ),
]
JsonFlag = Annotated[
    bool, typer.Option("--json", help="Print JSON Lines: one object per input, on stdout.")
]
Workers = Annotated[
    int, typer.Option("--workers", "-w", min=1, help="Number of parallel worker processes.")
]
MaxPixels = Annotated[
    int,
    typer.Option(
        "--max-pixels", min=1, help="Refuse images with more pixels than this (bomb guard)."
    ),
]
MaxFileMb = Annotated[
    float, typer.Option("--max-file-mb", min=0.001, help="Refuse files larger than this (MiB).")
]

DEFAULT_MAX_FILE_MB = DEFAULT_MAX_FILE_BYTES / 2**20
DEFAULT_PIXELS = DEFAULT_MAX_PIXELS

stderr = Console(stderr=True, highlight=False, soft_wrap=True)


def usage_error(message: str) -> typer.Exit:
    """Print a usage error and return the exception that exits with status 2."""
    stderr.print(f"Error: {message}", markup=False)
    return typer.Exit(EXIT_USAGE)


def limits_from(max_pixels: int, max_file_mb: float) -> LoadLimits:
    return LoadLimits(max_pixels=max_pixels, max_file_bytes=int(max_file_mb * 2**20))


def gather_inputs(arguments: list[str]) -> ExpandedInputs:
    """Expand inputs and tell the user (on stderr) what was skipped."""
    expanded = expand_inputs(arguments)
    if expanded.skipped:
        stderr.print(f"skipped {expanded.skipped} non-image file(s) inside folders")
    if not expanded.files and not expanded.missing:
        raise usage_error("no image files found in the given inputs")
    return expanded


def print_json(row: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(row, ensure_ascii=False, allow_nan=False) + "\n")
    sys.stdout.flush()


@contextmanager
def progress_bar(total: int, description: str) -> Iterator[Any]:
    """A Rich progress bar on stderr when it is a terminal; yields ``advance()``."""
    if total < 2 or not sys.stderr.isatty():
        yield lambda: None
        return
    progress = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=stderr,
        transient=True,
    )
    with progress:
        task = progress.add_task(description, total=total)
        yield lambda: progress.advance(task)


def no_match_row(pattern: str) -> dict[str, Any]:
    """The error row of a glob pattern that matched no file."""
    return {"path": pattern, "error": "the pattern matched no file", "error_type": "not_found"}


def emit_rows(
    rows: Iterable[dict[str, Any]],
    *,
    total: int,
    description: str,
    missing: Sequence[str],
    emit: Callable[[dict[str, Any]], None],
) -> typer.Exit:
    """Print every row (with a progress bar), then the unmatched patterns.

    Returns the exit to raise: status 1 when any row carries an ``error``.
    """
    failed = 0
    with progress_bar(total, description) as advance:
        for row in rows:
            advance()
            failed += "error" in row
            emit(row)
    for pattern in missing:
        failed += 1
        emit(no_match_row(pattern))
    return typer.Exit(EXIT_SOME_FAILED if failed else EXIT_OK)
