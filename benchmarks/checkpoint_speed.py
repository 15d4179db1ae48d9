"""Speed of the published-checkpoint detectors (CNNDetection, NPR) on one CPU core.

Usage (from the repository root; needs the ``checkpoints`` extra, writes only a
temporary file)::

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/checkpoint_speed.py
    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/checkpoint_speed.py --sides 256,1024 --repeats 5

No published weights are needed or fetched: each kind's network is saved with random
weights in the authors' layout, loaded back through ``load_checkpoint`` (the timing of
the load is printed too), and scored on random square images of the given sides at full
resolution (the authors' default: no resize, no crop). Weights do not change the
arithmetic, so the times are those of the real checkpoints. Prints a Markdown table:
load time, then the median seconds per image and per megapixel.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from pixelproof.synthetic.checkpoints import CHECKPOINT_KINDS, load_checkpoint


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sides", default="224,512,1024", help="image sides, comma-separated")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per size (median)")
    parser.add_argument("--threads", type=int, default=1, help="torch intra-op threads")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    sides = [int(side) for side in args.sides.split(",")]
    rng = np.random.default_rng(0)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} thread(s)\n")
    print("| kind | load (s) | side | s / image | s / megapixel |")
    print("|---|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as folder:
        for name, kind in CHECKPOINT_KINDS.items():
            path = Path(folder) / f"{name}.pth"
            torch.save({"model": kind.build().state_dict()}, path)
            start = time.perf_counter()
            detector = load_checkpoint(name, path)
            loaded = time.perf_counter() - start
            for side in sides:
                rgb = rng.integers(0, 256, (side, side, 3), dtype=np.uint8)
                detector.probability(rgb)  # warm-up: first-call allocations
                times = []
                for _ in range(args.repeats):
                    start = time.perf_counter()
                    detector.probability(rgb)
                    times.append(time.perf_counter() - start)
                median = statistics.median(times)
                per_mp = median / (side * side / 1e6)
                print(f"| {name} | {loaded:.2f} | {side} | {median:.3f} | {per_mp:.3f} |")


if __name__ == "__main__":
    main()
