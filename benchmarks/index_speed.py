"""Indexing throughput: ``pixelproof index add`` on a folder of photos, every tier.

Usage (from the repository root)::

    .venv/bin/python benchmarks/photo_set.py /tmp/match-photos      # the 200 photos
    .venv/bin/python benchmarks/index_speed.py /tmp/match-photos --workers 2

Runs the installed command line into a new index in a temporary folder (global
descriptor, local features, PDQ) and prints the images added, the wall time and the
images per second. The photos are read as they are (the shared photos are at most
1024 px on their longest side).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("photos", type=Path)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        command = [sys.executable, "-m", "pixelproof", "index", "add", str(args.photos)]
        command += ["--db", str(Path(folder) / "speed.db"), "--json"]
        command += ["--workers", str(args.workers)]
        started = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True)
        seconds = time.perf_counter() - started
    rows = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    added = sum(row.get("status") == "added" for row in rows)
    print(
        f"{added} of {len(rows)} images indexed in {seconds:.1f} s wall with "
        f"{args.workers} workers: {added / seconds:.1f} images/s (process start included)"
    )
    return 0 if done.returncode == 0 else done.returncode


if __name__ == "__main__":
    sys.exit(main())
