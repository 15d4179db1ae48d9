"""False accusations: authentic photos after normal publishing, and untouched ones.

Usage (from the repository root; reads ``../shared/data``, writes only to --out)::

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/benign_bench.py --out /tmp/benign-bench

Sections (each can be skipped):

``report``
    Authentic photos of the ``report`` photo split (never used by the fusion fit nor
    for its thresholds; split by :func:`pixelproof.forensics.photo_split`) after
    random publishing chains (:func:`pixelproof.forensics.make_benign`; 200 images,
    seed 13, as :func:`pixelproof.training.forensics.benign_set` makes them): the
    share labelled manipulated / inconclusive / authentic, overall and per processing
    step (an image counts under every step of its chain).
``untouched``
    The photos of ``exif-samples``, ``debian-wallpapers`` and ``kodak24`` as they are.
``forgeries``
    The held-out forgeries of ``forensics_bench.py`` (Set5/14, wallpapers, EXIF
    samples; 250 cases, seed 2) with the ``report`` negatives added to the authentic
    controls: image AUC and fused pixel AUC; also without the flat graphics among
    them (the analyses step aside there and the score is the even-odds prior 0.5).
    Per-case rows go to ``report-rows.json`` and ``heldout-rows.json`` in --out.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
PHOTOS = REPO.parent / "shared" / "data" / "photos"
UNTOUCHED_SETS = ("exif-samples", "debian-wallpapers", "kodak24")
LABELS = ("manipulated", "inconclusive", "authentic")


def progress(done: int, total: int) -> None:
    if done % 25 == 0 or done == total:
        print(f"  {done}/{total}", file=sys.stderr, flush=True)


def shares(labels: list[str]) -> dict[str, float]:
    return {k: round(sum(x == k for x in labels) / max(1, len(labels)), 4) for k in LABELS}


def report_split(out: Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    from pixelproof.forensics import evaluate_forensics
    from pixelproof.training.forensics import benign_set

    cases = benign_set(PHOTOS, out, "report")
    print(f"report split: {len(cases)} images", file=sys.stderr)
    evaluation = evaluate_forensics(cases, progress=progress)
    by_step: dict[str, list[str]] = defaultdict(list)
    for case, row in zip(cases, evaluation.cases, strict=True):
        row["steps"] = case.params["steps"]
        for step in sorted(set(case.params["steps"])):
            by_step[step].append(row["label"])
    overall = [row["label"] for row in evaluation.cases]
    summary = {
        "images": len(overall),
        "overall": shares(overall),
        "per_step": {step: {"n": len(v), **shares(v)} for step, v in sorted(by_step.items())},
    }
    return summary, evaluation.cases


def untouched() -> dict[str, Any]:
    from pixelproof.forensics import analyze
    from pixelproof.io import ImageLoadError
    from pixelproof.training.forensics import photo_list

    per_set: dict[str, Any] = {}
    for name in UNTOUCHED_SETS:
        labels, accused = [], []
        for path in photo_list(PHOTOS, (name,)):
            try:
                report = analyze(path)
            except (ImageLoadError, OSError) as error:  # a broken sample: not a photo
                print(f"  skipped {path.name}: {error}", file=sys.stderr)
                continue
            labels.append(report.label)
            if report.label == "manipulated":
                accused.append(f"{path.name} ({report.score:.2f})")
        per_set[name] = {"n": len(labels), **shares(labels), "accused": accused}
        print(f"  {name}: {per_set[name]}", file=sys.stderr, flush=True)
    return per_set


def forgeries(out: Path, benign_rows: list[dict[str, Any]]) -> dict[str, Any]:
    from pixelproof.forensics import (
        available_analyses,
        evaluate_forensics,
        load_cases,
        make_forgeries,
        summarize_evaluation,
    )
    from pixelproof.training.forensics import HELDOUT_SETS, photo_list

    folder = out / "heldout"
    manifest = folder / "cases.json"
    if manifest.exists():
        cases = load_cases(manifest)
    else:
        cases = make_forgeries(photo_list(PHOTOS, HELDOUT_SETS), folder, n=250, seed=2)
    rows = evaluate_forensics(cases, progress=progress).cases
    (out / "heldout-rows.json").write_text(json.dumps(rows, indent=0) + "\n")
    names = available_analyses()
    clean = summarize_evaluation(rows, names)
    mixed = summarize_evaluation(rows + benign_rows, names)
    # The flat graphics among them, on which the analyses step aside (score 0.5, the
    # even-odds prior): the AUC of the images the analyses judge, without them.
    judged = [r for r in rows if not r["graphic"]]
    judged_summary = summarize_evaluation(judged, names)
    keys = (
        "image_auc",
        "fused_pixel_auc",
        "copymove_f1",
        "authentic_cases",
        "authentic_flagged",
        "authentic_inconclusive",
        "manipulated_detected",
    )
    return {
        "clean_controls": {k: clean[k] for k in keys},
        "with_benign_controls": {k: mixed[k] for k in keys},
        "without_graphics": {
            "graphics": len(rows) - len(judged),
            **{k: judged_summary[k] for k in keys},
        },
        "per_kind": clean["per_kind"],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True, help="work folder (outside the repo)")
    parser.add_argument("--skip-untouched", action="store_true")
    parser.add_argument("--skip-forgeries", action="store_true")
    args = parser.parse_args()
    if not PHOTOS.exists():
        print(f"shared data not found at {PHOTOS}: nothing to benchmark", file=sys.stderr)
        return 0
    args.out.mkdir(parents=True, exist_ok=True)
    summary, rows = report_split(args.out)
    (args.out / "report-rows.json").write_text(json.dumps(rows, indent=0) + "\n")
    results: dict[str, Any] = {"report_split": summary}
    overall = summary["overall"]
    print(
        f"## authentic photos after publishing (report split, {summary['images']} images)\n"
        f"manipulated {overall['manipulated']:.1%}  inconclusive {overall['inconclusive']:.1%}"
        f"  authentic {overall['authentic']:.1%}\n"
    )
    print("| step | n | manipulated | inconclusive | authentic |")
    print("|---|---|---|---|---|")
    for step, row in summary["per_step"].items():
        print(
            f"| {step} | {row['n']} | {row['manipulated']:.1%} | {row['inconclusive']:.1%} "
            f"| {row['authentic']:.1%} |"
        )
    if not args.skip_untouched:
        results["untouched"] = per_set = untouched()
        print("\n## untouched photos\n")
        print("| set | n | manipulated | inconclusive | authentic | accused |")
        print("|---|---|---|---|---|---|")
        for name, row in per_set.items():
            print(
                f"| {name} | {row['n']} | {row['manipulated']:.1%} | {row['inconclusive']:.1%} "
                f"| {row['authentic']:.1%} | {', '.join(row['accused']) or '-'} |"
            )
    if not args.skip_forgeries:
        results["forgeries"] = found = forgeries(args.out, rows)
        print("\n## held-out forgeries (image AUC / fused pixel AUC)\n")
        for key in ("clean_controls", "with_benign_controls", "without_graphics"):
            row = found[key]
            print(
                f"{key}: image AUC {row['image_auc']}  pixel AUC {row['fused_pixel_auc']}  "
                f"authentic controls {row['authentic_cases']} (labelled manipulated "
                f"{row['authentic_flagged']}, inconclusive {row['authentic_inconclusive']}); "
                f"forgeries labelled manipulated {row['manipulated_detected']}"
            )
    (args.out / "results.json").write_text(json.dumps(results, indent=1, default=str) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
