"""Acceptance table of ``pixelproof detect``'s pixel-level detector (issue 20).

Usage (from the repository root; reads ``../shared/data``, writes only to --out)::

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/detect_bench.py --out /tmp/detect-bench
    .venv/bin/python benchmarks/detect_bench.py --out /tmp/db --model my-model/   # a user model
    .venv/bin/python benchmarks/detect_bench.py --out /tmp/db --magic   # heat-maps on removals
    .venv/bin/python benchmarks/detect_bench.py --out /tmp/db --pasted  # on pasted patches

Sets (never trained on; but ``ai-dev vs photos`` was used during development to
compare candidate recipes, the residual features and the photos' extra copies among
them, so its figures are not untouched by the choice of the shipped recipe):

- ``ai-train report``: the report split of ``ai-train/sd1-diffusiondb-vs-coco``
  (:func:`pixelproof.training.synthetic.split_report`: 70 SD 1.x + 70 COCO/ImageNet),
  the same generator as training;
- ``ai-dev vs photos``: the 56 images of ``ai-dev`` (SD 1.5/2, DeepFloyd IF,
  Midjourney, CogView2, StyleGAN3) against the *report* half of the shared photos
  (:func:`pixelproof.training.synthetic.photo_split`: Kodak, BSDS, EXIF samples,
  Debian wallpapers; the other half is trained on);
- ``all held-out``: the two together, for calibration.

A second table sets each held-out source of fakes (SD 1.x, and each generator family of
``ai-dev``) against each held-out set of reals (COCO/ImageNet, the photos), so that a
low AUC can be traced to the fakes or to the reals they are compared with.

Conditions: ``parity`` (both classes centre-cropped, resized to 512x512, saved as JPEG
q90: :func:`pixelproof.synthetic.protocol_copy`), ``jpeg75`` (that copy saved
again at quality 75), ``half`` (that copy resized to 256x256) and ``native`` (the
files as they are). Scores are the pixels' calibrated probability (file evidence is
left out: these sets carry none that matters). The trivial baseline is a logistic
regression (5-fold cross-validated) on file size, width, height, format and the JPEG
quantization level of the native files (and of the parity copies), showing whether the
classes are separable by those alone. Speed: one 1-megapixel image, one core, after
start-up. The features of every image (model-independent: the probe is linear, so an image's
raw log-odds is the probe applied to its mean tile features) are cached in --out, so a
rerun, or the same table for another model (``--model``), only prints.

``--magic`` scores instead where the heat-map (the ``--heatmap-dir`` PNG: each tile's
calibrated probability, resized to the image) finds the object removals of
``forgery-dev/magicinpainter`` (masks by differencing each edited image against its
source: :func:`forensics_bench.removal_pairs`), per image pixel AUC and best F1, beside
the forensics fusion's map of the same image. ``--pasted`` does the same on the report
photos (reduced to 1024 pixels on the longer side), each with a square of a held-out SD
1.x image (35-60% of its shorter side, seeded) pasted in and saved as JPEG q90: a
generated region in a real photo with an exact mask (:func:`pasted_cases`).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "data"
CONDITIONS = ("parity", "jpeg75", "half", "native")
ALL = "all held-out"
GROUPS = ("ai-train report", "ai-dev vs photos", ALL)
TRIVIAL_GROUPS = ("ai-train report", "ai-dev vs photos")


def _files(folder: Path) -> list[Path]:
    from pixelproof.synthetic import image_files

    return [p for p in image_files([folder]) if not {"invalid", "tests"} & set(p.parts)]


def _trivial(path: Path, data: bytes | None = None) -> list[float]:
    """File size, width, height, format and mean luma quantization step."""
    from PIL import Image

    raw = path.read_bytes() if data is None else data
    with Image.open(io.BytesIO(raw)) as image:
        width, height = image.size
        fmt = image.format or ""
        tables = getattr(image, "quantization", None) or {}
        step = float(np.mean(tables[0])) if 0 in tables else 0.0
    formats = [float(fmt == f) for f in ("JPEG", "PNG", "WEBP")]
    return [np.log(len(raw)), width, height, *formats, step]


def _conditions(rgb: np.ndarray[Any, Any]) -> dict[str, np.ndarray[Any, Any]]:
    from pixelproof.synthetic import jpeg_round_trip, protocol_copy, resize_image

    parity = protocol_copy(rgb)
    return {
        "parity": parity,
        "jpeg75": jpeg_round_trip(parity, 75),
        "half": resize_image(parity, (256, 256)),
        "native": rgb,
    }


def _features_one(job: tuple[str, Path]) -> tuple[str, bool]:
    """Mean tile features of the copies ``detect`` scores, per condition, and the
    trivial features; written to ``target`` (False: unreadable or too small)."""
    from PIL import Image

    from pixelproof.io import ImageLoadError, load_image
    from pixelproof.synthetic import detector_copy_features, protocol_copy

    key, target = job
    try:
        rgb = load_image(key).pixels
    except (ImageLoadError, OSError) as exc:
        print(f"skip {key}: {exc}", file=sys.stderr)
        return key, False
    if min(rgb.shape[:2]) < 64:
        return key, False
    features = {c: detector_copy_features(x) for c, x in _conditions(rgb).items()}
    buffer = io.BytesIO()
    Image.fromarray(protocol_copy(rgb)).save(buffer, "JPEG", quality=90)
    np.savez(
        target,
        **features,
        trivial_native=np.array(_trivial(Path(key))),
        trivial_parity=np.array(_trivial(Path(key), buffer.getvalue())),
    )
    return key, True


def feature_rows(
    files: list[tuple[str, int, str]], folder: Path, workers: int
) -> list[dict[str, Any]]:
    """Every image's cached features (computed first where missing)."""
    import hashlib
    from multiprocessing import get_context

    folder.mkdir(parents=True, exist_ok=True)

    def target(key: str) -> Path:
        return folder / f"{hashlib.sha256(key.encode()).hexdigest()[:24]}.npz"

    jobs = [(key, target(key)) for key, _, _ in files if not target(key).exists()]
    skipped = folder / "skipped.json"
    unusable = set(json.loads(skipped.read_text())) if skipped.exists() else set()
    jobs = [job for job in jobs if job[0] not in unusable]
    if jobs:
        with get_context("fork").Pool(workers) as pool:
            for i, (key, ok) in enumerate(pool.imap(_features_one, jobs), start=1):
                if not ok:
                    unusable.add(key)
                if i % 20 == 0 or i == len(jobs):
                    print(f"  {i}/{len(jobs)}", file=sys.stderr, flush=True)
        skipped.write_text(json.dumps(sorted(unusable)))
    rows = []
    for key, label, group in files:
        if key in unusable:
            continue
        with np.load(target(key)) as stored:
            rows.append(
                {"path": key, "label": label, "group": group, **{k: stored[k] for k in stored}}
            )
    return rows


def scored(rows: list[dict[str, Any]], model: Any) -> list[dict[str, Any]]:
    """Each row with the model's calibrated probability per condition (as
    :func:`pixelproof.synthetic.pixel_verdict` computes it: the calibrated mean of the
    raw log-odds of the copy and its two degraded versions)."""
    out = []
    for row in rows:
        scores = {}
        for condition in CONDITIONS:
            raw = float(model.raw_logits(row[condition]).mean())
            scores[condition] = float(1.0 / (1.0 + np.exp(-model.calibrated_logit(raw))))
        out.append({**row, "scores": scores})
    return out


def _cv_auc(x: np.ndarray[Any, Any], y: np.ndarray[Any, Any]) -> float:
    from pixelproof.bench.metrics import roc_auc
    from pixelproof.synthetic import Standardizer, logistic_regression

    rng = np.random.default_rng(0)
    fold = rng.permutation(len(y)) % 5
    scores = np.zeros(len(y))
    for k in range(5):
        train, test = fold != k, fold == k
        standard = Standardizer.fit(x[train])
        coef, intercept = logistic_regression(standard(x[train]), y[train], penalty=1.0)
        scores[test] = standard(x[test]) @ coef + intercept
    return roc_auc(y, scores)


def table(rows: list[dict[str, Any]], model: Any) -> list[str]:
    from pixelproof.bench.metrics import expected_calibration_error, roc_auc

    lines = [
        "| set | condition | AUC | ECE | real labelled synthetic | fake labelled synthetic "
        "| inconclusive | n (real/fake) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    everything = list({r["path"]: r for r in rows}.values())
    for group in GROUPS:
        members = everything if group == ALL else [r for r in rows if r["group"] == group]
        y = np.array([r["label"] for r in members])
        for condition in CONDITIONS:
            p = np.array([r["scores"][condition] for r in members])
            labels = [model.label(float(v)) for v in p]
            fpr = np.mean([lab == "synthetic" for lab, t in zip(labels, y, strict=True) if t == 0])
            tpr = np.mean([lab == "synthetic" for lab, t in zip(labels, y, strict=True) if t == 1])
            unsure = np.mean([lab == "inconclusive" for lab in labels])
            lines.append(
                f"| {group} | {condition} | {roc_auc(y, p):.3f} | "
                f"{expected_calibration_error(y, p, n_bins=10):.3f} | {fpr:.1%} | {tpr:.1%} | "
                f"{unsure:.1%} | {int((y == 0).sum())}/{int((y == 1).sum())} |"
            )
        for kind in ("native", "parity") if group in TRIVIAL_GROUPS else ():
            x = np.array([r[f"trivial_{kind}"] for r in members], dtype=np.float64)
            lines.append(
                f"| {group} | trivial baseline ({kind} files) | {_cv_auc(x, y):.3f} | | | | | |"
            )
    return lines


def _source(row: dict[str, Any]) -> str:
    """Which held-out set an image is from: the reals' set, or the fakes' generator
    family (``ai-dev``'s folders: SD-V1.5Real, IF-ddim-50-15K, stylegan3-t-..., ...)."""
    path = Path(row["path"])
    if row["group"] == "ai-train report":
        return "SD 1.x (ai-train report)" if row["label"] else "COCO/ImageNet (ai-train report)"
    if not row["label"]:
        return "photos (report half)"
    folder = path.parent.name.lower()
    for prefix, family in (
        ("sdv2", "SD 2"),
        ("sd", "SD 1.5"),
        ("if", "DeepFloyd IF"),
        ("midjourney", "Midjourney"),
        ("cogview", "CogView2"),
        ("stylegan", "StyleGAN3"),
    ):
        if folder.startswith(prefix):
            return family
    return folder


def cross_table(rows: list[dict[str, Any]]) -> list[str]:
    """AUC of each held-out fake source against each held-out real set (parity copies):
    shows whether a low AUC comes from the fakes or from the reals they are set against."""
    from pixelproof.bench.metrics import roc_auc

    scores: dict[str, list[float]] = {}
    for row in rows:
        scores.setdefault(_source(row), []).append(row["scores"]["parity"])
    reals = ["COCO/ImageNet (ai-train report)", "photos (report half)"]
    fakes = sorted(set(scores) - set(reals), key=lambda s: (not s.startswith("SD 1.x"), s))
    lines = [
        "| fakes (parity) | n | mean score | " + " | ".join(f"AUC vs {r}" for r in reals) + " |",
        "|---|---|---|" + "---|" * len(reals),
    ]
    for fake in fakes:
        cells = []
        for real in reals:
            y = np.r_[np.zeros(len(scores[real])), np.ones(len(scores[fake]))]
            cells.append(f"{roc_auc(y, np.r_[scores[real], scores[fake]]):.3f}")
        lines.append(
            f"| {fake} | {len(scores[fake])} | {np.mean(scores[fake]):.2f} | "
            + " | ".join(cells)
            + " |"
        )
    for real in reals:
        lines.append(f"| (reals: {real}) | {len(scores[real])} | {np.mean(scores[real]):.2f} |")
    return lines


def speed(model: Any) -> str:
    from pixelproof.io import load_image
    from pixelproof.synthetic import detect, resize_image

    source = load_image(sorted((SHARED / "photos" / "kodak24").glob("*.png"))[0])
    rgb = resize_image(source.pixels, (1155, 866))
    buffer = io.BytesIO()
    from PIL import Image

    Image.fromarray(rgb).save(buffer, "PNG")
    image = load_image(buffer.getvalue())
    detect(image, model)
    wall, cpu = [], []
    for _ in range(5):
        started, started_cpu = time.perf_counter(), time.process_time()
        detect(image, model)
        wall.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    return (
        f"{np.median(cpu):.3f} s CPU ({np.median(wall):.3f} s wall) per 1-MP image "
        "(median of 5, one thread, file evidence on; CPU time is what one free core takes)"
    )


def weights_size() -> str:
    from importlib import resources

    from pixelproof.nets import weights_path

    data = resources.files("pixelproof.synthetic").joinpath("_data")
    probe = sum(len(data.joinpath(n).read_bytes()) for n in ("probe.npz", "model.json"))
    backbone = os.path.getsize(weights_path())
    return (
        f"probe {probe / 1e3:.0f} kB + EfficientNet-Lite0 backbone {backbone / 1e6:.1f} MB "
        f"= {(probe + backbone) / 1e6:.1f} MB"
    )


def report_files() -> list[tuple[str, int, str]]:
    """``(path, label, group)`` of every held-out image."""
    from pixelproof.training.synthetic import (
        DEFAULT_AI_TRAIN,
        DEFAULT_PHOTOS,
        ai_train_files,
        photo_split,
    )

    parts = ai_train_files((REPO / DEFAULT_AI_TRAIN).resolve())
    photos_report = photo_split((REPO / DEFAULT_PHOTOS).resolve())[1]
    files = [(str(p), 0, "ai-train report") for p in parts["real"][1]]
    files += [(str(p), 1, "ai-train report") for p in parts["fake"][1]]
    files += [(str(p), 1, "ai-dev vs photos") for p in _files(SHARED / "ai-dev")]
    files += [(str(p), 0, "ai-dev vs photos") for p in photos_report]
    return files


def _heatmap(path: Path, model: Any) -> tuple[Any, np.ndarray[Any, Any]]:
    """The pixel verdict on ``path`` and its ``--heatmap-dir`` map (0..1, image-sized)."""
    from pixelproof.evidence import Heatmap
    from pixelproof.io import load_image
    from pixelproof.synthetic import pixel_verdict

    image = load_image(path)
    pixels = pixel_verdict(image.pixels, model)
    heatmap = Heatmap.from_float(pixels.tile_map, (image.width, image.height))
    return pixels, np.asarray(heatmap.to_image(), np.float32) / 255.0


def magic_table(model: Any) -> list[str]:
    """Per removal: pixel AUC / best F1 of the synthetic heat-map and of the fusion's."""
    from pixelproof.bench import best_threshold_f1, pixel_auc

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from forensics_bench import fused_localization, removal_pairs

    lines = [
        "| image | tool | changed | detect pixel AUC | detect F1 (best) | detect score "
        "| forensics pixel AUC | forensics F1 (best) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    by_tool: dict[str, list[tuple[float, float]]] = {}
    for edited, tool, mask in removal_pairs(every_folder=True):
        pixels, values = _heatmap(edited, model)
        auc = float(pixel_auc(mask, values))
        fused = fused_localization(edited, mask)
        by_tool.setdefault(tool, []).append((auc, fused["pixel_auc"]))
        lines.append(
            f"| {edited.parent.name}/{edited.name} | {tool} | {mask.mean():.1%} | {auc:.2f} | "
            f"{best_threshold_f1(mask, values).f1:.2f} | {pixels.probability:.2f} | "
            f"{fused['pixel_auc']:.2f} | {fused['pixel_f1_best']:.2f} |"
        )
        print(lines[-1], file=sys.stderr, flush=True)
    lines += ["", "| tool | n | median detect pixel AUC | median forensics pixel AUC |"]
    lines.append("|---|---|---|---|")
    for tool, values in sorted(by_tool.items()):
        ours, fused_auc = np.median(np.array(values), axis=0)
        lines.append(f"| {tool} | {len(values)} | {ours:.2f} | {fused_auc:.2f} |")
    return lines


PASTED_SIDE = 1024  # the photos' longer side before the paste
PASTED_SHARE = (0.35, 0.6)  # the patch's side as a share of the photo's shorter side


def pasted_cases(folder: Path, seed: int = 0) -> list[tuple[Path, np.ndarray[Any, Any]]]:
    """Each report photo with a square of a held-out SD 1.x image pasted in (written to
    ``folder`` as JPEG q90, the mask beside it): a generated region in a real photo, as
    an inpainting pasted back leaves it, with a mask known exactly."""
    from PIL import Image

    from pixelproof.io import load_image
    from pixelproof.synthetic import resize_image

    folder.mkdir(parents=True, exist_ok=True)
    files = report_files()
    photos = [Path(k) for k, label, g in files if g == "ai-dev vs photos" and label == 0]
    fakes = [Path(k) for k, label, g in files if g == "ai-train report" and label == 1]
    rng = np.random.default_rng(seed)
    cases = []
    for i, photo in enumerate(photos):
        try:
            rgb = load_image(photo).pixels
        except Exception as exc:  # the report half holds a few undecodable files
            print(f"skip {photo}: {exc}", file=sys.stderr)
            continue
        factor = min(1.0, PASTED_SIDE / max(rgb.shape[:2]))
        size = (round(rgb.shape[1] * factor), round(rgb.shape[0] * factor))
        base = resize_image(rgb, size).copy()
        side = round(min(base.shape[:2]) * rng.uniform(*PASTED_SHARE))
        fake = load_image(fakes[i % len(fakes)]).pixels
        fake_side = min(fake.shape[:2])
        top = int(rng.integers(0, fake.shape[0] - fake_side + 1))
        left = int(rng.integers(0, fake.shape[1] - fake_side + 1))
        patch = resize_image(fake[top : top + fake_side, left : left + fake_side], (side, side))
        row = int(rng.integers(0, base.shape[0] - side + 1))
        col = int(rng.integers(0, base.shape[1] - side + 1))
        base[row : row + side, col : col + side] = patch
        mask = np.zeros(base.shape[:2], bool)
        mask[row : row + side, col : col + side] = True
        target = folder / f"pasted-{i:03d}.jpg"
        Image.fromarray(base).save(target, "JPEG", quality=90)
        cases.append((target, mask))
    return cases


def pasted_table(model: Any, folder: Path) -> list[str]:
    """Pixel AUC / best F1 of the synthetic heat-map and the fusion's on pasted patches."""
    from pixelproof.bench import best_threshold_f1, pixel_auc

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from forensics_bench import fused_localization

    rows = []
    for path, mask in pasted_cases(folder):
        values = _heatmap(path, model)[1]
        fused = fused_localization(path, mask)
        rows.append(
            (
                float(pixel_auc(mask, values)),
                float(best_threshold_f1(mask, values).f1),
                fused["pixel_auc"],
                fused["pixel_f1_best"],
                float(mask.mean()),
            )
        )
        print(f"{path.name}: {rows[-1]}", file=sys.stderr, flush=True)
    table = np.array(rows)
    median = np.median(table, axis=0)
    above = np.mean(table[:, :4:2] > 0.5, axis=0)
    return [
        "| map | n | median pixel AUC | images with AUC > 0.5 | median best F1 |",
        "|---|---|---|---|---|",
        f"| detect (`--heatmap-dir`) | {len(rows)} | {median[0]:.2f} | {above[0]:.0%} | "
        f"{median[1]:.2f} |",
        f"| forensics fusion | {len(rows)} | {median[2]:.2f} | {above[1]:.0%} | {median[3]:.2f} |",
        f"(pasted share of the image: median {median[4]:.1%})",
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--model", type=Path, help="a model folder (default: shipped)")
    parser.add_argument("--workers", type=int, default=1, help="processes (default 1)")
    parser.add_argument("--magic", action="store_true", help="heat-maps on the removals")
    parser.add_argument(
        "--pasted", action="store_true", help="heat-maps on generated patches pasted in photos"
    )
    args = parser.parse_args()
    from pixelproof.synthetic import load_model, shipped_model

    model = shipped_model() if args.model is None else load_model(args.model)
    tag = "shipped" if args.model is None else args.model.name
    if args.magic or args.pasted:
        text = "\n".join(
            magic_table(model) if args.magic else pasted_table(model, args.out / "pasted")
        )
        print(text)
        args.out.mkdir(parents=True, exist_ok=True)
        kind = "magic" if args.magic else "pasted"
        (args.out / f"{kind}-{tag}.md").write_text(text + "\n")
        return 0
    rows = scored(feature_rows(report_files(), args.out / "features", args.workers), model)
    lines = [*table(rows, model), "", *cross_table(rows)]
    thresholds = f"real <= {model.real_threshold}, synthetic >= {model.synthetic_threshold}"
    lines += ["", f"Default thresholds: {thresholds}.", speed(model), weights_size()]
    text = "\n".join(lines)
    print(text)
    (args.out / f"table-{tag}.md").write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
