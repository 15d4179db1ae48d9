"""Scale benchmark of pixelproof's provenance index: 10k / 100k / 1M references.

Usage (from the repository root; writes only to --out)::

    .venv/bin/python benchmarks/scale_match.py --out /tmp/scale-match
    .venv/bin/python benchmarks/scale_match.py --out /tmp/s --sizes 10000,100000 --full

For each size it fills a real index (SQLite store + FAISS, the code ``pixelproof index``
runs) with synthetic 256-d descriptors shaped like EfficientNet ones (a low-rank
Gaussian mixture, L2-normalized), then measures:

* add throughput (vectors/s into SQLite) and the FAISS build time (``auto``: exact
  ``Flat`` below 200,000 vectors, IVF-PQ with 32-byte codes above);
* resident memory of a fresh reader process holding the global tier, and the size of
  the FAISS snapshot;
* global-tier query latency (FAISS search, plus the exact re-rank from SQLite for
  compressed codes), p50 / p95, for one vector and for the 21 vectors a real query
  searches (the image, its two mirror images and 18 parts);
* recall@1 and recall@10 of that search against exact search, for queries that are
  noisy copies of indexed vectors (cosine ~0.8 to their source, like edited copies).

``--full`` also times the whole pipeline (descriptor, FAISS, local verification of 12
candidates) for real photo queries on the 100k index: the real photos of
``../shared/data/photos/kodak24`` are added beside the synthetic entries, and edited
copies of them are searched.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "data"
DIM = 256


def synthetic(n: int, seed: int, *, centres: int = 2048, rank: int = 64) -> np.ndarray:
    """Unit vectors from a low-rank Gaussian mixture (a crude model of image descriptors)."""
    rng = np.random.default_rng(seed)
    basis = np.random.default_rng(12345).normal(size=(rank, DIM)).astype(np.float32)
    means = np.random.default_rng(54321).normal(size=(centres, rank)).astype(np.float32)
    out = np.empty((n, DIM), np.float32)
    for start in range(0, n, 100_000):
        m = min(100_000, n - start)
        label = rng.integers(0, centres, m)
        latent = 0.6 * means[label] + 2.0 * rng.normal(size=(m, rank)).astype(np.float32)
        x = latent @ basis + 8.0 * rng.normal(size=(m, DIM)).astype(np.float32)
        out[start : start + m] = x / np.linalg.norm(x, axis=1, keepdims=True)
    return out


def noisy_copies(x: np.ndarray, seed: int, target: float = 0.8) -> np.ndarray:
    rng = np.random.default_rng(seed)
    noise = rng.normal(size=x.shape).astype(np.float32)
    noise -= (noise * x).sum(1, keepdims=True) * x
    noise /= np.linalg.norm(noise, axis=1, keepdims=True)
    y = target * x + np.sqrt(1 - target**2) * noise
    return y / np.linalg.norm(y, axis=1, keepdims=True)


def fill(db: Path, n: int) -> dict[str, float]:
    from pixelproof.match.storage import REGIONS, AnnIndex, Store

    store = Store(db, create=True)
    blob = b"\x01" + b"\x00" * 6  # an empty local-feature record
    started = time.perf_counter()
    for start in range(0, n, 50_000):
        vectors = synthetic(min(50_000, n - start), seed=start)
        cur = store.conn.cursor()
        cur.execute("BEGIN IMMEDIATE")
        rows = []
        for offset in range(len(vectors)):
            image_id = start + offset + 1
            rows.append((image_id, f"{image_id:040x}", f"synthetic/{image_id}.jpg", 512, 512, 0.0))
        cur.executemany(
            "INSERT INTO images(id, sha256, path, width, height, added) VALUES(?,?,?,?,?,?)", rows
        )
        cur.executemany(
            "INSERT INTO vectors(id, image_id, vec) VALUES(?,?,?)",
            [
                ((start + o + 1) * REGIONS, start + o + 1, v.astype(np.float16).tobytes())
                for o, v in enumerate(vectors)
            ],
        )
        cur.executemany(
            "INSERT INTO local(image_id, data) VALUES(?,?)",
            [(start + o + 1, blob) for o in range(len(vectors))],
        )
        cur.execute("COMMIT")
    add_s = time.perf_counter() - started
    store.set_meta(
        "settings",
        json.dumps(
            {"descriptor": "effnet", "ann": "auto", "local_side": 512, "local_features": 500}
        ),
    )
    started = time.perf_counter()
    ann = AnnIndex.open(store, DIM, "auto")
    ann.save(store)
    build_s = time.perf_counter() - started
    built = ann.built_spec
    store.close()
    return {"add_s": add_s, "add_per_s": n / add_s, "build_s": build_s, "ann": built}


_READER = r"""
import json, sys, time, resource
import numpy as np
sys.path.insert(0, sys.argv[4])
from scale_match import synthetic, noisy_copies, DIM
from pixelproof.match.storage import REGIONS, AnnIndex, Store

def rss_mb():
    with open('/proc/self/status') as f:
        for line in f:
            if line.startswith('VmRSS'):
                return int(line.split()[1]) / 1024

db, n, queries = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
base = rss_mb()
store = Store(db, create=False, readonly=True)
started = time.perf_counter()
ann = AnnIndex.open(store, DIM, 'auto')
open_s = time.perf_counter() - started
after = rss_mb()
rng = np.random.default_rng(7)
picked = rng.choice(n, queries, replace=False)
chunks = range(0, n, 50000)
sources = np.concatenate(
    [synthetic(min(50000, n - s), seed=s)[[p - s for p in picked if s <= p < s + 50000]]
     for s in chunks])
truth_ids = np.concatenate(
    [[(p + 1) * REGIONS for p in picked if s <= p < s + 50000] for s in chunks])
q = noisy_copies(sources, seed=3)

def rerank(qv, ids):
    cand = [int(i) for i in ids if i >= 0]
    marks = ','.join('?' * len(cand))
    rows = store.conn.execute(f'SELECT id, vec FROM vectors WHERE id IN ({marks})', cand).fetchall()
    vecs = np.stack([np.frombuffer(r[1], np.float16) for r in rows]).astype(np.float32)
    sims = vecs @ qv
    order = np.argsort(-sims)
    return [rows[i][0] for i in order]

lat = []
hits1 = hits10 = 0
for qv, truth in zip(q, truth_ids):
    t = time.perf_counter()
    _, ids = ann.search(qv[None], 24)
    ranked = rerank(qv, ids[0]) if ann.built_spec != 'Flat' else [int(i) for i in ids[0]]
    lat.append((time.perf_counter() - t) * 1000)
    hits1 += ranked[0] == truth
    hits10 += truth in ranked[:10]
# A real query searches 21 vectors at once (image, 2 mirror images, 18 parts).
others = noisy_copies(synthetic(20 * 50, seed=11), seed=5).reshape(-1, 20, DIM)
lat21 = []
for qv, extra in zip(q[:50], others):
    batch = np.vstack([qv[None], extra]).astype(np.float32)
    t = time.perf_counter()
    _, ids = ann.search(batch, 32)
    if ann.built_spec != 'Flat':
        rerank(qv, np.unique(ids))
    lat21.append((time.perf_counter() - t) * 1000)
# exact reference for the same queries (brute force over the float16 table)
exact_hits = None
if ann.built_spec != 'Flat':
    exact_hits = 0
    best = np.full(len(q), -2.0); best_id = np.zeros(len(q), np.int64)
    last = -1
    while True:
        ids, vecs = store.vectors_after(last, limit=200000)
        if len(ids) == 0: break
        s = q @ vecs.T
        j = s.argmax(1); v = s[np.arange(len(q)), j]
        better = v > best; best[better] = v[better]; best_id[better] = ids[j[better]]
        last = int(ids[-1])
    exact_hits = int((best_id == truth_ids).sum())
print(json.dumps({
    'ann': ann.built_spec, 'open_s': open_s, 'rss_mb': after, 'rss_delta_mb': after - base,
    'p50_ms': float(np.percentile(lat, 50)), 'p95_ms': float(np.percentile(lat, 95)),
    'p50_ms_21_vectors': float(np.percentile(lat21, 50)),
    'p95_ms_21_vectors': float(np.percentile(lat21, 95)),
    'recall_at_1': hits1 / len(q), 'recall_at_10': hits10 / len(q),
    'exact_recall_at_1': None if exact_hits is None else exact_hits / len(q),
    'queries': len(q)}))
"""


def measure(db: Path, n: int, queries: int) -> dict[str, Any]:
    script = db.parent / "reader.py"
    script.write_text(_READER)
    done = subprocess.run(
        [sys.executable, str(script), str(db), str(n), str(queries), str(Path(__file__).parent)],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
    )
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def full_pipeline(db: Path, queries: int = 24) -> dict[str, Any]:
    """Whole-pipeline latency on the 100k index, with real Kodak photos added to it."""
    from pixelproof.bench.runner import load_rgb
    from pixelproof.bench.transforms import Compose
    from pixelproof.match import ProvenanceIndex

    photos = sorted((SHARED / "photos" / "kodak24").glob("*.png"))
    if not photos:
        return {"skipped": "no ../shared/data/photos/kodak24"}
    index = ProvenanceIndex(db)
    for path in photos:
        index.add(load_rgb(path, max_side=512), name=path.name)
    index.close()
    edits = ["crop:area=0.3,offset=random|jpeg:q=60", "hflip|rotate:deg=10", "paste:scale=0.6"]
    reader = ProvenanceIndex(db, readonly=True)
    reader.search(load_rgb(photos[0], max_side=512), k=5)  # warm-up (model build)
    latencies, correct = [], 0
    for i in range(queries):
        source = photos[i % len(photos)]
        edited = Compose.from_spec(edits[i % len(edits)])(
            load_rgb(source, max_side=512), rng=i
        ).image
        started = time.perf_counter()
        result = reader.search(edited, k=5)
        latencies.append((time.perf_counter() - started) * 1000)
        correct += bool(result.matches) and result.matches[0].ref == source.name
    reader.close()
    return {
        "queries": queries,
        "p50_ms": float(np.percentile(latencies, 50)),
        "p95_ms": float(np.percentile(latencies, 95)),
        "top1_correct": correct / queries,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--queries", type=int, default=500)
    parser.add_argument("--full", action="store_true", help="also time the full pipeline at 100k")
    parser.add_argument("--work", type=Path, default=None, help="folder for the index files")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    results = []
    with tempfile.TemporaryDirectory(dir=args.work) as work:
        for n in (int(s) for s in args.sizes.split(",")):
            db = Path(work) / f"scale{n}.db"
            print(f"[{n}] filling", file=sys.stderr, flush=True)
            row: dict[str, Any] = {"references": n, **fill(db, n)}
            print(f"[{n}] measuring", file=sys.stderr, flush=True)
            row.update(measure(db, n, args.queries))
            snapshot = sum(p.stat().st_size for p in Path(f"{db}-ann").glob("*.faiss"))
            row["snapshot_mb"] = snapshot / 2**20
            row["db_mb"] = db.stat().st_size / 2**20
            if args.full and n == 100_000:
                row["full_pipeline"] = full_pipeline(db)
            print(json.dumps(row), file=sys.stderr, flush=True)
            results.append(row)
            db.unlink()
    (args.out / "scale_match.json").write_text(json.dumps(results, indent=1) + "\n")
    lines = [
        "| references | structure | add (vectors/s) | build (s) | reader RSS (MB) | snapshot (MB) "
        "| p50 / p95 (ms) | 21 vectors p50 / p95 (ms) | recall@1 vs truth | exact recall@1 "
        "| recall@10 |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        exact = r["exact_recall_at_1"]
        lines.append(
            f"| {r['references']:,} | {r['ann']} | {r['add_per_s']:,.0f} | {r['build_s']:.1f} | "
            f"{r['rss_mb']:.0f} | {r['snapshot_mb']:.1f} | {r['p50_ms']:.2f} / {r['p95_ms']:.2f} | "
            f"{r['p50_ms_21_vectors']:.2f} / {r['p95_ms_21_vectors']:.2f} | "
            f"{r['recall_at_1']:.3f} | {'=' if exact is None else f'{exact:.3f}'} | "
            f"{r['recall_at_10']:.3f} |"
        )
    (args.out / "scale_match.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
