"""``pixelproof bench detect``: synthetic-image detectors under a transformation suite.

``--data`` holds one sub-folder per class: ``real/`` and ``synthetic/`` (``fake/``,
``0_real/`` and ``1_fake/`` are accepted too). Every installed analyzer of the
``synthetic`` capability (:func:`synthetic_detectors`) is scored on every image after
every transformation: pixelproof's own ``synthetic`` analyzer (with the pixel detector
the settings name: the shipped one, a trained folder or a published checkpoint), and
any a package registers through the ``pixelproof.analyzers`` entry-point group.

Format parity: several published detectors learned "PNG versus JPEG" instead of "real
versus generated". With ``parity`` every image of both classes is first re-encoded
identically (centre crop to the largest square, resize to 512x512, JPEG quality 90),
and the native and parity results are reported side by side.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from ...evidence import Analyzer, SharedWork, available_analyzers
from ...io import load_image
from ...settings import Settings
from .._suite import Suite
from ..metrics import (
    average_precision,
    balanced_accuracy,
    expected_calibration_error,
    roc_auc,
    tpr_at_fpr,
)
from ._data import list_images, stable_seed
from ._output import BenchResult, Row, Table

_CLASS_FOLDERS = {
    "real": 0,
    "0_real": 0,
    "authentic": 0,
    "synthetic": 1,
    "fake": 1,
    "1_fake": 1,
    "generated": 1,
}
PARITY_SIZE = 512
PARITY_QUALITY = 90
NO_DETECTOR = (
    "no synthetic-image analyzer is installed yet: install a package that registers one "
    "(capability 'synthetic') in the 'pixelproof.analyzers' entry-point group"
)


def synthetic_detectors(settings: Settings | None = None) -> list[Analyzer]:
    """One instance of every registered analyzer of the ``synthetic`` capability, made
    with ``settings`` (whose ``synthetic_model`` picks the pixel detector measured)."""
    return [
        cls(settings)
        for cls in available_analyzers().values()
        if getattr(cls, "capability", None) == "synthetic"
    ]


def labelled_images(folder: Path, *, limit: int | None = None) -> list[tuple[Path, int]]:
    """(path, label) pairs from the class sub-folders of ``folder``; 1 = synthetic."""
    pairs: list[tuple[Path, int]] = []
    for child in sorted(p for p in folder.iterdir() if p.is_dir()):
        label = _CLASS_FOLDERS.get(child.name.lower())
        if label is not None:
            pairs.extend((path, label) for path in list_images(child, limit=limit))
    if {label for _, label in pairs} != {0, 1}:
        raise ValueError(
            f"--data: {folder} needs a real/ and a synthetic/ sub-folder (or 0_real/ and 1_fake/)"
        )
    return pairs


def parity_encode(rgb: NDArray[np.uint8]) -> bytes:
    """Centre-crop to a square, resize to 512x512 and encode as JPEG 90."""
    height, width = rgb.shape[:2]
    side = min(height, width)
    top, left = (height - side) // 2, (width - side) // 2
    square = Image.fromarray(rgb[top : top + side, left : left + side])
    square = square.resize((PARITY_SIZE, PARITY_SIZE), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    square.save(buffer, format="JPEG", quality=PARITY_QUALITY)
    return buffer.getvalue()


def run_detect_bench(
    data: Path,
    *,
    suite: Suite,
    suite_ref: str,
    parity: bool = False,
    limit: int | None = None,
    seed: int = 0,
    analyzers: Sequence[Analyzer] | None = None,
    progress: Callable[[], None] | None = None,
) -> BenchResult:
    """Score every detector on every (transformed) image and summarize.

    ``analyzers`` defaults to :func:`synthetic_detectors`; ``ValueError`` (with
    :data:`NO_DETECTOR`) when there is none.
    """
    detectors = list(analyzers) if analyzers is not None else synthetic_detectors()
    if not detectors:
        raise ValueError(NO_DETECTOR)
    pairs = labelled_images(data, limit=limit)
    modes = ("native", "parity") if parity else ("native",)
    rows: list[Row] = []
    for path, label in pairs:
        original = load_image(path)
        for index, entry in enumerate(suite):
            for mode in modes:
                if entry.name == "none" or entry.spec == "identity":
                    data_bytes = original.data if mode == "native" else None
                    pixels = original.pixels
                else:
                    rng = stable_seed(seed, path.name, index)
                    pixels = entry.transform(original.pixels, rng=rng).image
                    data_bytes = None
                encoded = data_bytes if data_bytes is not None else _encode(pixels, mode)
                image = load_image(encoded)
                for detector in detectors:
                    evidence = detector.analyze(image, SharedWork())
                    rows.append(
                        {
                            "image": str(path),
                            "label": label,
                            "system": detector.name,
                            "mode": mode,
                            "transform": entry.name,
                            "family": entry.family,
                            "intensity": entry.intensity,
                            "score": evidence.score,
                            "verdict": evidence.label,
                            "model": str(evidence.details.get("model", "")),
                        }
                    )
        if progress:
            progress()
    systems = [d.name for d in detectors]
    tables = [table for mode in modes for table in _summaries(rows, systems, mode, suite)]
    curves = {
        f"roc_auc_{mode}": {
            (system, label): values.get(system)
            for label, values in table.rows
            for system in systems
        }
        for mode, table in zip(modes, tables[1::2], strict=True)
    }
    return BenchResult(
        kind="detect",
        systems=systems,
        config={
            "data": str(data),
            "images": len(pairs),
            "suite": suite_ref,
            "parity": parity,
            "seed": seed,
        },
        rows=rows,
        tables=tables,
        curves=curves,
        suite=suite,
    )


def _encode(pixels: NDArray[np.uint8], mode: str) -> bytes:
    if mode == "parity":
        return parity_encode(pixels)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    return buffer.getvalue()


def _summaries(rows: Sequence[Row], systems: Sequence[str], mode: str, suite: Suite) -> list[Table]:
    def picked(system: str, transform: str | None) -> tuple[list[int], list[float]]:
        chosen = [
            r
            for r in rows
            if r["system"] == system
            and r["mode"] == mode
            and (transform is None or r["transform"] == transform)
            and r["score"] is not None
        ]
        return [int(r["label"]) for r in chosen], [float(r["score"]) for r in chosen]

    overall = Table(title=f"Synthetic-image detection, {mode} (all transforms)", metric="metric")
    metrics: dict[str, Callable[[list[int], list[float]], float]] = {
        "ROC-AUC": roc_auc,
        "AP": average_precision,
        "balanced accuracy @0.5": lambda y, s: balanced_accuracy(y, s, 0.5),
        "TPR @ FPR 1%": lambda y, s: tpr_at_fpr(y, s, 0.01),
        "TPR @ FPR 0.1%": lambda y, s: tpr_at_fpr(y, s, 0.001),
        "ECE": expected_calibration_error,
    }
    for label, metric in metrics.items():
        values: dict[str, float | None] = {}
        for system in systems:
            y, s = picked(system, None)
            values[system] = metric(y, s) if len(set(y)) == 2 else None
        overall.rows.append((label, values))
    per_transform = Table(title=f"ROC-AUC by transform, {mode}", metric="transform")
    for entry in suite:
        values = {}
        for system in systems:
            y, s = picked(system, entry.name)
            values[system] = roc_auc(y, s) if len(set(y)) == 2 else None
        per_transform.rows.append((entry.name, values))
    return [overall, per_transform]
