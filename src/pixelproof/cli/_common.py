"""Conventions shared by every command: inputs, JSON Lines, progress, exit codes.

Exit status: 0 when every input was processed, 1 when some input failed, 2 on usage
errors (Click's own convention for bad options). Expected problems never print a
traceback.
"""

from __future__ import annotations

import functools
import importlib.util
import inspect
import json
import os
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from enum import StrEnum
from pathlib import Path
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
from ..runner import Row
from ..settings import ENGINES, Settings
from ._parquet import CURRENT as PARQUET_OUTPUT
from ._parquet import ParquetShards

EXIT_OK = 0
EXIT_SOME_FAILED = 1
EXIT_USAGE = 2

Inputs = Annotated[
    list[str],
    typer.Argument(
        help="Image files, folders (searched recursively), glob patterns, or manifests "
        "(.csv or .parquet with a 'path' column, optional 'id').",
        show_default=False,
        metavar="IN",
    ),
]
JsonFlag = Annotated[
    bool, typer.Option("--json", help="Print JSON Lines: one object per input, on stdout.")
]
Workers = Annotated[
    int,
    typer.Option(
        "--workers",
        "-w",
        min=1,
        help="Number of parallel worker processes (Ray actors with --engine ray).",
    ),
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
AllowDamaged = Annotated[
    bool,
    typer.Option(
        "--allow-damaged",
        help="Analyse what a damaged file decodes to instead of refusing it: its row "
        "carries a 'damaged:' warning and forensic verdicts stay inconclusive.",
    ),
]
TimeLimit = Annotated[
    float,
    typer.Option(
        "--time-limit",
        min=0.0,
        help="Seconds one input may take; past it, a 'timeout' row (0: no limit).",
    ),
]
MemoryLimitMb = Annotated[
    int,
    typer.Option(
        "--memory-limit-mb",
        min=0,
        help="Address space of each worker process, MiB; an input needing more gets a "
        "'too_large' row (0: no limit).",
    ),
]
EngineName = StrEnum("EngineName", {name.upper(): name for name in ENGINES})  # type: ignore[misc]
Engine = Annotated[
    EngineName,
    typer.Option(
        "--engine",
        help="Where the images are processed: local worker processes, or a Ray cluster "
        "(pip install 'pixelproof[distributed]'); the rows are the same.",
    ),
]
RayAddress = Annotated[
    str | None,
    typer.Option(
        "--ray-address",
        help="With --engine ray: the cluster to join ('auto', 'ray://head:10001') "
        "[default: a local Ray on this machine].",
        show_default=False,
    ),
]
OutParquet = Annotated[
    Path | None,
    typer.Option(
        "--out-parquet",
        help="Also write every row to Parquet shards in this folder (columns path, id, "
        "error_type, row = the JSON row); needs pyarrow.",
        show_default=False,
    ),
]
DEFAULT_TIME_LIMIT_S = 120.0
DEFAULT_MEMORY_LIMIT_MB = 8192

ConfigFile = Annotated[
    Path | None,
    typer.Option(
        "--config",
        help="TOML settings file (watermark_key, trust_anchors, limits); options override it.",
        show_default=False,
    ),
]

WATERMARK_KEY_ENV = "PIXELPROOF_WATERMARK_KEY"
"""Key for ``scan``'s watermark check when neither --config nor an option names one."""
TRUST_ANCHORS_ENV = "PIXELPROOF_TRUST_ANCHORS"
"""PEM file of trusted C2PA roots when no option names one."""

DEFAULT_MAX_FILE_MB = DEFAULT_MAX_FILE_BYTES / 2**20
DEFAULT_PIXELS = DEFAULT_MAX_PIXELS

stderr = Console(stderr=True, highlight=False, soft_wrap=True)


def usage_error(message: str) -> typer.Exit:
    """Print a usage error and return the exception that exits with status 2."""
    stderr.print(f"Error: {message}", markup=False)
    return typer.Exit(EXIT_USAGE)


def limits_from(max_pixels: int, max_file_mb: float) -> LoadLimits:
    return LoadLimits(max_pixels=max_pixels, max_file_bytes=int(max_file_mb * 2**20))


def build_settings(
    *,
    config: Path | None = None,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    max_file_mb: float = DEFAULT_MAX_FILE_BYTES / 2**20,
    allow_damaged: bool = False,
    time_limit: float = DEFAULT_TIME_LIMIT_S,
    memory_limit_mb: int = DEFAULT_MEMORY_LIMIT_MB,
    engine: str = "local",
    ray_address: str | None = None,
) -> Settings:
    """Settings from the config file, then the environment, then the limit options.

    This is the only place that reads environment variables: analyzers get everything
    through the returned :class:`Settings`. An option left at its default keeps the
    config file's value.
    """
    try:
        base = Settings.from_file(config) if config is not None else Settings()
    except (OSError, ValueError) as exc:
        raise usage_error(f"--config: {exc}") from None
    limits = base.limits
    if (max_pixels, max_file_mb) != (DEFAULT_MAX_PIXELS, DEFAULT_MAX_FILE_BYTES / 2**20):
        limits = limits_from(max_pixels, max_file_mb)
    if allow_damaged:
        limits = replace(limits, allow_damaged=True)
    configured_mb = None if base.memory_limit_bytes is None else base.memory_limit_bytes >> 20
    time_limit_s = _option_or_config(time_limit, DEFAULT_TIME_LIMIT_S, base.time_limit_s)
    memory_mb = _option_or_config(memory_limit_mb, DEFAULT_MEMORY_LIMIT_MB, configured_mb)
    if ray_address is not None and engine != "ray":
        raise usage_error("--ray-address needs --engine ray")
    if engine == "ray" and importlib.util.find_spec("ray") is None:
        raise usage_error("--engine ray needs Ray: pip install 'pixelproof[distributed]'")
    settings = Settings(
        limits=limits,
        time_limit_s=time_limit_s or None,
        memory_limit_bytes=int(memory_mb) * 2**20 or None,
        watermark_key=base.watermark_key or os.environ.get(WATERMARK_KEY_ENV) or None,
        trust_anchors=base.trust_anchors or os.environ.get(TRUST_ANCHORS_ENV, "").strip() or None,
        engine=str(engine) if engine != "local" else base.engine,
        ray_address=ray_address or base.ray_address,
        credentials_repo=base.credentials_repo,
    )
    return configured(settings)


def configured(settings: Settings, **options: Any) -> Settings:
    """``settings`` with the given fields set (None keeps them), checked."""
    settings = settings.with_options(**options)
    if settings.trust_anchors is not None and not Path(settings.trust_anchors).is_file():
        raise usage_error(f"--trust-anchors: no such file: {settings.trust_anchors}")
    return settings


def check_repository(settings: Settings) -> None:
    """A configured manifest repository must open, else a usage error (not N rows)."""
    if settings.credentials_repo is None:
        return
    from ..credentials import ManifestRepository, RepositoryError

    try:
        ManifestRepository(settings.credentials_repo, readonly=True).close()
    except (OSError, RepositoryError) as exc:
        raise usage_error(f"credentials repository: {exc}") from None


# The options every command that reads images takes, appended to its signature by
# `reads_images`: (name, annotated type, default).
_RUN_OPTIONS: tuple[tuple[str, Any, Any], ...] = (
    ("workers", Workers, 1),
    ("max_pixels", MaxPixels, DEFAULT_MAX_PIXELS),
    ("max_file_mb", MaxFileMb, DEFAULT_MAX_FILE_BYTES / 2**20),
    ("allow_damaged", AllowDamaged, False),
    ("time_limit", TimeLimit, DEFAULT_TIME_LIMIT_S),
    ("memory_limit_mb", MemoryLimitMb, DEFAULT_MEMORY_LIMIT_MB),
    ("engine", Engine, EngineName("local")),
    ("ray_address", RayAddress, None),
    ("config", ConfigFile, None),
    ("out_parquet", OutParquet, None),
)


def reads_images(command: Callable[..., None]) -> Callable[..., None]:
    """Give a command the options every image-reading command shares.

    The command declares ``settings: Settings`` and ``workers: int`` (not options
    itself); the returned function adds ``--workers``, the limits, ``--allow-damaged``,
    ``--engine``/``--ray-address``, ``--config`` and ``--out-parquet`` to its options,
    and calls it with the :class:`Settings` they make.
    """
    signature = inspect.signature(command, eval_str=True)
    own = [p for p in signature.parameters.values() if p.name not in ("settings", "workers")]
    shared = [
        inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=kind)
        for name, kind, default in _RUN_OPTIONS
    ]

    @functools.wraps(command)
    def with_settings(**options: Any) -> None:
        workers = options.pop("workers")
        out_parquet = options.pop("out_parquet")
        limits = {name: options.pop(name) for name, _, _ in _RUN_OPTIONS[1:-1]}
        settings = build_settings(**limits)
        sink = None
        if out_parquet is not None:
            try:
                sink = ParquetShards(out_parquet)
            except ImportError:
                raise usage_error("--out-parquet needs pyarrow: pip install pyarrow") from None
            except OSError as exc:
                raise usage_error(f"--out-parquet: cannot create {out_parquet}: {exc}") from None
        token = PARQUET_OUTPUT.set(sink)
        try:
            command(**options, settings=settings, workers=workers)
        finally:
            PARQUET_OUTPUT.reset(token)
            if sink is not None:
                sink.flush()

    parameters = [*own, *shared]
    with_settings.__signature__ = signature.replace(parameters=parameters)  # type: ignore[attr-defined]
    with_settings.__annotations__ = {p.name: p.annotation for p in parameters}
    return with_settings


def _option_or_config(option: float, default: float, configured: float | None) -> float:
    """An option given on the command line wins; else the config file's value, if any."""
    return option if option != default or configured is None else configured


def output_folder(folder: Path | None, option: str) -> str | None:
    """Create an output folder up front, so a bad path is a usage error, not N rows."""
    if folder is None:
        return None
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise usage_error(f"{option}: cannot create {folder}: {exc}") from None
    return str(folder)


def gather_inputs(arguments: list[str]) -> ExpandedInputs:
    """Expand inputs and tell the user (on stderr) what was skipped."""
    try:
        expanded = expand_inputs(arguments)
    except ValueError as exc:  # a manifest that cannot be read
        raise usage_error(str(exc)) from None
    if expanded.skipped:
        stderr.print(f"skipped {expanded.skipped} non-image file(s) inside folders")
    if expanded.special:
        stderr.print(
            f"{len(expanded.special)} input(s) are not regular files (FIFO, device, socket, "
            "folder named like an image): reported as errors, never read"
        )
    if not expanded.files and not expanded.missing:
        raise usage_error("no image files found in the given inputs")
    sink = PARQUET_OUTPUT.get()
    if sink is not None:
        sink.ids = expanded.ids
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


def emit_rows(
    rows: Iterable[Row[Any]],
    *,
    total: int,
    description: str,
    json_output: bool,
    render: Callable[[Row[Any]], None],
    failed: Callable[[Row[Any]], bool] = lambda row: not row.ok,
) -> typer.Exit:
    """Print every row as JSON or with ``render`` (with a progress bar).

    Returns the exit to raise: status 1 when any row ``failed`` (by default: carries an
    error).
    """
    failures = 0
    sink = PARQUET_OUTPUT.get()
    with progress_bar(total, description) as advance:
        for row in rows:
            advance()
            failures += failed(row)
            if sink is not None:
                sink.add(row.to_dict())
            if json_output:
                print_json(row.to_dict())
            else:
                render(row)
    return typer.Exit(EXIT_SOME_FAILED if failures else EXIT_OK)


def print_error_row(row: Row[Any]) -> None:
    """The text form of a failed input."""
    from ._text import stdout

    stdout.print(f"{row.path}  error ({row.error_type}): {row.error}", markup=False, style="red")
