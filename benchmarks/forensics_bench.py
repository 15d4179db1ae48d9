"""Benchmark of the forensic analyses on synthetic forgeries made from real photos.

Usage (from the repository root; reads ``../shared/data``, writes only to --out)::

    .venv/bin/python benchmarks/forensics_bench.py --out /tmp/forensics-bench
    .venv/bin/python benchmarks/forensics_bench.py --out /tmp/fb --calibrate   # + fusion.json
    .venv/bin/python benchmarks/forensics_bench.py --out /tmp/fb --magic --timing

Sets: forgeries from Kodak + BSDS photos are the tuning set (used to calibrate the
fusion: ``--calibrate`` also fits its constants with
:func:`pixelproof.training.forensics.fit_fusion`, benign-processing negatives of the
fit and select photo splits included, and writes ``fusion.json`` to --out, as
``python -m pixelproof.training forensics-fusion`` does); forgeries from
Set5/Set14, the Debian wallpapers and the EXIF camera samples are held out. ``--magic``
scores the object removals of ``forgery-dev/magicinpainter/test/tampered`` (masks from
differencing each pair); ``--timing`` times every analysis on a 1-megapixel image on
one core.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from pixelproof.training.forensics import HELDOUT_SETS, TUNE_SETS, photo_list

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "data"
PHOTOS = SHARED / "photos"


def progress(done: int, total: int) -> None:
    if done % 25 == 0 or done == total:
        print(f"  {done}/{total}", file=sys.stderr, flush=True)


def run_set(name: str, sets: tuple[str, ...], n: int, seed: int, out: Path, keep: bool) -> Any:
    from pixelproof.forensics import evaluate_forensics, load_cases, make_forgeries

    folder = out / name
    manifest = folder / "cases.json"
    if manifest.exists():
        cases = load_cases(manifest)
    else:
        cases = make_forgeries(photo_list(PHOTOS, sets), folder, n=n, seed=seed)
    print(f"{name}: {len(cases)} cases from {', '.join(sets)}", file=sys.stderr)
    return evaluate_forensics(cases, keep_maps=keep, progress=progress)


MAGIC = SHARED / "forgery-dev" / "magicinpainter" / "test"
# output name marks of the removal tools in MagicInpainter's other test folders
REMOVAL_TOOLS = {
    "_mi": "MagicInpainter",
    "snapedit": "SnapEdit",
    "snap_edit": "SnapEdit",
    "cleanup": "cleanup.pictures",
    "adobe_ps": "Photoshop 2023",
    "cv2": "OpenCV",
    "inpaint": "Inpaint",
}


def _tool(name: str) -> str | None:
    lowered = name.lower()
    return next((tool for mark, tool in REMOVAL_TOOLS.items() if mark in lowered), None)


def removal_pairs(
    every_folder: bool = False,
) -> list[tuple[Path, str, np.ndarray[Any, Any]]]:
    """``(edited image, tool, mask)`` of the MagicInpainter object removals: the pairs of
    ``test/tampered`` (tool unnamed there) and, with ``every_folder``, each tool's output
    in the other test folders against that folder's source image (the one file no tool
    name marks), where the sizes match. Masks come from differencing the pair; a pair
    that differs over more than half the image is left out."""
    from PIL import Image

    pairs: list[tuple[Path, Path, str]] = []
    tampered = MAGIC / "tampered"
    for edited in sorted(tampered.glob("*_inpaint*.png")):
        stem = edited.stem.replace("_inpainted", "").replace("_inpaint", "")
        pairs.append((tampered / f"{stem}.png", edited, "MagicInpainter (tampered/)"))
    for folder in sorted(d for d in MAGIC.iterdir() if d.is_dir() and every_folder):
        if folder == tampered:
            continue
        files = sorted(folder.iterdir())
        sources = [f for f in files if _tool(f.name) is None]
        if len(sources) == 1:
            pairs += [(sources[0], f, str(_tool(f.name))) for f in files if f != sources[0]]
    found = []
    for original, edited, tool in pairs:
        if not original.exists():
            continue
        a = np.asarray(Image.open(original).convert("RGB"), dtype=np.int16)
        b = np.asarray(Image.open(edited).convert("RGB"), dtype=np.int16)
        mask = _difference_mask(a, b) if a.shape == b.shape else None
        # over half the image changed: the pair differs globally (a re-coloured
        # source), not by one removal
        if mask is not None and mask.mean() <= 0.5:
            found.append((edited, tool, mask))
    return found


def magic_inpainter() -> list[dict[str, Any]]:
    """Pixel AUC and F1 per image of the MagicInpainter object removals."""
    rows = []
    for edited, _, mask in removal_pairs():
        row = fused_localization(edited, mask)
        rows.append(row)
        print(json.dumps(row), file=sys.stderr)
    return rows


def fused_localization(edited: Path, mask: np.ndarray[Any, Any]) -> dict[str, Any]:
    """The forensics fusion's verdict on ``edited`` and how well its map finds ``mask``."""
    from pixelproof.bench import best_threshold_f1, pixel_auc, pixel_f1
    from pixelproof.forensics import analyze

    started = time.perf_counter()
    report = analyze(edited)
    elapsed = time.perf_counter() - started
    fused = report.fused.full_heatmap()
    per_analysis: dict[str, float] = {}
    for name, result in report.results.items():
        if result.informative and name != "quality":
            per_analysis[name] = round(float(pixel_auc(mask, result.full_heatmap())), 3)
    return {
        "image": edited.name,
        "size": [mask.shape[1], mask.shape[0]],
        "mask_fraction": round(float(mask.mean()), 4),
        "score": round(report.score, 3),
        "label": report.label,
        "pixel_auc": round(float(pixel_auc(mask, fused)), 4),
        "pixel_f1_best": round(float(best_threshold_f1(mask, fused).f1), 4),
        "pixel_f1_at_0.5": round(float(pixel_f1(mask, fused, 0.5)), 4),
        "seconds": round(elapsed, 2),
        "per_analysis_auc": per_analysis,
    }


def _difference_mask(a: np.ndarray[Any, Any], b: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    """Pixels the inpainting changed: difference > 12 in any channel, cleaned up."""
    import cv2

    changed = (np.abs(a - b).max(axis=2) > 12).astype(np.uint8)
    changed = cv2.morphologyEx(changed, cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))
    changed = cv2.morphologyEx(changed, cv2.MORPH_CLOSE, np.ones((15, 15), np.uint8))
    return changed > 0


def timing(repeats: int = 3) -> dict[str, float]:
    """Median time (ms) of each analysis on a 1-megapixel JPEG, pinned to one core."""
    import io

    from PIL import Image

    from pixelproof.forensics import ImageContext, available_analyses, run_analyses
    from pixelproof.io import load_image

    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    try:
        import cv2

        cv2.setNumThreads(1)
    except ImportError:
        pass
    source = Image.open(PHOTOS / "kodak24" / "05.png").convert("RGB")
    side = math.sqrt(1_000_000 / (source.width * source.height))
    source = source.resize((round(source.width * side), round(source.height * side)))
    buffer = io.BytesIO()
    source.save(buffer, format="JPEG", quality=85)
    data = buffer.getvalue()
    per: dict[str, list[float]] = {name: [] for name in available_analyses()}
    totals = []
    for _ in range(repeats):
        started = time.perf_counter()
        context = ImageContext.from_loaded(load_image(data))
        load_ms = (time.perf_counter() - started) * 1000.0
        _, times = run_analyses(context)
        for name, ms in times.items():
            per[name].append(ms)
        totals.append(load_ms + sum(times.values()))
    result = {name: round(float(np.median(v)), 1) for name, v in per.items()}
    result["total (with decoding)"] = round(float(np.median(totals)), 1)
    result["megapixels"] = round(source.width * source.height / 1e6, 3)
    return result


def image_auc_by_kind(rows: list[dict[str, Any]]) -> list[str]:
    """Image AUC of each forgery kind against the authentic controls: all of them,
    then by number of JPEG saves (forgeries and controls saved the same number of
    times; a single save leaves no earlier compression to compare with)."""
    from pixelproof.bench.metrics import roc_auc

    lines = ["", "| kind | image AUC | saved once | saved twice |", "|---|---|---|---|"]
    kinds = sorted({r["kind"] for r in rows} - {"authentic"})
    for kind in [*kinds, "all forgeries"]:
        cells = []
        for saves in (None, 1, 2):
            chosen = [
                r
                for r in rows
                if (kind == "all forgeries" or r["kind"] in (kind, "authentic"))
                and (saves is None or r["saves"] == saves)
            ]
            labels = [r["kind"] != "authentic" for r in chosen]
            scores = [r["score"] for r in chosen]
            auc = roc_auc(labels, scores) if 0 < sum(labels) < len(labels) else None
            cells.append("-" if auc is None else f"{auc:.3f}")
        lines.append(f"| {kind} | {' | '.join(cells)} |")
    return lines


def table(summary: dict[str, Any], rows: list[dict[str, Any]]) -> str:
    lines = [
        f"cases {summary['cases']} (manipulated {summary['manipulated_cases']}, "
        f"authentic {summary['authentic_cases']})",
        f"fused pixel AUC {summary['fused_pixel_auc']}  fused F1(best) {summary['fused_pixel_f1']}"
        f"  image AUC {summary['image_auc']}  copy-move F1 {summary['copymove_f1']}",
        f"authentic labelled manipulated {summary['authentic_flagged']}  inconclusive "
        f"{summary['authentic_inconclusive']}  manipulated detected "
        f"{summary['manipulated_detected']}",
        "",
        "| analysis | pixel AUC | image AUC | informative | ms/image |",
        "|---|---|---|---|---|",
    ]
    for name, row in summary["per_analysis"].items():
        lines.append(
            f"| {name} | {row['pixel_auc']} | {row['image_auc']} | {row['informative_share']} "
            f"| {row['mean_ms']} |"
        )
    lines += [
        "",
        "| kind | n | pixel AUC | mean score | labelled manipulated |",
        "|---|---|---|---|---|",
    ]
    for name, row in summary["per_kind"].items():
        lines.append(
            f"| {name} | {row['n']} | {row['pixel_auc']} | {row['mean_score']} "
            f"| {row['labelled_manipulated']} |"
        )
    return "\n".join(lines + image_auc_by_kind(rows))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True, help="work folder (outside the repo)")
    parser.add_argument("--tune-n", type=int, default=300)
    parser.add_argument("--heldout-n", type=int, default=250)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--calibrate", action="store_true", help="fit fusion on the tuning set")
    parser.add_argument("--skip-tune", action="store_true")
    parser.add_argument("--skip-heldout", action="store_true")
    parser.add_argument(
        "--heldout-rows",
        type=Path,
        help="summarise the held-out rows benchmarks/benign_bench.py saved (its "
        "heldout-rows.json: the same 250 cases, seed 2) instead of analysing them again",
    )
    parser.add_argument("--magic", action="store_true", help="score MagicInpainter removals")
    parser.add_argument("--timing", action="store_true", help="time each analysis at 1 MP")
    args = parser.parse_args()
    if not SHARED.exists():
        print(f"shared data not found at {SHARED}: nothing to benchmark", file=sys.stderr)
        return 0
    args.out.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {}
    if not args.skip_tune:
        tune = run_set("tune", TUNE_SETS, args.tune_n, args.seed, args.out, False)
        results["tune"] = tune.to_dict()
        print("## tuning set (kodak24 + bsds)\n" + table(tune.summary, tune.cases))
        if args.calibrate:
            from pixelproof.training.forensics import fit_fusion

            written = fit_fusion(PHOTOS, args.out, args.out, n=args.tune_n, seed=args.seed)
            results["calibration"] = json.loads(written.read_text())
            print(f"\ncalibrated constants: {written}")
    if not args.skip_heldout:
        if args.heldout_rows:
            from pixelproof.forensics import (
                ForensicsEvaluation,
                available_analyses,
                summarize_evaluation,
            )

            rows = json.loads(args.heldout_rows.read_text())
            held = ForensicsEvaluation(summarize_evaluation(rows, available_analyses()), rows)
        else:
            held = run_set("heldout", HELDOUT_SETS, args.heldout_n, args.seed + 1, args.out, False)
        results["heldout"] = held.to_dict()
        print("\n## held-out set (set5-set14 + debian-wallpapers + exif-samples)\n")
        print(table(held.summary, held.cases))
    if args.magic:
        results["magicinpainter"] = magic_inpainter()
        print("\n## MagicInpainter removals\n")
        print("| image | pixel AUC | F1 (best) | F1 @0.5 | score | label |")
        print("|---|---|---|---|---|---|")
        for row in results["magicinpainter"]:
            print(
                f"| {row['image']} | {row['pixel_auc']} | {row['pixel_f1_best']} | "
                f"{row['pixel_f1_at_0.5']} | {row['score']} | {row['label']} |"
            )
    if args.timing:
        results["timing_ms"] = timing()
        print("\n## time per analysis, 1 MP JPEG, one core (ms)\n")
        for name, ms in results["timing_ms"].items():
            print(f"  {name:<24}{ms}")
    (args.out / "results.json").write_text(json.dumps(results, indent=1, default=str) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
