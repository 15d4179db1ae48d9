"""Per-photo quality and misses of a ``bench watermark`` run.

Usage (from the repository root), after ``pixelproof bench watermark ... --out OUT``::

    .venv/bin/python benchmarks/watermark_quality.py OUT/results.csv [--system pixelproof]

Prints, for one system: the mean, lowest and highest PSNR and SSIM of the marked photos
(one value per photo, before any attack), how many photos are below SSIM 0.98, and
every (photo, attack) where the mark was not detected or its bits came back wrong.
"""

from __future__ import annotations

import argparse
import csv
import sys
from collections import defaultdict
from pathlib import Path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("results", type=Path, help="results.csv of a bench watermark run")
    parser.add_argument("--system", default="pixelproof")
    args = parser.parse_args()
    quality: dict[str, tuple[float, float]] = {}
    misses: dict[str, list[str]] = defaultdict(list)
    with args.results.open(newline="") as handle:
        for row in csv.DictReader(handle):
            if row["system"] != args.system or not row.get("psnr"):
                continue
            quality[row["image"]] = (float(row["psnr"]), float(row["ssim"]))
            bits = float(row["bit_accuracy"])
            if row["detected"] != "True" or bits < 1.0:
                detected = "detected" if row["detected"] == "True" else "not detected"
                misses[row["transform"]].append(f"{row['image']} ({detected}, bits {bits:.3f})")
    if not quality:
        print(f"no rows of {args.system} in {args.results}")
        return 1
    psnr = sorted(v[0] for v in quality.values())
    ssim = sorted(v[1] for v in quality.values())
    below = sum(v < 0.98 for v in ssim)
    print(
        f"{args.system}, {len(quality)} photos: PSNR mean {sum(psnr) / len(psnr):.2f} dB "
        f"(lowest {psnr[0]:.2f}, highest {psnr[-1]:.2f}); SSIM mean "
        f"{sum(ssim) / len(ssim):.4f} (lowest {ssim[0]:.4f}, highest {ssim[-1]:.4f}); "
        f"{below} photos below SSIM 0.98"
    )
    for attack, missed in misses.items():
        print(f"{attack}: {len(missed)} missed: {', '.join(missed)}")
    if not misses:
        print("no attack missed on any photo")
    return 0


if __name__ == "__main__":
    sys.exit(main())
