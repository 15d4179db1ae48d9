"""``pixelproof bench watermark``: every watermark under every attack of a suite.

For each image and system a random message (seeded by image and system) is embedded,
the marked image goes through each transformation of the suite, and the system
decodes what is left. Decoding happens on the transformed image as it is (a half-size
copy is read at half size): real copies are not scaled back for the detector.

Detection is counted at a false-positive rate of 1e-6. Systems with their own
calibrated detector (pixelproof's) use its decision. Systems without one (the
invisible-watermark baselines) are credited with a detection when the decoded bits
are within the Hamming radius whose binomial tail, for random bits, is at most 1e-6
(at most 2 wrong bits out of 32): a test that knows the expected message, which is
generous to them.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from ...batch import parallel_map
from .._suite import Suite
from ..metrics import psnr, ssim
from ._data import load_rgb, stable_seed
from ._output import BenchResult, Row, Table, curve, mean_table

TARGET_FPR = 1e-6


class WatermarkSystem(Protocol):
    """What a watermark needs to offer to be benchmarked."""

    name: str
    n_bits: int

    def embed(self, rgb: NDArray[np.uint8], bits: NDArray[np.bool_]) -> NDArray[np.uint8]: ...

    def decode(self, rgb: NDArray[np.uint8]) -> NDArray[np.bool_]: ...


def max_errors_at_fpr(n_bits: int, fpr: float = TARGET_FPR) -> int:
    """Largest Hamming radius r with P(Binomial(n, 1/2) <= r) <= fpr."""
    total, radius = 0, -1
    while radius < n_bits:
        total += math.comb(n_bits, radius + 1)
        if total / 2**n_bits > fpr:
            break
        radius += 1
    return radius


@dataclass(frozen=True)
class WatermarkBenchConfig:
    """Picklable description of a run, shared with worker processes."""

    systems: tuple[str, ...]
    suite: str
    longest_side: int
    seed: int


def run_watermark_bench(
    images: Sequence[Path],
    *,
    systems: Sequence[str],
    suite: Suite,
    suite_ref: str,
    longest_side: int = 512,
    seed: int = 0,
    workers: int = 1,
    progress: Callable[[], None] | None = None,
) -> BenchResult:
    """Run the watermark benchmark and summarize it.

    Every image is first resized, up or down, to ``longest_side``.
    """
    config = WatermarkBenchConfig(tuple(systems), suite_ref, longest_side, seed)
    rows: list[Row] = []
    tasks = [(path, config) for path in images]
    for image_rows in parallel_map(_bench_one_image, tasks, workers=workers, on_crash=_crashed):
        rows.extend(image_rows)
        if progress:
            progress()
    attacked = [row for row in rows if "bit_accuracy" in row]
    names = suite.names
    tables = [
        mean_table("Bit accuracy", "attack", attacked, names, lambda r: r["bit_accuracy"]),
        mean_table(
            f"Detection rate at FPR {TARGET_FPR:g}",
            "attack",
            attacked,
            names,
            lambda r: float(r["detected"]),
        ),
        mean_table(
            "Exact message recovered", "attack", attacked, names, lambda r: float(r["exact"])
        ),
    ]
    quality = [row for row in rows if row.get("transform") == names[0]]
    tables.append(_quality_table(quality))
    return BenchResult(
        kind="watermark",
        systems=list(systems),
        config={
            "images": [str(p) for p in images],
            "systems": list(systems),
            "suite": suite_ref,
            "longest_side": longest_side,
            "seed": seed,
            "target_fpr": TARGET_FPR,
        },
        rows=rows,
        tables=tables,
        curves={
            "bit_accuracy": curve(attacked, lambda r: r["bit_accuracy"]),
            "detection_rate": curve(attacked, lambda r: float(r["detected"])),
        },
        suite=suite,
    )


def _quality_table(rows: Sequence[Row]) -> Table:
    table = Table(title="Imperceptibility and speed", metric="measure", digits=2)
    systems = sorted({str(r["system"]) for r in rows})
    for label, key in (
        ("PSNR (dB)", "psnr"),
        ("SSIM", "ssim"),
        ("embed (ms)", "embed_ms"),
        ("decode (ms)", "decode_ms"),
    ):
        values: dict[str, float | None] = {}
        for system in systems:
            picked = [
                float(r[key]) for r in rows if r["system"] == system and r.get(key) is not None
            ]
            values[system] = sum(picked) / len(picked) if picked else None
        table.rows.append((label, values))
    return table


def create_system(name: str) -> WatermarkSystem:
    """Instantiate a watermark system by benchmark name."""
    from .systems import watermark_systems

    factories = watermark_systems()
    if name not in factories:
        raise ValueError(f"unknown watermark system {name!r} (known: {', '.join(factories)})")
    system: WatermarkSystem = factories[name]()
    return system


def _bench_one_image(task: tuple[Path, WatermarkBenchConfig]) -> list[Row]:
    from .._suite import load_suite

    path, config = task
    suite = load_suite(config.suite)
    try:
        original = load_rgb(path, longest_side=config.longest_side)
    except Exception as exc:  # an unreadable benchmark image is reported, not fatal
        return [{"image": str(path), "system": "-", "error": f"{type(exc).__name__}: {exc}"}]
    rows: list[Row] = []
    for name in config.systems:
        system = create_system(name)
        rng = np.random.default_rng(stable_seed(config.seed, path.name, name))
        bits = rng.random(system.n_bits) < 0.5
        started = time.perf_counter()
        try:
            marked = system.embed(original, bits)
        except Exception as exc:
            rows.append(_error_row(path, name, "embed", exc))
            continue
        embed_ms = (time.perf_counter() - started) * 1000.0
        quality = {"psnr": psnr(original, marked), "ssim": ssim(original, marked)}
        radius = max_errors_at_fpr(system.n_bits)
        for index, entry in enumerate(suite):
            attacked = entry.transform(marked, rng=stable_seed(config.seed, path.name, index)).image
            started = time.perf_counter()
            try:
                detected, decoded = _decode(system, attacked, bits, radius)
            except Exception as exc:
                rows.append(_error_row(path, name, entry.name, exc))
                continue
            decode_ms = (time.perf_counter() - started) * 1000.0
            correct = 0 if decoded is None else int(np.count_nonzero(decoded == bits))
            rows.append(
                {
                    "image": path.name,
                    "system": name,
                    "transform": entry.name,
                    "family": entry.family,
                    "intensity": entry.intensity,
                    "height": attacked.shape[0],
                    "width": attacked.shape[1],
                    "bit_accuracy": correct / system.n_bits,
                    "exact": correct == system.n_bits,
                    "detected": detected,
                    "embed_ms": round(embed_ms, 2),
                    "decode_ms": round(decode_ms, 2),
                    **{k: round(v, 4) for k, v in quality.items()},
                }
            )
    return rows


def _decode(
    system: WatermarkSystem, attacked: NDArray[np.uint8], bits: NDArray[np.bool_], radius: int
) -> tuple[bool, NDArray[np.bool_] | None]:
    detect = getattr(system, "detect", None)
    if callable(detect):
        detected, decoded = detect(attacked)
        return bool(detected), decoded
    decoded = system.decode(attacked)
    errors = int(np.count_nonzero(decoded != bits))
    return errors <= radius, decoded


def _error_row(path: Path, system: str, stage: str, exc: Exception) -> Row:
    return {
        "image": path.name,
        "system": system,
        "transform": stage,
        "error": f"{type(exc).__name__}: {exc}",
    }


def _crashed(task: tuple[Path, WatermarkBenchConfig], error_type: str, message: str) -> list[Row]:
    return [{"image": task[0].name, "system": "-", "error": message}]
