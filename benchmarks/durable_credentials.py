"""Durable Content Credentials: recovery after stripping and attacks, and wrong recoveries.

    python benchmarks/durable_credentials.py --workers 2 [--positives 24] [--negatives 35]
        [--max-side 512] [--rows rows.jsonl]
    python benchmarks/durable_credentials.py --report-only rows.jsonl

``--rows`` appends every trial to a JSON Lines file as it completes, so a run cut short
can still be summarised (``--report-only``); the table then says how many trials ran.

Photos come from ../shared/data/photos (read in place, never copied), in three
disjoint sets:

- **signed** (``--positives``, default 24): kodak24, then bsds-cbsd68; each is
  shrunk to at most ``--max-side`` pixels (default 512), signed with
  ``sign_durable`` into repository A (JPEG q95, a throwaway test certificate); the
  signed file's pixels alone are kept (all metadata stripped) and attacked with every
  entry of the ``watermark`` suite of ``pixelproof.bench`` plus ``crop50`` (centre
  crop to 50 % of the area), ``screenshot`` (a phone-app frame around the image at
  90 % width, the capture shrunk to 60 %) and ``recompress`` (resized to 80 %, JPEG
  80, then JPEG 70). Each attacked copy is saved as a PNG without metadata and
  recovered against A: right when the recovered manifest is the one signed for that
  photo.
- **other repository** (``--negatives``, default 35, the next bsds-cbsd68 photos):
  signed the same way, *with the same watermark key*, into repository B, then
  stripped, attacked (every attack above) and recovered against A. Any recovery is
  wrong. This is the hardest negative: their marks are read, with identifiers A does
  not hold.
- **unsigned** (``--negatives``, default 35: set5-set14, debian-wallpapers, then
  exif-samples): never signed anywhere, attacked the same way and recovered against
  A. Any recovery is wrong.

Printed (Markdown): per attack, the share of signed photos whose own manifest was
recovered, how (watermark / fingerprint / both), wrong recoveries; then the negative
trials with their wrong recoveries, the largest fingerprint score among them and the
smallest watermark p-value of a mark found in the other repository's photos. No
threshold is fitted here: recovery uses the constants of pixelproof.credentials.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
import tempfile
import time
from collections import Counter, defaultdict
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from pixelproof.bench import Compose, load_suite
from pixelproof.credentials import (
    ManifestRepository,
    make_test_signer,
    open_readonly,
    recover,
    sign_durable,
)
from pixelproof.io import load_image

PHOTOS = Path(__file__).resolve().parents[2] / "shared" / "data" / "photos"
KEY = "durable-credentials-benchmark-key"
EXTRA_ATTACKS = {
    "crop50": "crop:area=0.5",
    "screenshot": "screenshot:scale=0.9,downscale=0.6",
    "recompress": "resize:scale=0.8|jpeg:q=80|jpeg:q=70",
}


def listing(folder: str, pattern: str = "*") -> list[Path]:
    return sorted(
        p
        for p in (PHOTOS / folder).rglob(pattern)
        if p.suffix.lower() in (".png", ".jpg", ".jpeg") and not {"invalid", "tests"} & set(p.parts)
    )


def photo_sets(positives: int, negatives: int) -> tuple[list[Path], list[Path], list[Path]]:
    kodak_bsds = listing("kodak24") + listing("bsds-cbsd68")
    signed = kodak_bsds[:positives]
    other = kodak_bsds[positives : positives + negatives]
    unsigned_pool = listing("set5-set14") + listing("debian-wallpapers")
    unsigned_pool += listing("exif-samples/jpg", "*.jpg")
    return signed, other, unsigned_pool[:negatives]


def shrunk_png(path: Path, max_side: int) -> bytes:
    """The photo at most ``max_side`` pixels a side, as a PNG (the image to publish)."""
    picture = load_image(path).to_pil().convert("RGB")
    picture.thumbnail((max_side, max_side))
    buffer = io.BytesIO()
    picture.save(buffer, "PNG")
    return buffer.getvalue()


def attacks() -> dict[str, Compose]:
    chosen = {entry.name: entry.transform for entry in load_suite("watermark")}
    chosen.update({name: Compose.from_spec(spec) for name, spec in EXTRA_ATTACKS.items()})
    return chosen


def stripped_attacked(data: bytes, attack: Compose, seed: int) -> bytes:
    """Only the pixels, attacked, saved as a PNG without metadata."""
    pixels: NDArray[np.uint8] = load_image(data).pixels
    out = attack(pixels, rng=seed).image
    buffer = io.BytesIO()
    Image.fromarray(out, "RGB").save(buffer, "PNG")
    return buffer.getvalue()


def sign_all(
    paths: list[Path], folder: Path, certs: Path, max_side: int
) -> dict[str, tuple[bytes, str]]:
    """Sign each photo into the repository ``folder``: name -> (signed file, manifest id)."""
    identity = make_test_signer(certs)
    signed: dict[str, tuple[bytes, str]] = {}
    with ManifestRepository(folder, create=True) as repository:
        for path in paths:
            source = load_image(shrunk_png(path, max_side))
            result = sign_durable(
                source, repository, identity, watermark_key=KEY, title=path.name, fmt="JPEG"
            )
            signed[str(path)] = (result.data, result.manifest_id)
    return signed


def trial(job: tuple[str, str, str, bytes, str, int, str]) -> dict[str, Any]:
    """Recover one attacked copy against the repository."""
    kind, name, attack_name, data, spec, seed, repo = job
    attacked = stripped_attacked(data, Compose.from_spec(spec), seed)
    started = time.perf_counter()
    found = recover(load_image(attacked), open_readonly(repo), watermark_key=KEY)
    elapsed = time.perf_counter() - started
    best = found.fingerprint["matches"][0]["score"] if found.fingerprint["matches"] else 0.0
    return {
        "kind": kind,
        "name": name,
        "attack": attack_name,
        "found_by": found.found_by,
        "manifest_id": found.manifest["manifest_id"] if found.manifest else None,
        "agrees": found.soft_binding_agrees,
        "p_value": found.watermark["p_value"],
        "mark_read": found.watermark["identifier"] is not None,
        "best_fingerprint": best,
        "seconds": elapsed,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--positives", type=int, default=24)
    parser.add_argument("--negatives", type=int, default=35)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--max-side", type=int, default=512)
    parser.add_argument("--rows", type=Path, help="append each trial to this JSON Lines file")
    parser.add_argument("--report-only", type=Path, help="summarise a --rows file and stop")
    args = parser.parse_args()
    if args.report_only is not None:
        lines = args.report_only.read_text().splitlines()
        kept = [json.loads(line) for line in lines if line.strip()]
        header, rows = kept[0], kept[1:]
        report(rows, header["expected"], header["attacks"], header["sign_seconds"], args)
        return
    if not PHOTOS.is_dir():
        sys.exit(f"no shared photos at {PHOTOS}")
    signed_paths, other_paths, unsigned_paths = photo_sets(args.positives, args.negatives)
    chosen = attacks()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        started = time.perf_counter()
        repo_a = sign_all(signed_paths, work / "repo-a", work / "certs-a", args.max_side)
        repo_b = sign_all(other_paths, work / "repo-b", work / "certs-b", args.max_side)
        sign_seconds = (time.perf_counter() - started) / (len(signed_paths) + len(other_paths))
        sets = (
            ("signed", {n: d for n, (d, _) in repo_a.items()}),
            ("other repository", {n: d for n, (d, _) in repo_b.items()}),
            ("unsigned", {str(p): shrunk_png(p, args.max_side) for p in unsigned_paths}),
        )
        repository = str(work / "repo-a")
        jobs = []
        for index, (attack_name, transform) in enumerate(chosen.items()):
            for kind, files in sets:
                for number, (name, data) in enumerate(files.items()):
                    seed = 1000 * index + number
                    job = (
                        kind,
                        name,
                        attack_name,
                        data,
                        transform.spec,
                        seed,
                        repository,
                    )
                    jobs.append(job)
        # A seeded shuffle: a run cut short has covered every attack and set alike.
        order = np.random.default_rng(0).permutation(len(jobs))
        jobs = [jobs[i] for i in order]
        expected = {name: manifest for name, (_, manifest) in repo_a.items()}
        sink = args.rows.open("w") if args.rows is not None else None
        if sink is not None:
            header = {"expected": expected, "attacks": list(chosen), "sign_seconds": sign_seconds}
            sink.write(json.dumps(header) + "\n")
        rows = []
        with ProcessPoolExecutor(args.workers) as pool:
            for row in pool.map(trial, jobs, chunksize=4):
                rows.append(row)
                if sink is not None:
                    sink.write(json.dumps(row) + "\n")
                    sink.flush()
                if len(rows) % 100 == 0:
                    print(f"{len(rows)}/{len(jobs)} trials", file=sys.stderr, flush=True)
    report(rows, expected, list(chosen), sign_seconds, args)


def report(
    rows: list[dict[str, Any]],
    expected: dict[str, str],
    chosen: list[str],
    sign_seconds: float,
    args: argparse.Namespace,
) -> None:
    positives = [r for r in rows if r["kind"] == "signed"]
    by_attack: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in positives:
        by_attack[row["attack"]].append(row)
    kinds = Counter(r["kind"] for r in rows)
    print(
        f"{len(expected)} signed photos x {len(chosen)} attacks; negatives: photos signed "
        f"into another repository (same key) and unsigned photos, each under every "
        f"attack. Trials run: {kinds['signed']} signed, {kinds['other repository']} other "
        f"repository, {kinds['unsigned']} unsigned. Signing took {sign_seconds:.2f} s "
        f"per photo (<= {args.max_side} px)."
    )
    print()
    print("| attack | right | by watermark | by fingerprint | by both | wrong | missed |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    right_total = wrong_total = 0
    for attack in chosen:
        group = by_attack[attack]
        if not group:
            continue
        right = [r for r in group if r["manifest_id"] == expected[r["name"]]]
        wrong = [r for r in group if r["found_by"] and r["manifest_id"] != expected[r["name"]]]
        how = Counter(r["found_by"] for r in right)
        missed = len(group) - len(right) - len(wrong)
        right_total += len(right)
        wrong_total += len(wrong)
        print(
            f"| {attack} | {len(right) / len(group):.3f} | {how['watermark']} | "
            f"{how['fingerprint']} | {how['both']} | {len(wrong)} | {missed} |"
        )
    print(
        f"| **all** | **{right_total / max(1, len(positives)):.4f}** "
        f"({right_total}/{len(positives)}) "
        f"| | | | {wrong_total} | |"
    )
    print()
    print(
        "| negative trials | trials | wrong recoveries | marks read | smallest p of a mark "
        "| largest fingerprint score |"
    )
    print("|---|---:|---:|---:|---:|---:|")
    negatives = [r for r in rows if r["kind"] != "signed"]
    for kind in ("other repository", "unsigned"):
        group = [r for r in rows if r["kind"] == kind]
        marked = [r["p_value"] for r in group if r["mark_read"]]
        print(
            f"| {kind} | {len(group)} | {sum(r['found_by'] is not None for r in group)} | "
            f"{len(marked)} | {min(marked, default=1.0):.2g} | "
            f"{max((r['best_fingerprint'] for r in group), default=0.0):.4f} |"
        )
    print(
        f"| **all** | **{len(negatives)}** | "
        f"**{sum(r['found_by'] is not None for r in negatives)}** | | | |"
    )
    seconds = sorted(r["seconds"] for r in rows) or [0.0]
    print()
    print(
        f"Recovery time per image: median {seconds[len(seconds) // 2]:.2f} s, "
        f"95th percentile {seconds[int(0.95 * (len(seconds) - 1))]:.2f} s "
        "(worker processes on a shared, heavily loaded machine)."
    )


if __name__ == "__main__":
    main()
