"""Scoring the forensic analyses on cases with ground truth (e.g. :func:`make_forgeries`)."""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ._forgeries import ForgeryCase

_METRIC_AREA = 250_000


@dataclass
class ForensicsEvaluation:
    """What :func:`evaluate_forensics` measured.

    Attributes
    ----------
    summary : dict
        ``fused_pixel_auc`` (mean over manipulated cases), ``fused_pixel_f1``
        (best-threshold F1, mean), ``image_auc`` (manipulated vs authentic, from the
        score), ``copymove_f1`` (best-threshold F1 of the copy-move map on copy-move
        cases), ``authentic_flagged`` (share of authentic cases labelled
        manipulated), ``manipulated_detected``, ``per_kind`` and ``per_analysis``
        (pixel AUC, image AUC and mean time of each analysis alone).
    cases : list of dict
        One row per case: kind, saves, score, label, metrics, per-analysis scores
        and times.
    maps : list of dict
        With ``keep_maps=True``: per case, the fusion's centred maps (``planes``), the
        mask on the same grid, the analyses' scores and the kind (for calibration).
    """

    summary: dict[str, Any]
    cases: list[dict[str, Any]]
    maps: list[dict[str, Any]] = field(default_factory=list, repr=False)

    def to_dict(self) -> dict[str, Any]:
        return {"summary": self.summary, "cases": self.cases}


def evaluate_forensics(
    cases: Sequence[ForgeryCase],
    analyses: Iterable[str] | None = None,
    *,
    keep_maps: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> ForensicsEvaluation:
    """Run the analyses on every case and measure localization and detection.

    Parameters
    ----------
    cases : sequence of ForgeryCase
        Images with masks (None = authentic control).
    analyses : iterable of str, optional
        Analyses to run (all by default); the fused result uses just these.
    keep_maps : bool
        Keep the fusion's inputs in the result (for calibration).
    progress : callable, optional
        Called as ``progress(done, total)`` after each case.

    Returns
    -------
    ForensicsEvaluation
    """
    from ._context import ImageContext
    from ._suite import check_analyses, fuse, run_analyses

    names = check_analyses(analyses)
    rows: list[dict[str, Any]] = []
    kept: list[dict[str, Any]] = []
    for index, case in enumerate(cases):
        from ..io import load_image

        image = load_image(case.image_path)
        context = ImageContext.from_loaded(image)
        started = time.perf_counter()
        results, times = run_analyses(context, analyses=names)
        report = fuse(results, elapsed_ms=times)
        total_ms = (time.perf_counter() - started) * 1000.0
        mask = case.load_mask()
        size = (image.width, image.height)
        small_mask = None if mask is None else _small(mask.astype(np.float32), size) >= 0.5
        row: dict[str, Any] = {
            "image": str(case.image_path),
            "kind": case.kind,
            "saves": case.saves,
            "score": round(report.score, 5),
            "label": report.label,
            "graphic": bool(report.fused.details.get("graphic")),
            "total_ms": round(total_ms, 1),
            "megapixels": round(image.width * image.height / 1e6, 3),
            "analyses": {},
        }
        fused_small = _small(report.fused.heatmap, size)
        if small_mask is not None and 0 < small_mask.sum() < small_mask.size:
            row["pixel_auc"] = _pixel_auc(small_mask, fused_small)
            row["pixel_f1"] = _best_f1(small_mask, fused_small)
        for name, result in results.items():
            entry: dict[str, Any] = {
                "score": round(result.score, 5),
                "informative": result.informative,
                "ms": round(times.get(name, 0.0), 1),
            }
            if result.informative and name != "quality":
                small = _small(result.heatmap, size)
                if small_mask is not None and 0 < small_mask.sum() < small_mask.size:
                    entry["pixel_auc"] = _pixel_auc(small_mask, small)
                    if name == "copymove":
                        entry["pixel_f1"] = _best_f1(small_mask, small)
            elif small_mask is not None and 0 < small_mask.sum() < small_mask.size:
                entry["pixel_auc"] = 0.5
                if name == "copymove":
                    entry["pixel_f1"] = 0.0
            row["analyses"][name] = entry
        rows.append(row)
        if keep_maps:
            kept.append(_fusion_inputs(results, mask, size, case.kind))
        if progress is not None:
            progress(index + 1, len(cases))
    return ForensicsEvaluation(summarize_evaluation(rows, names), rows, kept)


def summarize_evaluation(rows: Sequence[dict[str, Any]], names: Sequence[str]) -> dict[str, Any]:
    """The ``summary`` of :class:`ForensicsEvaluation` from its per-case ``rows``.

    Parameters
    ----------
    rows : sequence of dict
        :attr:`ForensicsEvaluation.cases`, or rows of that shape made by another
        system's outputs (``benchmarks/pyifd_compare.py`` scores pyIFD's maps this way).
    names : sequence of str
        The analyses of ``per_analysis`` (every row's ``analyses`` must hold them).
    """
    from ..evidence import Label

    forged = [r for r in rows if r["kind"] != "authentic"]
    authentic = [r for r in rows if r["kind"] == "authentic"]
    labels = np.array([r["kind"] != "authentic" for r in rows])
    scores = np.array([r["score"] for r in rows])
    summary: dict[str, Any] = {
        "cases": len(rows),
        "manipulated_cases": len(forged),
        "authentic_cases": len(authentic),
        "fused_pixel_auc": _mean(r.get("pixel_auc") for r in forged),
        "fused_pixel_f1": _mean(r.get("pixel_f1") for r in forged),
        "image_auc": _roc_auc(labels, scores) if 0 < labels.sum() < labels.size else None,
        "copymove_f1": _mean(
            r["analyses"].get("copymove", {}).get("pixel_f1")
            for r in forged
            if r["kind"] == "copymove"
        ),
        "authentic_flagged": _mean(float(r["label"] == Label.MANIPULATED) for r in authentic),
        "authentic_inconclusive": _mean(float(r["label"] == Label.INCONCLUSIVE) for r in authentic),
        "manipulated_detected": _mean(float(r["label"] == Label.MANIPULATED) for r in forged),
        "mean_total_ms": _mean(r["total_ms"] for r in rows),
        "mean_megapixels": _mean(r["megapixels"] for r in rows),
    }
    per_kind: dict[str, dict[str, Any]] = {}
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        groups[r["kind"]].append(r)
        groups[f"{r['kind']}/saves={r['saves']}"].append(r)
    for key in sorted(groups):
        members = groups[key]
        per_kind[key] = {
            "n": len(members),
            "pixel_auc": _mean(m.get("pixel_auc") for m in members),
            "mean_score": _mean(m["score"] for m in members),
            "labelled_manipulated": _mean(float(m["label"] == Label.MANIPULATED) for m in members),
        }
    summary["per_kind"] = per_kind
    per_analysis: dict[str, dict[str, Any]] = {}
    for name in names:
        a_scores = np.array([r["analyses"][name]["score"] for r in rows])
        per_analysis[name] = {
            "pixel_auc": _mean(r["analyses"][name].get("pixel_auc") for r in forged),
            "image_auc": (_roc_auc(labels, a_scores) if 0 < labels.sum() < labels.size else None),
            "informative_share": _mean(float(r["analyses"][name]["informative"]) for r in rows),
            "mean_ms": _mean(r["analyses"][name]["ms"] for r in rows),
        }
    summary["per_analysis"] = per_analysis
    return summary


def _mean(values: Iterable[float | None]) -> float | None:
    present = [float(v) for v in values if v is not None]
    return round(float(np.mean(present)), 4) if present else None


def _small(values: NDArray[Any], size: tuple[int, int]) -> NDArray[np.float32]:
    from ._common import resize_map

    width, height = size
    factor = min(1.0, float(np.sqrt(_METRIC_AREA / max(1, width * height))))
    return resize_map(values, (max(1, round(width * factor)), max(1, round(height * factor))))


def _fusion_inputs(
    results: dict[str, Any], mask: NDArray[np.bool_] | None, size: tuple[int, int], kind: str
) -> dict[str, Any]:
    """What calibrating the fusion needs of one case, on the fusion's own grid."""
    from ._common import resize_map
    from ._fusion import centred_maps, fusion_size, regime

    planes = centred_maps(results, size)
    return {
        "planes": {n: (a.astype(np.float16), b.astype(np.float16)) for n, (a, b) in planes.items()},
        "mask": None
        if mask is None
        else resize_map(mask.astype(np.float32), fusion_size(size)) >= 0.5,
        "scores": {k: (r.score if r.informative else 0.0) for k, r in results.items()},
        "recompressed": regime(results) == "recompressed",
        "kind": kind,
    }


def _roc_auc(labels: NDArray[Any], scores: NDArray[Any]) -> float:
    from ..bench.metrics import roc_auc

    return round(float(roc_auc(labels, scores)), 4)


def _pixel_auc(mask: NDArray[np.bool_], heatmap: NDArray[Any]) -> float:
    from ..bench.metrics import pixel_auc

    return round(float(pixel_auc(mask, np.asarray(heatmap, dtype=np.float64))), 4)


def _best_f1(mask: NDArray[np.bool_], heatmap: NDArray[Any]) -> float:
    from ..bench.metrics import best_threshold_f1

    return round(float(best_threshold_f1(mask, heatmap).f1), 4)
