"""Fitting the shipped synthetic-image detector (``pixelproof/synthetic/_data``).

Data: ``../shared/data/ai-train/sd1-diffusiondb-vs-coco`` (350 Stable Diffusion 1.x
images in ``ai/``, 350 COCO and ImageNet photos in ``real/``). Each class is split by
a fixed seed (:data:`SPLIT_SEED`) into a *report* part (:data:`REPORT_SHARE`), which
is never read here and is what ``benchmarks/detect_bench.py`` reports on, and the
rest, which :func:`pixelproof.synthetic._train.train_model` splits again into *fit*
and *select* (penalty choice and calibration), under format parity (two random
crop/resize/JPEG copies of each fit image, the same for both classes). The 63
``ai-train/multigen-tiles`` (SD 1/2, SDXL, SDXL-Turbo, FLUX.1, PixArt-alpha, Kolors,
Midjourney samples) join the fakes for generator diversity: with them, the AUC on
``ai-dev`` against the shared photos rose from 0.64 to 0.76 in a quick check on one
parity copy per image (the only choice made by looking at ``ai-dev``; the benchmark's
numbers on it are therefore not fully blind).

Command (from the repository root)::

    python -m pixelproof.training synthetic --out src/pixelproof/synthetic/_data

The result is deterministic: the same files give the same model, bit for bit.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import numpy as np

from ..synthetic._model import ProbeModel
from ..synthetic._train import image_files, train_model

DEFAULT_AI_TRAIN = Path("..") / "shared" / "data" / "ai-train" / "sd1-diffusiondb-vs-coco"
DEFAULT_MULTIGEN = Path("..") / "shared" / "data" / "ai-train" / "multigen-tiles"
SPLIT_SEED = 2026
REPORT_SHARE = 0.2
TRAIN_SEED = 0
COPIES = 2


def split_report(files: list[Path], *, seed: int = SPLIT_SEED) -> tuple[list[Path], list[Path]]:
    """``(training, report)`` parts of one class's files, by a fixed seed."""
    order = np.random.default_rng(seed).permutation(len(files))
    count = round(len(files) * REPORT_SHARE)
    report = sorted(files[int(i)] for i in order[:count])
    training = sorted(files[int(i)] for i in order[count:])
    return training, report


def ai_train_files(root: Path = DEFAULT_AI_TRAIN) -> dict[str, tuple[list[Path], list[Path]]]:
    """``{"real": (training, report), "fake": (training, report)}`` of ``ai-train``."""
    return {
        "real": split_report(image_files([root / "real"])),
        "fake": split_report(image_files([root / "ai"])),
    }


def fit_synthetic(
    out: Path,
    *,
    root: Path = DEFAULT_AI_TRAIN,
    multigen: Path | None = DEFAULT_MULTIGEN,
    seed: int = TRAIN_SEED,
) -> tuple[ProbeModel, dict[str, Any], list[Path]]:
    """Fit the shipped detector on ``root``'s training parts (plus the ``multigen``
    tiles as more fakes, when given) and write it to ``out``."""
    parts = ai_train_files(root)
    extra = image_files([multigen]) if multigen is not None else []

    def progress(name: str, done: int, total: int) -> None:
        if done % 50 == 0 or done == total:
            print(f"  {name}: {done}/{total}", file=sys.stderr, flush=True)

    model, summary = train_model(
        parts["real"][0], parts["fake"][0] + extra, copies=COPIES, seed=seed, progress=progress
    )
    summary["data"] = f"ai-train/{root.name} (report split held out: seed {SPLIT_SEED})"
    summary["extra_fakes"] = f"{len(extra)} from {multigen.name}" if multigen else "none"
    model = ProbeModel(**{**model.__dict__, "training": summary})
    return model, summary, model.save(out)
