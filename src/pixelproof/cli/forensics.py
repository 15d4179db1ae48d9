"""``pixelproof forensics``: where each image was edited, and how sure we are.

JSON Lines, one object per input::

    {"path": "a.jpg", "score": 0.93, "label": "manipulated",
     "explanation": "...", "heatmap": "heat/a-1a2b3c4d.forensics.png",
     "analyses": {"dq": {"score": 0.97, "heatmap": "heat/a-1a2b3c4d.dq.png",
                         "informative": true, "explanation": "..."}, ...},
     "elapsed_ms": 812.0}

``heatmap`` paths are null without ``--heatmap-dir`` (and for analyses that could not
look at the image). Heat-maps are grayscale PNGs of the input's size: 0 = authentic,
255 = manipulated. A failed input gives ``{"path", "error", "error_type"}``.
"""

from __future__ import annotations

import hashlib
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.text import Text

from ..batch import parallel_map
from ..io import ImageLoadError, LoadLimits
from ._common import (
    DEFAULT_MAX_FILE_MB,
    DEFAULT_PIXELS,
    Inputs,
    JsonFlag,
    MaxFileMb,
    MaxPixels,
    Workers,
    emit_rows,
    gather_inputs,
    limits_from,
    print_json,
    usage_error,
)

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_LABEL_STYLES = {"manipulated": "bold red", "inconclusive": "yellow", "authentic": "green"}


@dataclass(frozen=True)
class _Task:
    path: str
    analyses: tuple[str, ...]
    heatmap_dir: str | None
    limits: LoadLimits


def forensics(
    inputs: Inputs,
    analyses: Annotated[
        list[str] | None,
        typer.Option(
            "--analyses",
            "-a",
            help="Analyses to run, comma-separated or repeated (default: all). "
            "Known: ela, noise, dq, grid, ghost, cfa, copymove, resampling, recolor, "
            "appearance, quality.",
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
    workers: Workers = 1,
    max_pixels: MaxPixels = DEFAULT_PIXELS,
    max_file_mb: MaxFileMb = DEFAULT_MAX_FILE_MB,
) -> None:
    """Localize edits: run the forensic analyses on each image and fuse them."""
    from ..forensics import check_analyses

    names = None
    if analyses is not None:
        names = [n.strip() for value in analyses for n in value.split(",") if n.strip()]
    try:
        selected = check_analyses(names)
    except ValueError as exc:
        raise usage_error(f"--analyses: {exc}") from None
    expanded = gather_inputs(inputs)
    if heatmap_dir is not None:
        try:
            heatmap_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise usage_error(f"--heatmap-dir: cannot create {heatmap_dir}: {exc}") from None
    limits = limits_from(max_pixels, max_file_mb)
    tasks = [
        _Task(path, selected, None if heatmap_dir is None else str(heatmap_dir), limits)
        for path in expanded.files
    ]

    def emit(row: dict[str, Any]) -> None:
        if json_output:
            print_json(row)
        else:
            _print_row(row)

    raise emit_rows(
        parallel_map(_analyse_task, tasks, workers=workers, on_crash=_crash_row),
        total=len(tasks),
        description="analysing",
        missing=expanded.missing,
        emit=emit,
    )


def _analyse_task(task: _Task) -> dict[str, Any]:
    """Load, analyse and (optionally) write heat-maps for one file; never raises."""
    from ..forensics import ImageContext, fuse, run_analyses
    from ..io import load_image

    started = time.perf_counter()
    try:
        image = load_image(task.path, limits=task.limits)
    except ImageLoadError as exc:
        return {"path": task.path, "error": exc.message, "error_type": exc.code}
    except FileNotFoundError:
        return {"path": task.path, "error": "no such file", "error_type": "not_found"}
    except IsADirectoryError:
        return {"path": task.path, "error": "is a folder, not a file", "error_type": "not_a_file"}
    except PermissionError:
        return {"path": task.path, "error": "permission denied", "error_type": "permission_denied"}
    except OSError as exc:
        return {"path": task.path, "error": f"cannot read file: {exc}", "error_type": "read_error"}
    try:
        results, _ = run_analyses(ImageContext.from_loaded(image), analyses=task.analyses)
        report = fuse(results)
    except MemoryError:
        return {"path": task.path, "error": "ran out of memory", "error_type": "out_of_memory"}
    except Exception as exc:  # an analysis bug must not take the whole batch down
        return {
            "path": task.path,
            "error": f"{type(exc).__name__}: {exc}",
            "error_type": "analysis_failed",
        }
    folder = None if task.heatmap_dir is None else Path(task.heatmap_dir)
    prefix = _prefix(task.path, image.data)
    row: dict[str, Any] = {
        "path": task.path,
        "score": round(report.score, 6),
        "label": report.label,
        "explanation": report.explanation,
        "heatmap": _write(folder, prefix, "forensics", report.fused),
        "analyses": {},
    }
    for name, result in report.results.items():
        row["analyses"][name] = {
            "score": round(result.score, 6),
            "heatmap": _write(folder, prefix, name, result) if result.informative else None,
            "informative": result.informative,
            "explanation": result.explanation,
        }
    row["elapsed_ms"] = round((time.perf_counter() - started) * 1000.0, 1)
    return row


def _prefix(path: str, data: bytes) -> str:
    stem = _UNSAFE.sub("_", Path(path).stem)[:80] or "image"
    return f"{stem}-{hashlib.sha256(data).hexdigest()[:8]}"


def _write(folder: Path | None, prefix: str, name: str, result: Any) -> str | None:
    if folder is None:
        return None
    from ..evidence import Heatmap

    target = folder / f"{prefix}.{name}.png"
    target.write_bytes(Heatmap.from_float(result.heatmap, result.image_size).to_png())
    return str(target)


def _crash_row(task: _Task, error_type: str, message: str) -> dict[str, Any]:
    return {"path": task.path, "error": message, "error_type": error_type}


def _print_row(row: dict[str, Any]) -> None:
    from ._text import stdout

    header = Text(row["path"], style="bold")
    if "error" in row:
        header.append(f"  error ({row['error_type']}): {row['error']}", style="red")
        stdout.print(header)
        return
    header.append("  ")
    header.append(row["label"], style=_LABEL_STYLES.get(row["label"], ""))
    header.append(f"  {row['score']:.2f}  {row['explanation']}")
    stdout.print(header)
    for name, entry in row["analyses"].items():
        line = Text(f"  {name:<12}")
        if entry["informative"]:
            line.append(f"{entry['score']:5.2f}  ")
        else:
            line.append("  -    ", style="dim")
        line.append(entry["explanation"], style="" if entry["informative"] else "dim")
        stdout.print(line)
    if row.get("heatmap"):
        stdout.print(Text(f"  heat-map: {row['heatmap']}", style="dim"))
