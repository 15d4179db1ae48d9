"""Where the time and memory of a scan go: every analysis at 1, 12 and 24 megapixels.

Usage (from the repository root)::

    .venv/bin/python benchmarks/throughput.py                 # 1, 12, 24 MP
    .venv/bin/python benchmarks/throughput.py --sizes 1,12 --only scan,tampering,dq

Test images are camera-like JPEGs: the largest photo of ``../shared/data/photos/debian-
wallpapers`` (a 5640x3172 camera JPEG) resized to each size and saved twice (quality 95,
then 90, 4:2:0), so the double-compression analyses do all their work (a smooth
synthetic scene without the shared data). Every measurement runs in a fresh process
pinned to one core (``OMP_NUM_THREADS=1``): the process loads the image (the runner's
loader), warms the analysis up on a small image (networks are built on first use, a
start-up cost), then times one run. ``peak MiB`` is that process's peak resident memory,
loading included, which is what a worker needs. Rows: ``load`` (decode and integrity
checks alone), each scan analyzer on its own (each forensic analysis is one;
``tampering`` runs them all and fuses them; large images follow the forensics resolution
policy), and ``scan`` (every analyzer, sharing work, as the command runs them).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
WALLPAPERS = REPO.parent / "shared" / "data" / "photos" / "debian-wallpapers"

_CHILD = r"""
import json, os, resource, sys, time
os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
import numpy as np
from PIL import Image
from pixelproof.evidence import SharedWork, create_analyzers
from pixelproof.io import load_image
from pixelproof.settings import Settings

path, small, item = sys.argv[1], sys.argv[2], sys.argv[3]
settings = Settings()

def runner(name):
    if name == "load":
        return lambda image: None
    if name == "scan":
        analyzers = create_analyzers(settings=settings)
        def scan(image):
            shared = SharedWork()
            for analyzer in analyzers:
                analyzer.analyze(image, shared)
        return scan
    [analyzer] = create_analyzers(settings=settings, only=(name,))
    return lambda image: analyzer.analyze(image, SharedWork())

run = runner(item)
run(load_image(small))
started = time.perf_counter()
image = load_image(path)
loaded = time.perf_counter()
run(image)
done = time.perf_counter()
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
seconds = (done - started) if item == "load" else (done - loaded)
print(json.dumps({"seconds": seconds, "peak_mib": peak}))
"""


def make_image(folder: Path, megapixels: float) -> Path:
    """A camera-like JPEG of about ``megapixels`` (4:3), from a shared photo if present."""
    import numpy as np
    from PIL import Image

    width = round((megapixels * 1e6 * 4 / 3) ** 0.5)
    height = round(width * 3 / 4)
    photos = sorted(WALLPAPERS.rglob("*.jp*g"), key=lambda p: p.stat().st_size)
    if photos:
        with Image.open(photos[-1]) as source:
            base = source.convert("RGB")
    else:
        rng = np.random.default_rng(0)
        small = rng.integers(0, 256, size=(48, 64, 3), dtype=np.uint8)
        base = Image.fromarray(small).resize((1024, 768), Image.Resampling.BICUBIC)
    image = base.resize((width, height), Image.Resampling.LANCZOS)
    first = folder / f"{megapixels:g}mp-first.jpg"
    image.save(first, quality=95, subsampling=2)
    path = folder / f"{megapixels:g}mp.jpg"
    with Image.open(first) as saved:  # saved twice, so the JPEG analyses do all their work
        saved.save(path, quality=90, subsampling=2)
    return path


def items(only: list[str] | None) -> list[str]:
    from pixelproof.evidence import create_analyzers

    names = ["load", *(a.name for a in create_analyzers()), "scan"]
    return [n for n in names if only is None or n in only]


def measure(path: Path, small: Path, item: str) -> dict[str, float]:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(REPO / "src")}
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, str(path), str(small), item],
        capture_output=True,
        text=True,
        env=env,
        timeout=1800,
    )
    if done.returncode != 0:
        return {"error": done.stderr.strip().splitlines()[-1] if done.stderr else "failed"}
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1,12,24", help="Megapixels, comma-separated.")
    parser.add_argument("--only", default=None, help="Rows to measure, comma-separated.")
    parser.add_argument("--out", type=Path, default=None, help="Write results.json here.")
    args = parser.parse_args()
    sizes = [float(s) for s in args.sizes.split(",")]
    only = args.only.split(",") if args.only else None
    with tempfile.TemporaryDirectory(prefix="pixelproof-throughput-") as temporary:
        folder = Path(temporary)
        small = make_image(folder, 0.07)
        images = {size: make_image(folder, size) for size in sizes}
        table: dict[str, dict[float, dict[str, float]]] = {}
        for item in items(only):
            table[item] = {}
            for size, path in images.items():
                table[item][size] = measure(path, small, item)
                print(item, size, table[item][size], file=sys.stderr, flush=True)
    header = " | ".join(f"{s:g} MP s | {s:g} MP peak MiB" for s in sizes)
    print(f"| analysis | {header} |")
    print("|---|" + "---:|---:|" * len(sizes))
    for item, by_size in table.items():
        cells = []
        for size in sizes:
            found = by_size[size]
            if "error" in found:
                cells += ["error", "-"]
            else:
                cells += [f"{found['seconds']:.2f}", f"{found['peak_mib']:.0f}"]
        print(f"| {item} | " + " | ".join(cells) + " |")
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        serial = {k: {f"{s:g}": v for s, v in d.items()} for k, d in table.items()}
        (args.out / "results.json").write_text(json.dumps(serial, indent=1) + "\n")


if __name__ == "__main__":
    main()
