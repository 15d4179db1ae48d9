"""Load benchmark of the HTTP service: throughput and latency under concurrent clients.

Usage (from the repository root; loopback only, a bounded number of requests)::

    .venv/bin/python benchmarks/load_service.py --out /tmp/load-service
    .venv/bin/python benchmarks/load_service.py --index-size 1000 --levels 1,8,32,64
    .venv/bin/python benchmarks/load_service.py --synthetic-entries 100000 \
        --levels 1,8,32 --requests 48 --soak 1000 --soak-endpoints watermark/detect --repeat 2

It builds a provenance index of ``--index-size`` synthetic photos (smooth random
scenes, 384x288 JPEGs) in ``--out`` (after ``--synthetic-entries`` synthetic entries
made like ``benchmarks/scale_match.py`` makes them, so the index can hold 100k entries
without decoding 100k photos), starts ``pixelproof serve`` on a free port of
127.0.0.1 (``--workers`` processes, a queue deep enough for the largest level, no rate
limit), warms every worker up, then, for ``watermark/detect`` and ``match`` and each
number of concurrent clients, sends ``max(--requests, 2 x clients)`` requests and
reports throughput (successful requests a second), p50 / p95 / p99 latency and the
statuses seen. ``--soak N`` then sends N requests by 32 clients to each endpoint of
``--soak-endpoints``, and
``--repeat`` repeats the whole run so that memory growth between runs shows. Queries
are watermarked copies (detect) and edited copies (crop, resize, JPEG 80) of indexed
images (match). After the run it reads the resident
(RSS) and proportional (PSS, shared pages split between processes) memory of the
service and its worker processes from /proc (Linux). The clients run on the same
machine as the service, and so share its cores.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from PIL import Image

ENDPOINTS = ("watermark/detect", "match")


def scene(seed: int, width: int = 384, height: int = 288) -> Image.Image:
    """A smooth random scene: blurred coloured noise plus a few discs and bars."""
    rng = np.random.default_rng(seed)
    small = rng.integers(0, 256, size=(height // 32 + 1, width // 32 + 1, 3), dtype=np.uint8)
    base = Image.fromarray(small).resize((width, height), Image.Resampling.BICUBIC)
    pixels = np.asarray(base, dtype=np.float32)
    yy, xx = np.mgrid[0:height, 0:width]
    for _ in range(6):
        cy, cx, r = rng.uniform(0, height), rng.uniform(0, width), rng.uniform(10, 60)
        disc = (yy - cy) ** 2 + (xx - cx) ** 2 < r * r
        pixels[disc] = rng.uniform(0, 255, size=3)
    for _ in range(3):
        x0, w = int(rng.uniform(0, width - 20)), int(rng.uniform(4, 20))
        pixels[:, x0 : x0 + w] = 0.5 * pixels[:, x0 : x0 + w] + 0.5 * rng.uniform(0, 255, 3)
    pixels += rng.normal(0, 4, size=pixels.shape)
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))


def jpeg(image: Image.Image, quality: int = 90) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=quality)
    return buffer.getvalue()


def edited_copy(image: Image.Image, seed: int) -> bytes:
    rng = np.random.default_rng(seed)
    w, h = image.size
    left, top = int(rng.uniform(0, 0.15) * w), int(rng.uniform(0, 0.15) * h)
    cropped = image.crop((left, top, left + int(0.8 * w), top + int(0.8 * h)))
    return jpeg(cropped.resize((300, 225), Image.Resampling.BILINEAR), quality=80)


def build_index(
    folder: Path, size: int, workers: int, synthetic_entries: int
) -> tuple[Path, list[Image.Image]]:
    from pixelproof.match import ProvenanceIndex
    from pixelproof.tasks.match import add_paths

    images_dir = folder / "references"
    images_dir.mkdir(parents=True, exist_ok=True)
    scenes = []
    for i in range(size):
        image = scene(i)
        scenes.append(image)
        (images_dir / f"ref-{i:05d}.jpg").write_bytes(jpeg(image))
    db = folder / "index.db"
    if synthetic_entries:
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        from scale_match import fill

        filled = fill(db, synthetic_entries)
        print(f"index: {synthetic_entries} synthetic entries, {filled['ann']}", file=sys.stderr)
    started = time.perf_counter()
    with ProvenanceIndex(db, create=not synthetic_entries) as index:
        rows = list(add_paths(index, [str(images_dir)], workers=workers))
    failed = [r for r in rows if not r.ok]
    print(
        f"index: {len(rows) - len(failed)} images in {time.perf_counter() - started:.0f} s"
        f" ({len(failed)} failed)",
        file=sys.stderr,
    )
    return db, scenes


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def start_service(folder: Path, db: Path, workers: int, queue: int) -> tuple[Any, str]:
    port = free_port()
    command = [
        sys.executable, "-m", "pixelproof", "serve",
        "--host", "127.0.0.1", "--port", str(port), "--db", str(db),
        "--data-dir", str(folder / "service"), "--workers", str(workers),
        "--queue", str(queue), "--rate", "0", "--timeout", "300",
    ]  # fmt: skip
    log = (folder / "service.log").open("wb")
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the service exited; see {folder / 'service.log'}")
        try:
            if httpx.get(base + "/v1/health", timeout=2).status_code == 200:
                return process, base
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    process.kill()
    raise SystemExit("the service did not start within 120 s")


async def load(
    base: str, endpoint: str, bodies: list[bytes], clients: int, total: int
) -> dict[str, Any]:
    """``total`` requests by ``clients`` concurrent clients; latencies of the successes."""
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    taken = 0

    async def client(http: httpx.AsyncClient) -> None:
        nonlocal taken
        while taken < total:
            number = taken
            taken += 1
            body = bodies[number % len(bodies)]
            started = time.perf_counter()
            response = await http.post(
                f"{base}/v1/{endpoint}", files={"file": (f"q{number}.jpg", body, "image/jpeg")}
            )
            elapsed = time.perf_counter() - started
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
            if response.status_code == 200:
                latencies.append(elapsed)

    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(timeout=600, limits=limits) as http:
        started = time.perf_counter()
        await asyncio.gather(*(client(http) for _ in range(clients)))
        wall = time.perf_counter() - started
    ms = np.array(latencies) * 1000.0 if latencies else np.array([np.nan])
    return {
        "endpoint": endpoint,
        "clients": clients,
        "requests": total,
        "ok": len(latencies),
        "statuses": statuses,
        "wall_s": round(wall, 2),
        "throughput_rps": round(len(latencies) / wall, 2),
        "p50_ms": round(float(np.percentile(ms, 50)), 1),
        "p95_ms": round(float(np.percentile(ms, 95)), 1),
        "p99_ms": round(float(np.percentile(ms, 99)), 1),
    }


def process_tree(pid: int) -> list[int]:
    found = [pid]
    for task in Path(f"/proc/{pid}/task").glob("*"):
        children = (task / "children").read_text().split()
        for child in children:
            found.extend(process_tree(int(child)))
    return found


def memory(pid: int) -> dict[str, Any]:
    """RSS and PSS (MiB) of the service process and each of its workers."""
    parts = []
    for member in process_tree(pid):
        fields: dict[str, float] = {}
        rollup = Path(f"/proc/{member}/smaps_rollup")
        for line in rollup.read_text().splitlines():
            name, _, value = line.partition(":")
            if name in ("Rss", "Pss"):
                fields[name.lower()] = int(value.split()[0]) / 1024
        parts.append(
            {"pid": member, "rss_mib": round(fields["rss"]), "pss_mib": round(fields["pss"])}
        )
    return {
        "processes": len(parts),
        "service_rss_mib": parts[0]["rss_mib"],
        "rss_mib_sum": round(sum(p["rss_mib"] for p in parts)),
        "pss_mib_sum": round(sum(p["pss_mib"] for p in parts)),
        "each": parts,
    }


def print_table(results: list[dict[str, Any]]) -> None:
    print("| run | endpoint | clients | requests | ok | 5xx | req/s | p50 ms | p95 ms | p99 ms |")
    print("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in results:
        errors = sum(n for status, n in r["statuses"].items() if int(status) >= 500)
        print(
            f"| {r['run']} | {r['endpoint']} | {r['clients']} | {r['requests']} | {r['ok']} | "
            f"{errors} | {r['throughput_rps']} | {r['p50_ms']} | {r['p95_ms']} | {r['p99_ms']} |"
        )


def one_run(
    base: str,
    bodies: dict[str, list[bytes]],
    levels: list[int],
    requests: int,
    soak: int,
    soaked: list[str],
) -> list[dict[str, Any]]:
    """Every endpoint at every level, then the soak (``soak`` requests by 32 clients)."""
    results = []
    for endpoint in ENDPOINTS:
        plan = [(clients, max(requests, 2 * clients)) for clients in levels]
        if soak and endpoint in soaked:
            plan.append((32, soak))
        for clients, total in plan:
            result = asyncio.run(load(base, endpoint, bodies[endpoint], clients, total))
            results.append(result)
            print(json.dumps(result), file=sys.stderr)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--out", type=Path, default=None, help="Working folder (default: a temp one)."
    )
    parser.add_argument("--index-size", type=int, default=300)
    parser.add_argument(
        "--synthetic-entries", type=int, default=0, help="Synthetic index entries added first."
    )
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--levels", default="1,8,32", help="Concurrent clients, comma-separated.")
    parser.add_argument(
        "--requests", type=int, default=48, help="Requests per level (at least 2 x clients)."
    )
    parser.add_argument("--soak", type=int, default=0, help="Requests by 32 clients after.")
    parser.add_argument(
        "--soak-endpoints", default=",".join(ENDPOINTS), help="Endpoints soaked, comma-separated."
    )
    parser.add_argument("--repeat", type=int, default=1, help="Whole runs, memory after each.")
    args = parser.parse_args()
    levels = [int(x) for x in args.levels.split(",")]
    folder = args.out or Path(tempfile.mkdtemp(prefix="pixelproof-load-"))
    folder.mkdir(parents=True, exist_ok=True)

    db, scenes = build_index(folder, args.index_size, args.workers, args.synthetic_entries)
    process, base = start_service(folder, db, args.workers, queue=max([*levels, 32]) + 8)
    try:
        marked = []
        for i in range(4):
            row = httpx.post(
                f"{base}/v1/watermark/embed?message={i:08x}&format=jpeg&quality=92",
                files={"file": ("ref.jpg", jpeg(scenes[i]))},
                timeout=120,
            ).json()
            marked.append(httpx.get(base + row["output"], timeout=60).content)
        queries = [edited_copy(scenes[(7 * i) % len(scenes)], i) for i in range(8)]
        bodies = {"watermark/detect": marked, "match": queries}
        for endpoint in ENDPOINTS:  # warm every worker up (models load on first use)
            asyncio.run(load(base, endpoint, bodies[endpoint], args.workers, 2 * args.workers))
        results: list[dict[str, Any]] = []
        used = []
        for run in range(1, args.repeat + 1):
            soaked = args.soak_endpoints.split(",")
            for result in one_run(base, bodies, levels, args.requests, args.soak, soaked):
                results.append({"run": run, **result})
            used.append(memory(process.pid))
        health = httpx.get(base + "/v1/health", timeout=10).json()
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()

    summary = {
        "index_images": health["index_images"],
        "workers": args.workers,
        "cpus": os.cpu_count(),
        "results": results,
        "memory": used,
    }
    (folder / "load_service.json").write_text(json.dumps(summary, indent=1) + "\n")
    print(
        f"\nindex {health['index_images']} images, {args.workers} workers, {os.cpu_count()} CPUs\n"
    )
    print_table(results)
    for run, after in enumerate(used, start=1):
        print(
            f"\nmemory after run {run}: service {after['service_rss_mib']} MiB RSS; with its "
            f"{after['processes'] - 1} workers {after['rss_mib_sum']} MiB RSS, "
            f"{after['pss_mib_sum']} MiB PSS"
        )
    if len(used) > 1:
        growth = used[-1]["pss_mib_sum"] / used[0]["pss_mib_sum"] - 1
        print(f"memory growth (PSS) from run 1 to run {len(used)}: {100 * growth:+.1f}%")


if __name__ == "__main__":
    main()
