"""What an ``index add`` worker spends per image: CPU seconds by image size, and memory.

Usage (from the repository root)::

    OMP_NUM_THREADS=1 PYTHONPATH=src python benchmarks/feature_cost.py

Each image of the folders (default: the shared ``debian-wallpapers`` camera photos and
``kodak24``) is decoded and its match features computed as an ``index add`` worker
does it: :func:`pixelproof.io.load_image` with the default limits (full size: indexing
asks for no reduced decode) and the file's SHA-256 ("decode" below), then
:func:`pixelproof.match.compute_features` with the options of a new index (global
descriptor, local features, PDQ). Both are timed with ``time.process_time`` in this
one process, single-threaded (``OMP_NUM_THREADS=1``; the index's constructor sets
OpenCV to one thread). The table groups the images by megapixels and gives medians:
decoding alone, decoding plus features, and decoding's share of the two; the load
average says how busy the machine was. Memory is this process's peak resident set
(``getrusage``) after the networks are loaded (features of one small made-up image)
and after the run: one worker process holding the networks and one image's features
at a time.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from pixelproof.inputs import expand_inputs
from pixelproof.io import load_image
from pixelproof.match import ProvenanceIndex, compute_features
from pixelproof.settings import Settings

PHOTOS = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "photos"
DEFAULT_FOLDERS = (PHOTOS / "debian-wallpapers", PHOTOS / "kodak24")
# Upper bounds of the megapixel bands (the last is open).
BANDS = ((1.0, "< 1 MP"), (4.0, "1-4 MP"), (12.0, "4-12 MP"), (float("inf"), ">= 12 MP"))


def peak_resident_mb() -> float:
    """This process's peak resident memory so far (``ru_maxrss`` is KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def band_of(megapixels: float) -> str:
    return next(name for upper, name in BANDS if megapixels < upper)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folders", type=Path, nargs="*", default=list(DEFAULT_FOLDERS))
    parser.add_argument("--limit", type=int, default=None, help="at most this many images")
    args = parser.parse_args()
    files = expand_inputs(str(folder) for folder in args.folders if folder.exists()).files
    files = files[: args.limit]
    if not files:
        print("no images found (the shared photos are in ../shared/data)")
        return 0
    limits = Settings().limits
    with tempfile.TemporaryDirectory() as folder:
        # The options `index add` computes for a new index (and OpenCV on one thread).
        options = ProvenanceIndex(Path(folder) / "cost.db", create=True).feature_options(
            query=False
        )
    warm_up = np.random.default_rng(0).integers(0, 256, (256, 256, 3), dtype=np.uint8)
    compute_features(warm_up, path="warm-up", sha256="0" * 64, options=options)
    after_networks = peak_resident_mb()
    load_image(files[0], limits=limits)  # the decoders' imports, outside the timing
    load_before = os.getloadavg()[0]

    decode: dict[str, list[float]] = {name: [] for _, name in BANDS}
    total: dict[str, list[float]] = {name: [] for _, name in BANDS}
    for path in files:
        started = time.process_time()
        image = load_image(path, limits=limits)
        sha256 = image.sha256  # hashed on first use; the worker hashes every file
        decoded = time.process_time()
        compute_features(image.pixels, path=path, sha256=sha256, options=options)
        done = time.process_time()
        height, width = image.pixels.shape[:2]
        band = band_of(width * height / 1e6)
        decode[band].append(decoded - started)
        total[band].append(done - started)

    print(
        f"{len(files)} images, descriptor {options.descriptor}, one thread; load average "
        f"{load_before:.1f} before, {os.getloadavg()[0]:.1f} after"
    )
    print("| size | images | median CPU-s decode | median CPU-s decode + features | decode share |")
    print("|---|---|---|---|---|")
    for _, band in BANDS:
        if total[band]:
            d, t = statistics.median(decode[band]), statistics.median(total[band])
            print(f"| {band} | {len(total[band])} | {d:.3f} | {t:.3f} | {d / t:.0%} |")
    print(
        f"peak resident memory: {after_networks:.0f} MB with the networks loaded, "
        f"{peak_resident_mb():.0f} MB after the run"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
