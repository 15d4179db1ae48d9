"""Writing benchmark results: CSV, JSON, Markdown summary and plots."""

from __future__ import annotations

import csv
import json
import math
import platform
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ... import __version__
from .._suite import Suite

Row = dict[str, Any]


@dataclass
class Table:
    """A Markdown table: one row per label, one column per system."""

    title: str
    metric: str
    rows: list[tuple[str, dict[str, float | None]]] = field(default_factory=list)
    digits: int = 3
    # Column names when they are not the benchmarked systems (e.g. one row per analysis).
    columns: tuple[str, ...] | None = None

    def to_markdown(self, systems: Sequence[str]) -> str:
        systems = self.columns or systems
        lines = [
            f"**{self.title}**",
            "",
            "| " + " | ".join([self.metric, *systems]) + " |",
            "|" + "---|" * (len(systems) + 1),
        ]
        for label, values in self.rows:
            cells = [_format(values.get(system), self.digits) for system in systems]
            lines.append("| " + " | ".join([label, *cells]) + " |")
        return "\n".join(lines)


@dataclass
class BenchResult:
    """Everything a benchmark run produced."""

    kind: str
    systems: list[str]
    config: dict[str, Any]
    rows: list[Row]
    tables: list[Table]
    # metric -> {(system, transform name): value}, plotted against suite intensity
    curves: dict[str, dict[tuple[str, str], float | None]] = field(default_factory=dict)
    suite: Suite | None = None
    # Extra figures a runner draws itself: file name -> function writing it.
    figures: dict[str, Callable[[Path], None]] = field(default_factory=dict)

    def markdown(self) -> str:
        parts = [table.to_markdown(self.systems) for table in self.tables]
        return "\n\n".join(parts) + "\n"


def write_outputs(result: BenchResult, out_dir: Path) -> dict[str, Path]:
    """Write ``results.csv``, ``results.json``, ``summary.md`` and ``plots/*.png``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = {
        "csv": _write_csv(result.rows, out_dir / "results.csv"),
        "json": out_dir / "results.json",
        "markdown": out_dir / "summary.md",
    }
    payload = {
        "kind": result.kind,
        "pixelproof_version": __version__,
        "python": platform.python_version(),
        "config": result.config,
        "suite": result.suite.to_dict() if result.suite else None,
        "summary": {
            table.title: {label: values for label, values in table.rows} for table in result.tables
        },
        "rows": result.rows,
    }
    written["json"].write_text(json.dumps(_finite(payload), indent=1) + "\n")
    written["markdown"].write_text(result.markdown())
    for name, draw in result.figures.items():
        target = out_dir / "plots" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        draw(target)
        written[f"plot:{Path(name).stem}"] = target
    if result.suite is not None:
        for metric, values in result.curves.items():
            written[f"plot:{metric}"] = plot_robustness(
                result, metric, values, out_dir / "plots" / f"{metric}.png"
            )
    return written


def plot_robustness(
    result: BenchResult,
    metric: str,
    means: dict[tuple[str, str], float | None],
    path: Path,
) -> Path:
    """Plot ``metric`` for every transformation, one line per system.

    The top panel lists every entry of the suite in order; below it, each family
    with several intensities gets its own curve of the metric against intensity.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    assert result.suite is not None  # guarded by the caller
    label = metric.replace("_", " ")
    curves = {f: e for f, e in result.suite.families().items() if len(e) > 1}
    columns = min(4, max(1, len(curves)))
    curve_rows = math.ceil(len(curves) / columns)
    figure = plt.figure(figsize=(max(10.0, 3.4 * columns), 3.6 + 2.7 * curve_rows))
    grid = figure.add_gridspec(1 + curve_rows, columns, height_ratios=[1.3] + [1] * curve_rows)
    overview = figure.add_subplot(grid[0, :])
    names = result.suite.names
    positions = range(len(names))
    for system in result.systems:
        values = [means.get((system, name)) for name in names]
        overview.plot(
            positions,
            [math.nan if v is None else v for v in values],
            marker="o",
            linewidth=1.2,
            label=system,
        )
    overview.set_xticks(list(positions), names, rotation=60, ha="right", fontsize=8)
    overview.set_ylabel(label)
    overview.set_title(f"pixelproof bench {result.kind}: {label} per transformation")
    overview.grid(alpha=0.3)
    overview.legend(loc="lower left", fontsize=8, ncol=len(result.systems))
    for index, (family, entries) in enumerate(curves.items()):
        axis = figure.add_subplot(grid[1 + index // columns, index % columns])
        for system in result.systems:
            points = [
                (entry.intensity, means[(system, entry.name)])
                for entry in entries
                if means.get((system, entry.name)) is not None
            ]
            if points:
                xs, ys = zip(*points, strict=True)
                axis.plot(xs, ys, marker="o", label=system)
        axis.set_title(family, fontsize=10)
        axis.set_xlabel("intensity (0-100)", fontsize=8)
        axis.set_ylabel(label, fontsize=8)
        axis.tick_params(labelsize=8)
        axis.grid(alpha=0.3)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path


def mean_table(
    title: str,
    metric: str,
    rows: Sequence[Row],
    labels: Sequence[str],
    value_of: Callable[[Row], float | None],
    *,
    by: str = "transform",
    digits: int = 3,
) -> Table:
    """Mean of ``value_of(row)`` per (label, system), in the order of ``labels``."""
    means = _mean_by(rows, (by, "system"), value_of)
    systems = sorted({str(row["system"]) for row in rows})
    table = Table(title=title, metric=metric, digits=digits)
    for label in labels:
        table.rows.append((label, {s: means.get((label, s)) for s in systems}))
    return table


def curve(
    rows: Sequence[Row], value_of: Callable[[Row], float | None]
) -> dict[tuple[str, str], float | None]:
    """Mean of ``value_of(row)`` per (system, transform), for :func:`plot_robustness`."""
    return _mean_by(rows, ("system", "transform"), value_of)


def _mean_by(
    rows: Sequence[Row], keys: tuple[str, str], value_of: Callable[[Row], float | None]
) -> dict[tuple[str, str], float | None]:
    sums: dict[tuple[str, str], list[float]] = {}
    for row in rows:
        value = value_of(row)
        if value is None:
            continue
        sums.setdefault((str(row[keys[0]]), str(row[keys[1]])), []).append(float(value))
    return {key: sum(values) / len(values) for key, values in sums.items()}


def _write_csv(rows: Sequence[Row], path: Path) -> Path:
    columns: list[str] = []
    for row in rows:
        columns.extend(key for key in row if key not in columns)
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
    return path


def _format(value: float | None, digits: int) -> str:
    if value is None:
        return "-"
    if isinstance(value, int):
        return str(value)
    return f"{value:.{digits}f}"


def _finite(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value
