"""pyIFD's forensic algorithms on pixelproof's forgery benchmark, side by side with ours.

pyIFD (the Python port of the Zampoglou et al. image-forensics toolbox) needs
numpy < 2, so it runs in a venv of its own; this script takes only pixelproof's
metrics from the source tree (they work with numpy 1 too). Set-up and run::

    python3.11 -m venv /tmp/ifdvenv
    /tmp/ifdvenv/bin/pip install "numpy<2" scipy "scikit-image<0.25" pywavelets \\
        "opencv-python-headless<4.11" matplotlib pillow cython jpegio
    /tmp/ifdvenv/bin/pip install --no-deps pyifd==0.0.3
    .venv/bin/python benchmarks/forensics_bench.py --out /tmp/fb     # the forgeries
    /tmp/ifdvenv/bin/python benchmarks/pyifd_compare.py /tmp/fb --stride 3

Each algorithm's output map is resized to the image and scored like ours: pixel AUC
against the mask on every manipulated case, and image-level AUC (manipulated against
authentic) of a generic image score, the map's 99th percentile over its median in
units of its inter-quartile range. Several pyIFD maps have no fixed orientation
(a spliced region may be noisier or cleaner than the rest), so the table also gives
the orientation-free pixel AUC, ``max(AUC, 1 - AUC)`` per image, as an upper bound.
Ours come from the same cases in ``results.json`` of ``forensics_bench.py``.

Reference: M. Zampoglou, S. Papadopoulos, Y. Kompatsiaris, "Large-scale evaluation
of splicing localization algorithms for web images", Multimedia Tools and
Applications 76(4), 2017. doi:10.1007/s11042-016-3795-2
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
from pixelproof.bench.metrics import roc_auc
from pixelproof.forensics import summarize_evaluation

SPLITS = ("tune", "heldout")


def _algorithms() -> dict[str, Callable[[str], Any]]:
    from pyIFD import (  # type: ignore[import-not-found]
        ADQ1,
        ADQ2,
        ADQ3,
        BLK,
        CAGI,
        CFA1,
        CFA2,
        DCT,
        ELA,
        GHOST,
        NADQ,
        NOI1,
        NOI2,
        NOI4,
        NOI5,
    )

    def ghost(path: str) -> Any:
        # The difference map at the lowest quality where the resave error has a local
        # minimum (the earliest compression's ghost); low difference = ghost.
        _x, _y, maps, minima, _qualities, _mins = GHOST.GHOST(path)
        index = int(minima[0]) - 1 if len(minima) else len(maps) - 1
        return 1.0 - np.asarray(maps[index])

    return {
        "ADQ1": lambda p: ADQ1.detectDQ(p)[0],
        "ADQ2": lambda p: ADQ2.getJmap(p)[0],
        "ADQ3": ADQ3.BenfordDQ,
        "NADQ": NADQ.NADQ,
        "DCT": DCT.DCT,
        "BLK": lambda p: BLK.GetBlockGrid(p)[0],
        "CAGI": lambda p: CAGI.CAGI(p)[0],
        "ELA": ELA.ELA,
        "GHOST": ghost,
        "CFA1": CFA1.CFA1,
        "CFA2": CFA2.CFA2,
        "NOI1": NOI1.GetNoiseMap,
        "NOI2": NOI2.GetNoiseMaps,
        "NOI4": NOI4.MedFiltForensics,
        "NOI5": lambda p: NOI5.PCANoise(p)[0],
    }


def image_score(heatmap: np.ndarray[Any, Any]) -> float:
    """Generic image score of a map: 99th percentile over median, in IQR units."""
    q25, q50, q75, q99 = np.percentile(heatmap, [25, 50, 75, 99])
    return float((q99 - q50) / max(q75 - q25, 1e-9 * max(1.0, abs(q99))))


def _to_map(output: Any, size: tuple[int, int]) -> np.ndarray[Any, Any]:
    values = np.asarray(output, dtype=np.float64)
    while values.ndim > 2:
        values = values.mean(axis=-1)
    values = np.nan_to_num(values, nan=0.0, posinf=0.0, neginf=0.0)
    resized = Image.fromarray(values.astype(np.float32)).resize(size, Image.Resampling.BILINEAR)
    return np.asarray(resized, dtype=np.float64)


def chosen_cases(folder: Path, stride: int) -> list[dict[str, Any]]:
    """Every ``stride``-th case of a forgery set's ``cases.json``."""
    cases: list[dict[str, Any]] = json.loads((folder / "cases.json").read_text())
    return cases[::stride]


def run_split(folder: Path, stride: int, out: Path, names: list[str]) -> None:
    """Run every algorithm on every ``stride``-th case; one JSON line per case."""
    algorithms = _algorithms()
    cases = chosen_cases(folder, stride)
    done = set()
    if out.exists():
        done = {json.loads(line)["image"] for line in out.read_text().splitlines() if line}
    with out.open("a") as sink:
        for index, case in enumerate(cases):
            if case["image_path"] in done:
                continue
            path = case["image_path"]
            with Image.open(path) as image:
                size = image.size
            mask = None
            if case.get("mask_path"):
                with Image.open(case["mask_path"]) as m:
                    mask = np.asarray(m.convert("L")) >= 128
            row: dict[str, Any] = {"image": path, "kind": case["kind"], "saves": case["saves"]}
            for name in names:
                start = time.perf_counter()
                try:
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        heatmap = _to_map(algorithms[name](path), size)
                except Exception as error:  # pyIFD fails in many ways; record it and go on
                    row[name] = {"error": f"{type(error).__name__}: {error}"[:200]}
                    continue
                entry: dict[str, Any] = {
                    "score": image_score(heatmap),
                    "seconds": round(time.perf_counter() - start, 3),
                }
                if mask is not None and 0 < mask.sum() < mask.size:
                    entry["pixel_auc"] = roc_auc(mask, heatmap)
                row[name] = entry
            sink.write(json.dumps(row) + "\n")
            sink.flush()
            print(f"{folder.name} {index + 1}/{len(cases)}", file=sys.stderr, flush=True)


def summarize(rows: list[dict[str, Any]], names: list[str]) -> dict[str, dict[str, Any]]:
    """Per algorithm: mean pixel AUC (as is and orientation-free), image AUC, seconds."""
    labels = np.array([row["kind"] != "authentic" for row in rows])
    table: dict[str, dict[str, Any]] = {}
    for name in names:
        kept = np.array([name in row and "error" not in row[name] for row in rows])
        ok = [row for row, k in zip(rows, kept, strict=True) if k]
        pixel = [row[name]["pixel_auc"] for row in ok if row[name].get("pixel_auc") is not None]
        scores = np.array(
            [row[name]["score"] if k else 0.0 for row, k in zip(rows, kept, strict=True)]
        )
        table[name] = {
            "pixel_auc": float(np.mean(pixel)) if pixel else None,
            "pixel_auc_orientation_free": float(np.mean([max(a, 1 - a) for a in pixel]))
            if pixel
            else None,
            "image_auc": roc_auc(labels[kept], scores[kept]) if kept.any() else None,
            "seconds": float(np.mean([row[name]["seconds"] for row in ok])) if ok else None,
            "failed": int(len(rows) - len(ok)),
        }
    return table


def ours(results: Path, split: str, images: set[str]) -> dict[str, dict[str, Any]]:
    """pixelproof's per-analysis and fused numbers on the same cases."""
    cases = [c for c in json.loads(results.read_text())[split]["cases"] if c["image"] in images]
    summary = summarize_evaluation(cases, list(cases[0]["analyses"]) if cases else [])
    table: dict[str, dict[str, Any]] = {
        name: {
            "pixel_auc": row["pixel_auc"],
            "image_auc": row["image_auc"],
            "seconds": row["mean_ms"] / 1000.0,
        }
        for name, row in summary["per_analysis"].items()
    }
    table["fused"] = {
        "pixel_auc": summary["fused_pixel_auc"],
        "image_auc": summary["image_auc"],
        "seconds": summary["mean_total_ms"] / 1000.0,
    }
    return table


def _fmt(value: float | None, digits: int = 3) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("bench", type=Path, help="--out folder of forensics_bench.py")
    parser.add_argument("--stride", type=int, default=3, help="use every N-th case")
    parser.add_argument("--only", default="", help="comma-separated algorithms (default all)")
    parser.add_argument("--splits", default=",".join(SPLITS), help="which splits (comma-separated)")
    parser.add_argument("--report-only", action="store_true", help="summarize existing runs")
    args = parser.parse_args()
    names = [n for n in args.only.split(",") if n] or list(_algorithms())
    for split in [s for s in args.splits.split(",") if s]:
        out = args.bench / f"pyifd_{split}.jsonl"
        if not args.report_only:
            run_split(args.bench / split, args.stride, out, names)
        chosen = {c["image_path"] for c in chosen_cases(args.bench / split, args.stride)}
        rows = [json.loads(line) for line in out.read_text().splitlines() if line]
        rows = [row for row in rows if row["image"] in chosen]
        theirs = summarize(rows, names)
        mine = ours(args.bench / "results.json", split, {r["image"] for r in rows})
        authentic = sum(r["kind"] == "authentic" for r in rows)
        print(f"\n### {split}: {len(rows)} cases ({authentic} authentic)\n")
        print("| method | pixel AUC | pixel AUC, either orientation | image AUC | s / image |")
        print("|---|---|---|---|---|")
        for name, row in theirs.items():
            failed = f" ({row['failed']} failed)" if row["failed"] else ""
            print(
                f"| pyIFD {name}{failed} | {_fmt(row['pixel_auc'])} | "
                f"{_fmt(row['pixel_auc_orientation_free'])} | {_fmt(row['image_auc'])} | "
                f"{_fmt(row['seconds'], 2)} |"
            )
        for name, row in mine.items():
            print(
                f"| pixelproof {name} | {_fmt(row['pixel_auc'])} | | "
                f"{_fmt(row['image_auc'])} | {_fmt(row['seconds'], 2)} |"
            )
        (args.bench / f"pyifd_{split}_summary.json").write_text(
            json.dumps({"pyifd": theirs, "pixelproof": mine}, indent=1) + "\n"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
