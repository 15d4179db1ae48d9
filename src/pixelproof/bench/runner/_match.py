"""``pixelproof bench match``: an Image-Similarity-Challenge-style copy-detection test.

From one folder of photos, a seeded split makes references (the index) and distractor
sources. Every reference yields edited-copy queries, and every distractor source yields
the same number of edited queries that have no reference, so a system is also judged
on how it scores images it must not match. As in the 2021 Image Similarity Challenge
(Douze et al.), predictions of all queries are pooled and ranked by score for
micro-average precision, so scores must be comparable across queries; recall@1 counts
the queries with a reference whose best prediction is right.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from .._suite import Suite, SuiteEntry
from ..metrics import micro_average_precision, recall_at_k
from ._data import load_rgb, stable_seed
from ._output import BenchResult, Row, Table, curve

TOP_K = 10


class Matcher(Protocol):
    """What a copy-detection system needs to offer to be benchmarked."""

    name: str

    def add(self, ref_id: str, rgb: NDArray[np.uint8]) -> None: ...

    def search(self, rgb: NDArray[np.uint8], k: int) -> list[tuple[str, float]]: ...


@dataclass(frozen=True)
class Query:
    """One query: which source image, which edit, and which reference it copies."""

    query_id: str
    source: Path
    entry: SuiteEntry
    reference: str | None


def build_queries(
    images: Sequence[Path],
    suite: Suite,
    *,
    seed: int = 0,
    queries_per_image: int | None = None,
) -> tuple[list[Path], list[Query]]:
    """Split ``images`` into references and distractor sources and make the queries.

    By default every image gets every edit of the suite. With ``queries_per_image``,
    edits are dealt out in suite order across the images instead, so each is still
    used about equally, by positive and distractor queries alike.
    """
    if len(images) < 2:
        raise ValueError("the match benchmark needs at least 2 images")
    order = np.random.default_rng(seed).permutation(len(images))
    shuffled = [images[i] for i in order]
    references = sorted(shuffled[: (len(shuffled) + 1) // 2])
    distractors = sorted(shuffled[(len(shuffled) + 1) // 2 :])
    entries = list(suite)
    per_image = queries_per_image or len(entries)
    queries: list[Query] = []
    for group, has_reference in ((references, True), (distractors, False)):
        for index, source in enumerate(group):
            for j in range(per_image):
                entry = entries[(index * per_image + j) % len(entries)]
                queries.append(
                    Query(
                        query_id=f"{'q' if has_reference else 'd'}{index:05d}_{j}",
                        source=source,
                        entry=entry,
                        reference=source.name if has_reference else None,
                    )
                )
    return references, queries


def run_match_bench(
    images: Sequence[Path],
    *,
    systems: Sequence[str],
    suite: Suite,
    suite_ref: str,
    max_side: int = 512,
    seed: int = 0,
    queries_per_image: int | None = None,
    progress: Callable[[], None] | None = None,
) -> BenchResult:
    """Build the query set, run every system on it and summarize."""
    references, queries = build_queries(
        images, suite, seed=seed, queries_per_image=queries_per_image
    )
    matchers = {name: create_matcher(name) for name in systems}
    for path in references:
        pixels = load_rgb(path, max_side=max_side)
        for matcher in matchers.values():
            matcher.add(path.name, pixels)
    rows: list[Row] = []
    predictions: dict[str, list[tuple[Hashable, Hashable, float]]] = {s: [] for s in systems}
    loaded: tuple[Path, NDArray[np.uint8]] | None = None
    for query in queries:  # grouped by source: decode each source image once
        if loaded is None or loaded[0] != query.source:
            loaded = (query.source, load_rgb(query.source, max_side=max_side))
        source = loaded[1]
        edited = query.entry.transform(source, rng=stable_seed(seed, query.query_id)).image
        for name, matcher in matchers.items():
            started = time.perf_counter()
            found = matcher.search(edited, TOP_K)
            elapsed = (time.perf_counter() - started) * 1000.0
            predictions[name].extend((query.query_id, ref, score) for ref, score in found)
            top_ref, top_score = found[0] if found else (None, None)
            rows.append(
                {
                    "query": query.query_id,
                    "source": query.source.name,
                    "reference": query.reference,
                    "system": name,
                    "transform": query.entry.name,
                    "family": query.entry.family,
                    "intensity": query.entry.intensity,
                    "top1": top_ref,
                    "top1_score": top_score,
                    "top1_correct": query.reference is not None and top_ref == query.reference,
                    "search_ms": round(elapsed, 2),
                }
            )
        if progress:
            progress()
    truth: dict[Hashable, Hashable | None] = {q.query_id: q.reference for q in queries}
    overall = Table(title="Copy detection", metric="measure", digits=3)
    overall.rows.append(
        ("micro-AP", {s: micro_average_precision(predictions[s], truth) for s in systems})
    )
    overall.rows.append(("recall@1", {s: recall_at_k(predictions[s], truth, 1) for s in systems}))
    overall.rows.append(
        ("recall@10", {s: recall_at_k(predictions[s], truth, TOP_K) for s in systems})
    )
    per_edit = _recall_by_transform(rows, suite, systems)
    return BenchResult(
        kind="match",
        systems=list(systems),
        config={
            "images": [str(p) for p in images],
            "references": len(references),
            "queries": len(queries),
            "distractor_queries": sum(q.reference is None for q in queries),
            "systems": list(systems),
            "suite": suite_ref,
            "max_side": max_side,
            "seed": seed,
            "top_k": TOP_K,
        },
        rows=rows,
        tables=[overall, per_edit],
        curves={
            "recall_at_1": curve(
                [r for r in rows if r["reference"] is not None],
                lambda r: float(bool(r["top1_correct"])),
            )
        },
        suite=suite,
    )


def create_matcher(name: str) -> Matcher:
    """Instantiate a copy-detection system by benchmark name."""
    from .systems import match_systems

    factories = match_systems()
    if name not in factories:
        raise ValueError(f"unknown match system {name!r} (known: {', '.join(factories)})")
    matcher: Matcher = factories[name]()
    return matcher


def _recall_by_transform(rows: Sequence[Row], suite: Suite, systems: Sequence[str]) -> Table:
    table = Table(title="Recall@1 by edit (queries with a reference)", metric="edit")
    for entry in suite:
        values: dict[str, float | None] = {}
        for system in systems:
            hits = [
                float(bool(r["top1_correct"]))
                for r in rows
                if r["system"] == system
                and r["transform"] == entry.name
                and r["reference"] is not None
            ]
            values[system] = sum(hits) / len(hits) if hits else None
        if any(v is not None for v in values.values()):
            table.rows.append((entry.name, values))
    return table
