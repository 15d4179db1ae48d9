"""``pixelproof bench forensics``: manipulation detection and localization with exact masks.

Forgeries are generated from a folder of real photos by
:func:`pixelproof.forensics.make_forgeries` (splices from another photo, copy-move within
the photo, object removal by inpainting, recolouring of a region), saved once or twice
as JPEG at varied qualities, together with authentic controls that go through the same
saves. Every analysis is scored alone and fused: pixel AUC and best-threshold F1 against
the masks, image-level ROC-AUC from the manipulation score, and the share of authentic
controls labelled manipulated.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from ._output import BenchResult, Row, Table

_SUMMARY_LABELS = (
    ("fused_pixel_auc", "fused pixel AUC (manipulated images)"),
    ("fused_pixel_f1", "fused pixel F1, best threshold"),
    ("image_auc", "image-level ROC-AUC"),
    ("copymove_f1", "copy-move pixel F1, best threshold"),
    ("authentic_flagged", "authentic controls labelled manipulated"),
    ("authentic_inconclusive", "authentic controls labelled inconclusive"),
    ("manipulated_detected", "manipulated images labelled manipulated"),
    ("mean_total_ms", "mean time per image (ms)"),
    ("mean_megapixels", "mean image size (megapixels)"),
)


def run_forensics_bench(
    photos: Sequence[Path],
    *,
    work_dir: Path,
    n: int = 200,
    seed: int = 0,
    analyses: Sequence[str] | None = None,
    progress: Callable[[], None] | None = None,
) -> BenchResult:
    """Generate ``n`` cases from ``photos`` into ``work_dir`` and evaluate the analyses."""
    from ...forensics import evaluate_forensics, make_forgeries

    cases = make_forgeries(list(photos), work_dir, n=n, seed=seed)

    def step(done: int, total: int) -> None:
        if progress:
            progress()

    evaluation = evaluate_forensics(cases, analyses, progress=step)
    summary: dict[str, Any] = evaluation.summary
    rows = [_flatten(row) for row in evaluation.cases]
    overall = Table(title="Manipulation detection and localization", metric="measure")
    for key, label in _SUMMARY_LABELS:
        if summary.get(key) is not None:
            overall.rows.append((label, {"pixelproof": float(summary[key])}))
    per_analysis = Table(
        title="Each analysis alone",
        metric="analysis",
        columns=("pixel AUC", "image AUC", "ms per image"),
    )
    for name, values in (summary.get("per_analysis") or {}).items():
        per_analysis.rows.append(
            (
                name,
                {
                    "pixel AUC": values.get("pixel_auc"),
                    "image AUC": values.get("image_auc"),
                    "ms per image": values.get("mean_ms"),
                },
            )
        )
    per_kind = Table(
        title="By kind of edit",
        metric="kind",
        columns=("cases", "pixel AUC", "labelled manipulated"),
    )
    for kind, values in (summary.get("per_kind") or {}).items():
        per_kind.rows.append(
            (
                kind,
                {
                    "cases": values.get("n"),
                    "pixel AUC": values.get("pixel_auc"),
                    "labelled manipulated": values.get("labelled_manipulated"),
                },
            )
        )
    result = BenchResult(
        kind="forensics",
        systems=["pixelproof"],
        config={
            "photos": len(photos),
            "cases": len(cases),
            "seed": seed,
            "analyses": list(analyses) if analyses else "all",
            "cases_file": str(work_dir / "cases.json"),
        },
        rows=rows,
        tables=[overall, per_analysis, per_kind],
    )
    result.figures["per_analysis.png"] = lambda path: _plot_per_analysis(per_analysis, path)
    return result


def _flatten(row: dict[str, Any]) -> Row:
    flat: Row = {k: v for k, v in row.items() if k != "analyses"}
    for name, entry in (row.get("analyses") or {}).items():
        for key, value in entry.items():
            flat[f"{name}.{key}"] = value
    return flat


def _plot_per_analysis(table: Table, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = [label for label, _ in table.rows]
    figure, axis = plt.subplots(figsize=(max(6.0, 0.8 * len(names) + 2), 3.8))
    width = 0.4
    for offset, column in ((-width / 2, "pixel AUC"), (width / 2, "image AUC")):
        values = [v.get(column) for _, v in table.rows]
        axis.bar(
            [i + offset for i in range(len(names))],
            [0.0 if v is None else v for v in values],
            width=width,
            label=column,
        )
    axis.axhline(0.5, color="grey", linewidth=0.8, linestyle="--", label="chance")
    axis.set_xticks(range(len(names)), names, rotation=40, ha="right")
    axis.set_ylim(0, 1)
    axis.set_ylabel("ROC-AUC")
    axis.set_title("pixelproof bench forensics: each analysis alone")
    axis.legend(fontsize=8)
    axis.grid(axis="y", alpha=0.3)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
