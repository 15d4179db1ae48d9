"""Where the time and memory of a scan go: every analysis at 1, 12 and 24 megapixels.

Usage (from the repository root)::

    .venv/bin/python benchmarks/throughput.py                 # 1, 12, 24 MP
    .venv/bin/python benchmarks/throughput.py --sizes 1,12 --only scan,tampering,dq
    .venv/bin/python benchmarks/throughput.py --acceptance    # the speed targets' table

``--acceptance`` prints the targets of the speed issue with what this machine measures:
the default-profile scan of a 12- and a 24-megapixel camera-like JPEG on one core (best
of ``--repeat`` fresh processes; peak memory of the 24-megapixel one), and the fast
profile's rate on 2 workers over ``--images`` 12-megapixel JPEGs (made from the largest
shared photos; the rate counts the rows after each worker's first, so worker start-up
is left out, and the end-to-end rate is given beside it). On a busy machine wall times
grow with the other load: the scans' CPU time and the fast workers' CPU time per image
(with the rate 2 idle cores would give) are printed beside them.

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
policy), ``scan`` (every analyzer, sharing work, as the command runs them) and ``fast``
(the fast profile's scan, its reduced JPEG decoding included in the time).
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
PHOTOS = REPO.parent / "shared" / "data" / "photos"
WALLPAPERS = PHOTOS / "debian-wallpapers"

_CHILD = r"""
import json, os, resource, sys, time
os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
from pixelproof.evidence import SharedWork, create_analyzers
from pixelproof.io import load_image
from pixelproof.settings import Settings
from pixelproof.tasks.scan import FAST_DECODE_PIXELS, left_out

path, small, item = sys.argv[1], sys.argv[2], sys.argv[3]
settings = Settings(profile="fast" if item == "fast" else "default")
reduce_to = FAST_DECODE_PIXELS if item == "fast" else None

def runner(name):
    if name == "load":
        return lambda image: None
    if name in ("scan", "fast"):
        analyzers = create_analyzers(settings=settings)
        skipped = left_out(analyzers, settings.profile)
        analyzers = [a for a in analyzers if a.name not in skipped]
        def scan(image):
            shared = SharedWork()
            for analyzer in analyzers:
                analyzer.analyze(image, shared)
        return scan
    [analyzer] = create_analyzers(settings=settings, only=(name,))
    return lambda image: analyzer.analyze(image, SharedWork())

run = runner(item)
run(load_image(small, reduce_to=reduce_to))
started, cpu_started = time.perf_counter(), time.process_time()
image = load_image(path, reduce_to=reduce_to)
loaded, cpu_loaded = time.perf_counter(), time.process_time()
run(image)
done, cpu_done = time.perf_counter(), time.process_time()
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
whole = item in ("load", "fast")
seconds = (done - started) if whole else (done - loaded)
cpu = (cpu_done - cpu_started) if whole else (cpu_done - cpu_loaded)
print(json.dumps({"seconds": seconds, "cpu_seconds": cpu, "peak_mib": peak}))
"""


def make_image(folder: Path, megapixels: float, source: Path | None = None) -> Path:
    """A camera-like JPEG of about ``megapixels`` (4:3), from ``source`` (by default the
    largest shared wallpaper) if present, else a smooth synthetic scene."""
    import numpy as np
    from PIL import Image

    width = round((megapixels * 1e6 * 4 / 3) ** 0.5)
    height = round(width * 3 / 4)
    if source is None:
        photos = sorted(WALLPAPERS.rglob("*.jp*g"), key=lambda p: p.stat().st_size)
        source = photos[-1] if photos else None
    if source is not None:
        with Image.open(source) as opened:
            base = opened.convert("RGB")
    else:
        rng = np.random.default_rng(0)
        small = rng.integers(0, 256, size=(48, 64, 3), dtype=np.uint8)
        base = Image.fromarray(small).resize((1024, 768), Image.Resampling.BICUBIC)
    image = base.resize((width, height), Image.Resampling.LANCZOS)
    stem = f"{megapixels:g}mp" + (f"-{source.stem}" if source is not None else "")
    first = folder / f"{stem}-first.jpg"
    image.save(first, quality=95, subsampling=2)
    path = folder / f"{stem}.jpg"
    with Image.open(first) as saved:  # saved twice, so the JPEG analyses do all their work
        saved.save(path, quality=90, subsampling=2)
    first.unlink()
    return path


def items(only: list[str] | None) -> list[str]:
    from pixelproof.evidence import create_analyzers

    names = ["load", *(a.name for a in create_analyzers()), "scan", "fast"]
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


_FAST_CHILD = r"""
import json, resource, sys, time
from pixelproof.runner import run
from pixelproof.settings import Settings
from pixelproof.tasks.scan import ScanTask

files = sys.argv[2:]
started = time.perf_counter()
stamps = []
for row in run(ScanTask(), files, settings=Settings(profile="fast"), workers=int(sys.argv[1])):
    assert row.ok, row.error
    stamps.append(time.perf_counter())
workers = resource.getrusage(resource.RUSAGE_CHILDREN)
cpu = workers.ru_utime + workers.ru_stime
print(json.dumps({"started": started, "stamps": stamps, "worker_cpu": cpu}))
"""


def fast_rate(folder: Path, count: int, workers: int = 2) -> dict[str, float]:
    """Images per second of ``scan --profile fast`` on ``workers`` over ``count``
    12-megapixel JPEGs made from the largest shared photos (cycled)."""
    from PIL import Image

    photos = [p for p in PHOTOS.rglob("*") if p.suffix.lower() in (".jpg", ".jpeg")]
    largest = sorted(photos, key=_pixel_count, reverse=True)[:8] or [None]
    made = [make_image(folder, 12, source) for source in largest]
    files = []
    for index in range(count):
        target = folder / f"fast-{index:03d}.jpg"
        os.link(made[index % len(made)], target)  # one file's bytes, many names
        files.append(str(target))
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(REPO / "src")}
    done = subprocess.run(
        [sys.executable, "-c", _FAST_CHILD, str(workers), *files],
        capture_output=True,
        text=True,
        env=env,
        timeout=1800,
    )
    if done.returncode != 0:
        raise RuntimeError(done.stderr.strip()[-2000:])
    found = json.loads(done.stdout.strip().splitlines()[-1])
    stamps = found["stamps"]
    with Image.open(files[0]) as first:
        size = first.size
    # rows come back in input order; by the row after the workers' count, every worker
    # has finished its first image (start-up, first network use)
    steady = (len(stamps) - workers) / (stamps[-1] - stamps[workers - 1])
    return {
        "steady": steady,
        "end_to_end": len(stamps) / (stamps[-1] - found["started"]),
        # the workers' CPU time per image, start-up included: what 2 idle cores allow
        "cpu_per_image": found["worker_cpu"] / len(stamps),
        "images": len(stamps),
        "distinct": len(made),
        "size": f"{size[0]}x{size[1]}",
    }


def _pixel_count(path: Path) -> int:
    from PIL import Image

    try:
        with Image.open(path) as opened:
            return int(opened.size[0] * opened.size[1])
    except OSError:
        return 0


def workers_rate(rate: dict[str, float], workers: int = 2) -> float:
    """Images per second that ``workers`` busy cores give at the measured CPU cost."""
    return workers / rate["cpu_per_image"]


def acceptance(repeat: int, images: int) -> None:
    """Print the speed issue's acceptance table."""
    with tempfile.TemporaryDirectory(prefix="pixelproof-acceptance-") as temporary:
        folder = Path(temporary)
        small = make_image(folder, 0.07)
        scans = {}
        for size in (12.0, 24.0):
            path = make_image(folder, size)
            runs = [measure(path, small, "scan") for _ in range(repeat)]
            good = [r for r in runs if "error" not in r]
            if not good:
                raise RuntimeError(f"scan of {size:g} MP failed: {runs[0]['error']}")
            scans[size] = {
                "seconds": min(r["seconds"] for r in good),
                "cpu_seconds": min(r["cpu_seconds"] for r in good),
                "peak_mib": max(r["peak_mib"] for r in good),
            }
            print(size, runs, file=sys.stderr, flush=True)
        rate = fast_rate(folder, images)
        print(rate, file=sys.stderr, flush=True)
    load = os.getloadavg()

    def scan_time(size: float) -> str:
        found = scans[size]
        return f"{found['seconds']:.2f} s (CPU {found['cpu_seconds']:.2f} s)"

    rows = [
        (
            "default profile, 12 MP camera JPEG, one core",
            "<= 2 s",
            scan_time(12.0),
        ),
        (
            "default profile, 24 MP camera JPEG, one core",
            "<= 4 s",
            scan_time(24.0),
        ),
        (
            "default profile, 24 MP peak memory",
            "<= 1 GB",
            f"{scans[24.0]['peak_mib']:.0f} MiB ({scans[24.0]['peak_mib'] * 2**20 / 1e9:.2f} GB)",
        ),
        (
            f"fast profile, 2 workers, {rate['size']} JPEGs",
            ">= 10 images/s",
            f"{rate['steady']:.1f} images/s ({rate['end_to_end']:.1f} end to end, "
            f"{rate['images']:.0f} images; worker CPU {rate['cpu_per_image']:.3f} s/image, "
            f"{workers_rate(rate):.1f} images/s on 2 idle cores)",
        ),
    ]
    print(f"load average (1 min) at the end: {load[0]:.2f}; scans: best of {repeat} runs")
    print("| acceptance line | target | measured |")
    print("|---|---|---|")
    for line, target, measured in rows:
        print(f"| {line} | {target} | {measured} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1,12,24", help="Megapixels, comma-separated.")
    parser.add_argument("--only", default=None, help="Rows to measure, comma-separated.")
    parser.add_argument("--out", type=Path, default=None, help="Write results.json here.")
    parser.add_argument(
        "--acceptance", action="store_true", help="Print the speed targets' table only."
    )
    parser.add_argument(
        "--cpu", action="store_true", help="Print CPU seconds instead of wall time (busy hosts)."
    )
    parser.add_argument("--repeat", type=int, default=3, help="With --acceptance: runs per scan.")
    parser.add_argument(
        "--images", type=int, default=200, help="With --acceptance: images for the fast rate."
    )
    args = parser.parse_args()
    if args.acceptance:
        acceptance(args.repeat, args.images)
        return
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
    clock = "cpu_seconds" if args.cpu else "seconds"
    unit = "CPU s" if args.cpu else "s"
    header = " | ".join(f"{s:g} MP {unit} | {s:g} MP peak MiB" for s in sizes)
    print(f"| analysis | {header} |")
    print("|---|" + "---:|---:|" * len(sizes))
    for item, by_size in table.items():
        cells = []
        for size in sizes:
            found = by_size[size]
            if "error" in found:
                cells += ["error", "-"]
            else:
                cells += [f"{found[clock]:.2f}", f"{found['peak_mib']:.0f}"]
        print(f"| {item} | " + " | ".join(cells) + " |")
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        serial = {k: {f"{s:g}": v for s, v in d.items()} for k, d in table.items()}
        (args.out / "results.json").write_text(json.dumps(serial, indent=1) + "\n")


if __name__ == "__main__":
    main()
