"""De-duplication benchmark: ``pixelproof dedup`` on the shared photos plus edited copies.

Usage (from the repository root; reads ``../shared/data/photos``, writes only to --out)::

    .venv/bin/python benchmarks/dedup_match.py --out /tmp/dedup-bench --workers 2

Every readable photo of ``../shared/data/photos`` (at least 64 pixels a side) gets five
edited copies, as in the UKBench benchmark Immaculate reports: a crop keeping half the
area at a random place, horizontal and vertical flips, a 25-degree rotation (black
corners, same canvas) and a squash to a square. True pairs are the pairs of images made
from one photo, plus the pairs of photos that are themselves copies of each other in
the shared data (``KNOWN_DUPLICATES`` in ``shared_photos.py``: the EXIF orientation
samples are two photos under eight orientations each, the HDR samples come in pairs,
Set5's ``head`` and ``butterfly`` are Set14's ``face`` and a crop of its ``monarch``). Pair
precision and recall are computed over the groups ``dedup`` returns (every pair inside
a group counts as predicted), with the time and peak memory of the run.
"""

from __future__ import annotations

import argparse
import itertools
import json
import resource
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))
from shared_photos import PHOTOS, family_of


def edits(rgb: np.ndarray, seed: int) -> dict[str, np.ndarray]:
    import cv2

    rng = np.random.default_rng(seed)
    height, width = rgb.shape[:2]
    ch, cw = round(height * 0.7071), round(width * 0.7071)
    top, left = int(rng.integers(0, height - ch + 1)), int(rng.integers(0, width - cw + 1))
    matrix = cv2.getRotationMatrix2D((width / 2, height / 2), 25.0, 1.0)
    side = min(height, width)
    return {
        "crop": rgb[top : top + ch, left : left + cw],
        "hflip": rgb[:, ::-1],
        "vflip": rgb[::-1],
        "rot25": cv2.warpAffine(rgb, matrix, (width, height)),
        "square": cv2.resize(rgb, (side, side), interpolation=cv2.INTER_AREA),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--photos", type=Path, default=PHOTOS)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--max-side", type=int, default=1024)
    args = parser.parse_args()
    from pixelproof.inputs import expand_inputs
    from pixelproof.io import load_image
    from pixelproof.report import write_dedup_report
    from pixelproof.tasks.match import dedup_paths

    copies = args.out / "edited"
    copies.mkdir(parents=True, exist_ok=True)
    paths: list[str] = []
    family: dict[str, str] = {}
    for index, path in enumerate(expand_inputs([str(args.photos)]).files):
        try:
            rgb = load_image(path).pixels
        except Exception:
            continue
        if min(rgb.shape[:2]) < 64:
            continue
        relative = str(Path(path).relative_to(args.photos))
        paths.append(path)
        family[path] = family_of(relative)
        image = Image.fromarray(rgb)
        image.thumbnail((args.max_side, args.max_side))
        for name, edited in edits(np.asarray(image), index).items():
            target = copies / f"{index:04d}_{name}.jpg"
            if not target.exists():
                Image.fromarray(np.ascontiguousarray(edited)).save(target, quality=90)
            paths.append(str(target))
            family[str(target)] = family[path]
    print(f"{len(paths)} images", file=sys.stderr)
    started = time.perf_counter()
    result = dedup_paths(paths, workers=args.workers)
    seconds = time.perf_counter() - started
    peak_mb = (
        max(
            resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
            resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
        )
        / 1024
    )
    rows = [r for r in result.rows if r.ok]
    true_pairs = {
        (a.path, b.path)
        for a, b in itertools.combinations(rows, 2)
        if family[a.path] == family[b.path]
    }
    predicted = {(a.path, b.path) for a, b in itertools.combinations(rows, 2) if a.group == b.group}
    hits = len(true_pairs & predicted)
    wrong = sorted(predicted - true_pairs)
    summary = {
        "images": len(paths),
        "failed": len(result.rows) - len(rows),
        "true_pairs": len(true_pairs),
        "predicted_pairs": len(predicted),
        "pair_recall": hits / len(true_pairs) if true_pairs else 0.0,
        "pair_precision": hits / len(predicted) if predicted else 1.0,
        "seconds": seconds,
        "images_per_second": len(paths) / seconds,
        "peak_rss_mb": peak_mb,
        "workers": args.workers,
        "threshold": result.threshold,
        "false_pairs": wrong[:50],
    }
    missed: dict[str, int] = {}
    for a, b in sorted(true_pairs - predicted):
        for p in (a, b):
            kind = Path(p).stem.split("_")[-1] if str(copies) in p else "original"
            missed[kind] = missed.get(kind, 0) + 1
    summary["missed_by_member"] = missed
    (args.out / "dedup_rows.jsonl").write_text(
        "\n".join(json.dumps(r.to_dict()) for r in result.rows) + "\n"
    )
    write_dedup_report(result, args.out / "dedup.html")
    (args.out / "dedup_summary.json").write_text(json.dumps(summary, indent=1) + "\n")
    print(json.dumps({k: v for k, v in summary.items() if k != "false_pairs"}, indent=1))
    for pair in wrong[:10]:
        print("false pair:", *pair)


if __name__ == "__main__":
    main()
