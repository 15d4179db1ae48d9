"""Speed and memory of the published-checkpoint detectors (CNNDetection, NPR) on one core.

Usage (from the repository root; needs the ``checkpoints`` extra, writes only temporary
files)::

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/checkpoint_speed.py
    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/checkpoint_speed.py --sides 256,1024 --repeats 5

No published weights are needed or fetched: each kind's network is saved with random
weights in the authors' layout, loaded back through ``load_checkpoint``, and scored on a
random square image of each side at full resolution (the authors' default: no resize,
no crop). Weights do not change the arithmetic, so the times are those of the real
checkpoints. Each (kind, side) runs in a fresh process so that its peak resident memory
is its own. Prints a Markdown table: load time, median seconds per image and per
megapixel, peak resident memory of the process.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def measure(kind: str, side: int, repeats: int) -> str:
    """One table row, measured in this process."""
    import numpy as np
    import torch

    from pixelproof.synthetic.checkpoints import CHECKPOINT_KINDS, load_checkpoint

    torch.set_num_threads(1)
    rgb = np.random.default_rng(0).integers(0, 256, (side, side, 3), dtype=np.uint8)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"{kind}.pth"
        torch.save({"model": CHECKPOINT_KINDS.get(kind).build().state_dict()}, path)
        start = time.perf_counter()
        detector = load_checkpoint(kind, path)
        loaded = time.perf_counter() - start
        detector.probability(rgb)  # warm-up: first-call allocations
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            detector.probability(rgb)
            times.append(time.perf_counter() - start)
    median = statistics.median(times)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    per_mp = median / (side * side / 1e6)
    return f"| {kind} | {loaded:.2f} | {side} | {median:.3f} | {per_mp:.2f} | {peak_mb:.0f} |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sides", default="224,512,1024", help="image sides, comma-separated")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per size (median)")
    parser.add_argument("--kinds", default="cnndetection,npr", help="checkpoint kinds")
    parser.add_argument("--one", nargs=2, metavar=("KIND", "SIDE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(measure(args.one[0], int(args.one[1]), args.repeats))
        return
    print("| kind | load (s) | side | s / image | s / megapixel | peak memory (MB) |")
    print("|---|---:|---:|---:|---:|---:|")
    for kind in args.kinds.split(","):
        for side in args.sides.split(","):
            one = ["--one", kind, side, "--repeats", str(args.repeats)]
            command = [sys.executable, __file__, *one]
            row = subprocess.run(command, capture_output=True, text=True, check=True).stdout
            print(row.strip(), flush=True)


if __name__ == "__main__":
    main()
