"""Scale-out with Ray: ``index add`` throughput per worker, and a large index built from shards.

Part 1, throughput: ``index add`` of the same photos through ``--engine ray`` with 1
and with 2 Ray workers (actors), and through the local engine for reference, on a
local Ray (``ray.init(num_cpus=2)``). Images/s counts the whole call (shards, the
driver writing the index, the FAISS snapshot); Ray's own start is excluded (once per
session) but each run's actor start is included.

Part 2, a large index from shards: Ray tasks write shards of synthetic descriptors
(256-d, unit length, clustered like image descriptors: 10,000 centres, noise around
each), the driver trains the compressed structure (``auto``: IVF-PQ) on a sample of
131,072 vectors drawn from all shards and adds the shards one by one, as ``index add
--engine ray`` does with real descriptors (:meth:`AnnIndex.trained`, :meth:`AnnIndex.add`),
then writes the FAISS file as the index's snapshot.
Queries are edited copies (a database vector plus noise, cosine about 0.85 to it);
recall@1 is against exact search over the same vectors, raw and after re-ranking the
top 32 with the exact vectors (what :mod:`pixelproof.match` does with the vectors it
stores); the exact neighbours come from one pass over the shards. Memory is the
driver's peak resident memory and the FAISS file's size.

Usage::

    RAY_AUTH_MODE=disabled OMP_NUM_THREADS=1 PYTHONPATH=src \\
        python benchmarks/scale_ray.py --images 48 --vectors 1000000

Needs the distributed and match extras; the photos come from ``../shared/data`` (the
throughput part is skipped without it).
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "photos"
DIM = 256
CENTRES = 10_000


def photos(count: int) -> list[str]:
    found: list[str] = []
    for folder in ("kodak24", "bsds-cbsd68", "debian-wallpapers"):
        found += sorted(str(p) for p in (DATA / folder).glob("*") if p.is_file())
    return found[:count]


def throughput(files: list[str], workers: int, engine: str) -> tuple[float, int, float]:
    """Seconds for ``index add`` of ``files``, how many were added, and the CPU seconds
    this process used (all of the work with the local engine and one worker)."""
    from pixelproof.match import ProvenanceIndex
    from pixelproof.settings import Settings
    from pixelproof.tasks.match import add_paths

    folder = tempfile.mkdtemp(prefix="pixelproof-scale-")
    try:
        started, cpu = time.perf_counter(), time.process_time()
        with ProvenanceIndex(Path(folder) / "index.db", create=True) as index:
            rows = list(
                add_paths(
                    index, files, settings=Settings(engine=engine), workers=workers, shard_size=4
                )
            )
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return elapsed, sum(r.ok and r.result.status == "added" for r in rows), cpu


def synthetic_shard(job: tuple[str, int, int, int]) -> str:
    """Write shard ``number`` of ``size`` descriptors (float16, as the index stores them)."""
    folder, number, size, seed = job
    rng = np.random.default_rng([seed, number])
    centres = np.random.default_rng(seed).standard_normal((CENTRES, DIM)).astype(np.float32)
    vectors = centres[rng.integers(0, CENTRES, size)] + 0.6 * rng.standard_normal(
        (size, DIM)
    ).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    target = os.path.join(folder, f"vectors-{number:05d}.npy")
    np.save(target, vectors.astype(np.float16))
    return target


def build_from_shards(total: int, shard_size: int, workers: int, seed: int = 0) -> dict[str, Any]:
    from pixelproof.match import TRAIN_SIZE, AnnIndex, auto_spec
    from pixelproof.runner import executor_for
    from pixelproof.settings import Settings

    folder = tempfile.mkdtemp(prefix="pixelproof-shards-")
    result: dict[str, Any] = {"vectors": total}
    try:
        executor = executor_for(Settings(engine="ray"), workers)
        started = time.perf_counter()
        jobs = [
            (folder, k, min(shard_size, total - start), seed)
            for k, start in enumerate(range(0, total, shard_size))
        ]
        shards = list(executor.map(synthetic_shard, jobs))
        result["shards_s"] = time.perf_counter() - started
        spec = auto_spec(total, DIM)
        result["spec"] = spec
        started = time.perf_counter()
        # The sample: an equal slice of every shard (memory-mapped, never all loaded).
        per_shard = max(1, TRAIN_SIZE // len(shards))
        sample = np.concatenate(
            [np.load(s, mmap_mode="r")[:per_shard].astype(np.float32) for s in shards]
        )
        result["sample"] = len(sample)
        ann = AnnIndex.trained(DIM, spec, sample)
        del sample
        result["train_s"] = time.perf_counter() - started
        started = time.perf_counter()
        offset = 0
        for shard in shards:
            vectors = np.load(shard).astype(np.float32)
            ann.add(np.arange(offset, offset + len(vectors), dtype=np.int64), vectors)
            offset += len(vectors)
        result["add_s"] = time.perf_counter() - started
        import faiss

        started = time.perf_counter()
        snapshot = os.path.join(folder, "ann.faiss")
        faiss.write_index(ann.faiss_index, snapshot)
        result["write_s"] = time.perf_counter() - started
        result["build_s"] = sum(result[k] for k in ("shards_s", "train_s", "add_s", "write_s"))
        result["index_mb"] = os.path.getsize(snapshot) / 2**20
        result["probes"] = ann.nprobe
        result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        result.update(query_quality(ann, shards, shard_size, seed))
        result["peak_rss_all_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return result


def query_quality(ann: Any, shards: list[str], shard_size: int, seed: int) -> dict[str, float]:
    """Latency of single queries and recall@1 against exact search, on 300 copies."""
    rng = np.random.default_rng(seed + 1)
    total = ann.ntotal
    picks = np.sort(rng.choice(total, 300, replace=False))
    originals = np.stack(
        [np.load(shards[i // shard_size], mmap_mode="r")[i % shard_size] for i in picks]
    ).astype(np.float32)
    queries = originals + 0.045 * rng.standard_normal(originals.shape).astype(np.float32)
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    # Exact neighbours, and every database vector the re-ranking needs, shard by shard.
    best = np.full(len(queries), -np.inf, np.float32)
    truth = np.zeros(len(queries), np.int64)
    offset = 0
    for shard in shards:
        block = np.load(shard).astype(np.float32)
        sims = queries @ block.T
        top = sims.argmax(axis=1)
        better = sims[np.arange(len(queries)), top] > best
        best[better] = sims[np.arange(len(queries)), top][better]
        truth[better] = offset + top[better]
        offset += len(block)
    latencies = []
    found = np.zeros((len(queries), 32), np.int64)
    for i, query in enumerate(queries):
        started = time.perf_counter()
        _, ids = ann.search(query[None, :], 32)
        latencies.append(time.perf_counter() - started)
        found[i] = ids[0]
    reranked = np.zeros(len(queries), np.int64)
    for i, ids in enumerate(found):
        ids = ids[ids >= 0]
        vectors = np.stack(
            [np.load(shards[j // shard_size], mmap_mode="r")[j % shard_size] for j in ids]
        ).astype(np.float32)
        reranked[i] = ids[int(np.argmax(vectors @ queries[i]))]
    return {
        "p50_ms": 1000 * float(np.percentile(latencies, 50)),
        "p95_ms": 1000 * float(np.percentile(latencies, 95)),
        "recall1": float(np.mean(found[:, 0] == truth)),
        "recall1_rerank": float(np.mean(reranked == truth)),
        "copy_found": float(np.mean(reranked == picks)),
    }


def writer_rate(count: int, batch: int = 32) -> tuple[float, float]:
    """Images/s the driver's one writer adds (features made up: one 256-d vector and 500
    SIFT keypoints each, the size real ones have), and the store's bytes per image."""
    from pixelproof.match import ImageFeatures, LocalFeatures, ProvenanceIndex

    rng = np.random.default_rng(0)
    folder = tempfile.mkdtemp(prefix="pixelproof-writer-")
    try:
        features = []
        for i in range(count):
            vector = rng.standard_normal((1, DIM)).astype(np.float32)
            local = LocalFeatures(
                rng.uniform(0, 500, (500, 2)).astype(np.float32),
                rng.integers(0, 256, (500, 128), dtype=np.uint8),
                768,
                512,
            )
            features.append(
                ImageFeatures(
                    f"img{i}.jpg",
                    f"{i:064x}",
                    768,
                    512,
                    vector,
                    None,
                    None,
                    local,
                    None,
                    bytes(32),
                    100,
                )
            )
        db = Path(folder) / "index.db"
        started = time.perf_counter()
        with ProvenanceIndex(db, create=True) as index:
            for start in range(0, count, batch):
                index.add_features(features[start : start + batch])
        elapsed = time.perf_counter() - started
        size = sum(p.stat().st_size for p in Path(folder).rglob("*") if p.is_file())
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return count / elapsed, size / count


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--images", type=int, default=48, help="photos for the throughput part")
    parser.add_argument("--vectors", type=int, default=1_000_000, help="size of the big index")
    parser.add_argument("--shard-size", type=int, default=100_000)
    parser.add_argument("--writer", type=int, default=5000, help="images for the writer rate")
    parser.add_argument("--skip-throughput", action="store_true")
    parser.add_argument("--skip-index", action="store_true")
    args = parser.parse_args()

    rate, per_image = writer_rate(args.writer)
    print(f"driver writer: {rate:.0f} images/s into SQLite, {per_image / 1024:.1f} KiB per image")

    import ray

    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        files = photos(args.images)
        if files and not args.skip_throughput:
            print(f"index add of {len(files)} photos (shared data), this machine")
            print(f"{'engine':<8} {'workers':>7} {'seconds':>8} {'images/s':>9} {'vs 1':>6}")
            for engine in ("local", "ray"):
                one = None
                for workers in (1, 2):
                    seconds, added, cpu = throughput(files, workers, engine)
                    if (engine, workers) == ("local", 1):
                        cpu_note = f"CPU per image, in one process: {cpu / added:.3f} s"
                    rate = added / seconds
                    one = one or rate
                    print(
                        f"{engine:<8} {workers:>7} {seconds:>8.1f} {rate:>9.2f} {rate / one:>6.2f}"
                    )
            print(cpu_note)
        if args.skip_index:
            return 0
        print(
            f"\nindex of {args.vectors:,} synthetic 256-d descriptors from shards of "
            f"{args.shard_size:,} (2 Ray workers write them)"
        )
        r = build_from_shards(args.vectors, args.shard_size, workers=2)
        print(f"structure          {r['spec']}")
        print(f"shards written     {r['shards_s']:.1f} s")
        print(f"train (sample)     {r['train_s']:.1f} s on {r['sample']:,} vectors")
        print(f"add shards         {r['add_s']:.1f} s")
        print(f"write FAISS file   {r['write_s']:.1f} s")
        print(f"build total        {r['build_s']:.1f} s")
        print(f"FAISS index        {r['index_mb']:.0f} MiB")
        print(f"driver peak RSS    {r['peak_rss_mb']:.0f} MiB building")
        print(f"                   {r['peak_rss_all_mb']:.0f} MiB with the exact search")
        latency = f"{r['p50_ms']:.2f} / {r['p95_ms']:.2f} ms"
        print(f"query p50 / p95    {latency} (k=32, nprobe={r['probes']})")
        print(f"recall@1 raw       {r['recall1']:.3f}")
        print(f"recall@1 re-ranked {r['recall1_rerank']:.3f}  (top 32 re-ranked exactly)")
        print(f"copy's original #1 {r['copy_found']:.3f}")
    finally:
        ray.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
