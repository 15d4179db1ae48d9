"""Copy-move under JPEG and scaling, and repeated real structure that is no copy.

Usage (from the repository root; reads ``../shared/data``, writes only to --out)::

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/copymove_bench.py --out /tmp/cm-bench

1. Copy-moves made to survive (:func:`pixelproof.forensics.make_copymoves`): the copy
   rescaled by 0.8-1.2, the image saved once as JPEG at quality 75-90, on the held-out
   photos (Set5/14, Debian wallpapers, EXIF samples; seed 7; ``--photos tune``: the
   tuning photos, Kodak + BSDS, on which the copy-move search's parameters are
   chosen; ``--seed``: another draw). Printed: the copy-move
   map's best-threshold pixel F1 (mean over cases; the mask holds source and copy),
   its pixel AUC, and the share of cases the fused verdict labels manipulated
   (``--map-only``: the copy-move analysis alone, no label).
   With ``--any-copy`` a second set (same photos, ranges and seed) takes the
   first region drawn whatever it holds (``min_detail=0``), flat sky included; its
   F1 is printed overall and for the copies with and without fine detail.
2. :data:`REPEATED_STRUCTURE`: 20 authentic photos of the shared sets full of
   repeated structure (facades, shutters, windows, arches, tiles, blinds, a
   patterned cloth, rows of cups), analysed as they are and after one publishing
   save (JPEG quality 85): how many are labelled manipulated, and how many the
   copy-move analysis flags (score >= 0.5).
"""

from __future__ import annotations

import argparse
import io
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
PHOTOS = REPO.parent / "shared" / "data" / "photos"

# Chosen by eye from the shared sets for repeated structure.
REPEATED_STRUCTURE = (
    "kodak24/01.png",  # brick facade, shutters
    "kodak24/07.png",  # louvred shutters
    "kodak24/08.png",  # rows of windows
    "kodak24/24.png",  # chalet windows
    "bsds-cbsd68/119082.png",  # office tower windows
    "bsds-cbsd68/148026.png",  # facade grid
    "bsds-cbsd68/148089.png",  # arches, columns
    "bsds-cbsd68/182053.png",  # viaduct arches
    "bsds-cbsd68/223061.png",  # glass pyramid lattice
    "bsds-cbsd68/351093.png",  # bridge arches
    "set5-set14/barbara.png",  # patterned cloth, books
    "exif-samples/jpg/exif-org/nikon-e950.jpg",  # arched windows
    "exif-samples/jpg/gps/DSCN0025.jpg",  # street of facades
    "exif-samples/jpg/gps/DSCN0029.jpg",  # facades
    "exif-samples/jpg/gps/DSCN0038.jpg",  # facades
    "exif-samples/jpg/gps/DSCN0042.jpg",  # tower, windows
    "exif-samples/jpg/hdr/canon_hdr_NO.jpg",  # a chandelier's repeated lamps
    "debian-wallpapers/mate-backgrounds/Blinds.jpg",  # blinds
    "debian-wallpapers/plasma-workspace-wallpapers/ColorfulCups.jpg",  # rows of cups
    "debian-wallpapers/plasma-workspace-wallpapers/Grey.jpg",  # architectural lattice
)


def copymove_cases(
    out: Path,
    n: int,
    *,
    any_copy: bool = False,
    seed: int = 7,
    sets: tuple[str, ...],
    map_only: bool = False,
) -> dict[str, Any]:
    from pixelproof.bench import best_threshold_f1, pixel_auc
    from pixelproof.forensics import COPY_DETAIL, analyze, load_cases, make_copymoves
    from pixelproof.training.forensics import photo_list

    folder = out / ("copymoves-any" if any_copy else "copymoves")
    manifest = folder / "cases.json"
    if manifest.exists():
        cases = load_cases(manifest)
    else:
        photos = photo_list(PHOTOS, sets)
        if any_copy:
            cases = make_copymoves(photos, folder, n=n, seed=seed, min_detail=0.0)
        else:
            cases = make_copymoves(photos, folder, n=n, seed=seed)
    f1s, aucs, flagged = [], [], []
    for index, case in enumerate(cases):
        report = analyze(case.image_path, analyses=["copymove"] if map_only else None)
        mask = case.load_mask()
        assert mask is not None
        heat = report.results["copymove"].full_heatmap()
        f1s.append(float(best_threshold_f1(mask, heat).f1))
        aucs.append(float(pixel_auc(mask, heat)))
        flagged.append(report.label == "manipulated")
        if (index + 1) % 10 == 0:
            print(f"  copy-moves {index + 1}/{len(cases)}", file=sys.stderr, flush=True)
    detailed = np.array([c.params.get("copy_detail", COPY_DETAIL) >= COPY_DETAIL for c in cases])
    return {
        "cases": len(cases),
        "detailed_cases": int(detailed.sum()),
        "copymove_f1_detailed": round(float(np.mean(np.array(f1s)[detailed])), 4)
        if detailed.any()
        else None,
        "copymove_f1_smooth": round(float(np.mean(np.array(f1s)[~detailed])), 4)
        if (~detailed).any()
        else None,
        "copymove_f1": round(float(np.mean(f1s)), 4),
        "copymove_pixel_auc": round(float(np.mean(aucs)), 4),
        "labelled_manipulated": None if map_only else round(float(np.mean(flagged)), 4),
        "f1_per_case": [round(f, 3) for f in f1s],
    }


def repeated_structure() -> list[dict[str, Any]]:
    from PIL import Image

    from pixelproof.forensics import analyze

    rows = []
    for name in REPEATED_STRUCTURE:
        path = PHOTOS / name
        if not path.exists():
            continue
        buffer = io.BytesIO()
        with Image.open(path) as image:
            image.convert("RGB").save(buffer, format="JPEG", quality=85)
        for version, source in (("as is", path), ("JPEG q85", buffer.getvalue())):
            report = analyze(source)
            copymove = report.results["copymove"]
            rows.append(
                {
                    "photo": name,
                    "version": version,
                    "label": report.label,
                    "score": round(report.score, 3),
                    "copymove": round(copymove.score, 3) if copymove.informative else None,
                }
            )
            print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True, help="work folder (outside the repo)")
    parser.add_argument("--n", type=int, default=60, help="copy-move cases")
    parser.add_argument("--skip-copies", action="store_true")
    parser.add_argument(
        "--any-copy", action="store_true", help="also copies of any region (flat sky included)"
    )
    parser.add_argument("--skip-repeated", action="store_true")
    parser.add_argument("--seed", type=int, default=7, help="draw of the copy-moves")
    parser.add_argument(
        "--map-only",
        action="store_true",
        help="run the copy-move analysis alone (its F1 and AUC; no fused label)",
    )
    parser.add_argument(
        "--photos",
        choices=("heldout", "tune"),
        default="heldout",
        help="photos the copy-moves are made from (tune: Kodak + BSDS)",
    )
    args = parser.parse_args()
    from pixelproof.training.forensics import HELDOUT_SETS, TUNE_SETS

    sets = TUNE_SETS if args.photos == "tune" else HELDOUT_SETS
    if not PHOTOS.exists():
        print(f"shared data not found at {PHOTOS}: nothing to benchmark", file=sys.stderr)
        return 0
    args.out.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {}
    if not args.skip_copies:
        results["copymoves"] = found = copymove_cases(
            args.out, args.n, seed=args.seed, sets=sets, map_only=args.map_only
        )
        print(
            f"## copy-moves, copy scaled 0.8-1.2, JPEG 75-90 ({args.photos} photos: "
            f"{', '.join(sets)}; {found['cases']}, seed {args.seed})\n"
            f"copy-move pixel F1 (best threshold) {found['copymove_f1']}  pixel AUC "
            f"{found['copymove_pixel_auc']}  labelled manipulated {found['labelled_manipulated']}"
        )
    if not args.skip_copies and args.any_copy:
        results["any_copies"] = found = copymove_cases(
            args.out, args.n, any_copy=True, seed=args.seed, sets=sets, map_only=args.map_only
        )
        print(
            f"\n## copy-moves of any region, same draws ({found['cases']}, seed {args.seed})\n"
            f"copy-move pixel F1 (best threshold) {found['copymove_f1']}  pixel AUC "
            f"{found['copymove_pixel_auc']}  labelled manipulated "
            f"{found['labelled_manipulated']}\n"
            f"  copies with fine detail ({found['detailed_cases']}): F1 "
            f"{found['copymove_f1_detailed']};  without: F1 {found['copymove_f1_smooth']}"
        )
    if not args.skip_repeated:
        results["repeated_structure"] = rows = repeated_structure()
        print("\n## repeated structure (authentic)\n")
        print("| photo | version | label | score | copy-move |")
        print("|---|---|---|---|---|")
        for row in rows:
            print(
                f"| {row['photo']} | {row['version']} | {row['label']} | {row['score']} "
                f"| {row['copymove']} |"
            )
        for version in ("as is", "JPEG q85"):
            chosen = [r for r in rows if r["version"] == version]
            accused = sum(r["label"] == "manipulated" for r in chosen)
            copies = sum((r["copymove"] or 0.0) >= 0.5 for r in chosen)
            print(
                f"{version}: {accused} of {len(chosen)} labelled manipulated, copy-move "
                f"flags {copies}"
            )
    (args.out / "results.json").write_text(json.dumps(results, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
