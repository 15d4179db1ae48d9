"""How many copies and distractors of a ``bench match`` run score above a threshold.

Usage (from the repository root), after ``pixelproof bench match ... --out OUT``::

    .venv/bin/python benchmarks/match_threshold.py OUT/results.csv [--threshold 0.5]

For each system: of the edited-copy queries, how many find their reference first with
a score above the threshold; of the distractor queries (whose source is not indexed),
how many have any result above it, and the highest of their scores. For pixelproof 0.5
is the calibrated 1%-false-match threshold; the baselines' scores are not calibrated, so
their counts only compare runs.
"""

from __future__ import annotations

import argparse
import csv
import sys
from collections import defaultdict
from pathlib import Path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("results", type=Path, help="results.csv of a bench match run")
    parser.add_argument("--threshold", type=float, default=0.5)
    args = parser.parse_args()
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    highest: dict[str, float] = defaultdict(float)  # best score of a distractor query
    with args.results.open(newline="") as handle:
        for row in csv.DictReader(handle):
            above = float(row["top1_score"] or 0.0) > args.threshold
            tally = counts[row["system"]]
            if row["reference"]:
                tally[0] += 1
                tally[1] += above and row["top1_correct"] == "True"
            else:
                tally[2] += 1
                tally[3] += above
                highest[row["system"]] = max(highest[row["system"]], float(row["top1_score"] or 0))
    for system, (copies, found, distractors, false) in counts.items():
        print(
            f"{system}: {found} of {copies} copies found first above {args.threshold}; "
            f"{false} of {distractors} distractors above it "
            f"(highest distractor score {highest[system]:.3f})"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
