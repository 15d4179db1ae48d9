"""Forgeries of kinds the forgery generator never makes, scored by the shipped fusion.

Usage (from the repository root; reads ``../shared/data``, writes only to --out)::

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/unseen_kinds.py --out /tmp/kinds --n 60

A learned cue (the ``appearance`` analysis, fitted on the kinds of
:func:`pixelproof.forensics.make_forgeries`: splice, copy-move, removal, recolour) may
learn the generator rather than edits. This check edits the held-out photos of
``benchmarks/forensics_bench.py`` in ways that generator never does:

``feathered_splice``
    A region of another photo (saved as JPEG at quality 50-95 first) blended in
    through a blob mask blurred by 2-6 px, so no hard edge shows.
``rect_splice``
    A rectangle of another photo pasted with hard edges.
``splice_downscaled``
    A hard-edged blob splice, then the whole image downscaled to 70%.
``clone_stamp``
    A region of the same photo copied elsewhere through a soft (blurred) brush mask.
``brightness``
    A blob, with soft edges, made 15-35% brighter or darker.
``blur``
    A blob, with soft edges, blurred (Gaussian, sigma 1.5-4 px).

Each case is saved once or twice as JPEG the way ``make_forgeries`` saves its cases
(first save quality 60-95, final save 65-98, drawn per case), ``--n`` cases per kind,
against ``--n`` authentic controls made by ``make_forgeries(kinds=("authentic",))``
(the same saving). The table gives the fused image AUC of each kind against the
controls, and of all kinds together, with the shipped fusion and with the shipped
fusion with the ``appearance`` analysis left out (its map and score count as
uninformative; the weights are not refitted, so this is not the fusion a release
without ``appearance`` would ship). Everything is drawn from ``--seed``.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

sys.path.insert(0, str(Path(__file__).resolve().parent))
from forensics_bench import PHOTOS, SHARED

from pixelproof.forensics import (
    MAX_PHOTO_SIDE,
    ForgeryCase,
    blob_mask,
    encode_jpeg,
    jpeg_roundtrip,
    load_cases,
    load_photo,
    make_forgeries,
    write_mask,
)
from pixelproof.training.forensics import HELDOUT_SETS, photo_list

Pixels = NDArray[np.uint8]
Photos = list[tuple[str, Pixels]]
Edit = tuple[Pixels, NDArray[np.bool_], dict[str, Any]]


def _composite(base: Pixels, layer: Pixels, alpha: NDArray[np.float32]) -> Pixels:
    """``layer`` over ``base`` with per-pixel opacity ``alpha`` (0..1)."""
    weight = alpha[..., None]
    mixed = base.astype(np.float32) * (1.0 - weight) + layer.astype(np.float32) * weight
    return np.clip(np.rint(mixed), 0, 255).astype(np.uint8)


def _soft(mask: NDArray[np.bool_], sigma: float, cv2: Any) -> NDArray[np.float32]:
    alpha: NDArray[np.float32] = cv2.GaussianBlur(mask.astype(np.float32), (0, 0), sigma)
    return alpha


def _donor_layer(
    shape: tuple[int, ...], photos: Photos, index: int, rng: np.random.Generator, cv2: Any
) -> tuple[Pixels, dict[str, Any]]:
    """Another photo, saved as JPEG once, scaled to cover ``shape`` and cropped to it."""
    choices = [i for i in range(len(photos)) if i != index] or [index]
    name, donor = photos[int(rng.choice(choices))]
    quality = int(rng.integers(50, 96))
    donor = jpeg_roundtrip(donor, quality)
    height, width = shape[:2]
    cover = max(height / donor.shape[0], width / donor.shape[1], 1.0)
    if cover > 1.0:
        size = (round(donor.shape[1] * cover) + 1, round(donor.shape[0] * cover) + 1)
        donor = cv2.resize(donor, size, interpolation=cv2.INTER_LINEAR)
    top = int(rng.integers(0, donor.shape[0] - height + 1))
    left = int(rng.integers(0, donor.shape[1] - width + 1))
    return donor[top : top + height, left : left + width], {"donor": name, "donor_quality": quality}


def feathered_splice(base: Pixels, photos: Photos, index: int, rng: Any, cv2: Any) -> Edit:
    donor, extra = _donor_layer(base.shape, photos, index, rng, cv2)
    mask, _ = blob_mask(base.shape[0], base.shape[1], rng, cv2, area=(0.015, 0.10))
    feather = float(rng.uniform(2.0, 6.0))
    alpha = _soft(mask, feather, cv2)
    return _composite(base, donor, alpha), alpha >= 0.5, {**extra, "feather_px": feather}


def rect_splice(base: Pixels, photos: Photos, index: int, rng: Any, cv2: Any) -> Edit:
    donor, extra = _donor_layer(base.shape, photos, index, rng, cv2)
    height, width = base.shape[:2]
    area = float(rng.uniform(0.015, 0.10)) * height * width
    aspect = float(rng.uniform(0.6, 1.6))
    box_h = min(height - 2, round(np.sqrt(area / aspect)))
    box_w = min(width - 2, round(np.sqrt(area * aspect)))
    top = int(rng.integers(0, height - box_h))
    left = int(rng.integers(0, width - box_w))
    mask = np.zeros((height, width), dtype=bool)
    mask[top : top + box_h, left : left + box_w] = True
    forged = base.copy()
    forged[mask] = donor[mask]
    return forged, mask, {**extra, "box": [left, top, left + box_w, top + box_h]}


def splice_downscaled(base: Pixels, photos: Photos, index: int, rng: Any, cv2: Any) -> Edit:
    donor, extra = _donor_layer(base.shape, photos, index, rng, cv2)
    mask, _ = blob_mask(base.shape[0], base.shape[1], rng, cv2, area=(0.015, 0.10))
    forged = base.copy()
    forged[mask] = donor[mask]
    size = (round(base.shape[1] * 0.7), round(base.shape[0] * 0.7))
    forged = cv2.resize(forged, size, interpolation=cv2.INTER_AREA)
    small = cv2.resize(mask.astype(np.float32), size, interpolation=cv2.INTER_AREA) >= 0.5
    return forged, small, {**extra, "downscale": 0.7}


def clone_stamp(base: Pixels, photos: Photos, index: int, rng: Any, cv2: Any) -> Edit:
    height, width = base.shape[:2]
    mask, _ = blob_mask(height, width, rng, cv2, area=(0.01, 0.06))
    rows, cols = np.nonzero(mask)
    span_y, span_x = int(np.ptp(rows)) + 1, int(np.ptp(cols)) + 1
    # the copy comes from at least one region-size away, in a random direction
    shift_y = int(rng.integers(span_y, 2 * span_y + 1)) * int(rng.choice([-1, 1]))
    shift_x = int(rng.integers(span_x, 2 * span_x + 1)) * int(rng.choice([-1, 1]))
    matrix = np.float32([[1, 0, -shift_x], [0, 1, -shift_y]])
    source = cv2.warpAffine(base, matrix, (width, height), borderMode=cv2.BORDER_REFLECT)
    brush = float(rng.uniform(2.0, 6.0))
    alpha = _soft(mask, brush, cv2)
    extra = {"offset": [shift_x, shift_y], "brush_px": brush}
    return _composite(base, source, alpha), alpha >= 0.5, extra


def brightness(base: Pixels, photos: Photos, index: int, rng: Any, cv2: Any) -> Edit:
    mask, _ = blob_mask(base.shape[0], base.shape[1], rng, cv2, area=(0.015, 0.10))
    factor = float(rng.uniform(1.15, 1.35) if rng.random() < 0.5 else rng.uniform(0.65, 0.85))
    layer = np.clip(base.astype(np.float32) * factor, 0, 255).astype(np.uint8)
    alpha = _soft(mask, float(rng.uniform(2.0, 6.0)), cv2)
    return _composite(base, layer, alpha), alpha >= 0.5, {"factor": round(factor, 3)}


def blur(base: Pixels, photos: Photos, index: int, rng: Any, cv2: Any) -> Edit:
    mask, _ = blob_mask(base.shape[0], base.shape[1], rng, cv2, area=(0.015, 0.10))
    sigma = float(rng.uniform(1.5, 4.0))
    layer = cv2.GaussianBlur(base, (0, 0), sigma)
    alpha = _soft(mask, float(rng.uniform(2.0, 6.0)), cv2)
    return _composite(base, layer, alpha), alpha >= 0.5, {"sigma": round(sigma, 2)}


EDITS: dict[str, Callable[[Pixels, Photos, int, Any, Any], Edit]] = {
    "feathered_splice": feathered_splice,
    "rect_splice": rect_splice,
    "splice_downscaled": splice_downscaled,
    "clone_stamp": clone_stamp,
    "brightness": brightness,
    "blur": blur,
}


FILES = (".jpg", "_mask.png")  # a case's image and mask


def make_unseen(photos: list[Path], folder: Path, n: int, seed: int) -> list[ForgeryCase]:
    """``n`` cases of each kind of :data:`EDITS`, saved as ``make_forgeries`` saves."""
    import cv2

    manifest = folder / "cases.json"
    if manifest.exists():
        return load_cases(manifest)
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    images = [(str(p), img) for p in photos if (img := load_photo(p, MAX_PHOTO_SIDE)) is not None]
    cases = []
    for kind, edit in EDITS.items():
        order = rng.permutation(len(images))
        for index in range(n):
            photo_index = int(order[index % len(images)])
            source, base = images[photo_index]
            saves = int(rng.integers(1, 3))
            params: dict[str, Any] = {"photo": source, "saves": saves}
            if saves == 2:
                params["first_quality"] = int(rng.integers(60, 96))
                base = jpeg_roundtrip(base, params["first_quality"])
            params["final_quality"] = int(rng.integers(65, 99))
            forged, mask, extra = edit(base, images, photo_index, rng, cv2)
            params.update(extra, mask_fraction=round(float(mask.mean()), 5))
            image, mask_path = (folder / f"{kind}_{index:04d}_s{saves}{end}" for end in FILES)
            image.write_bytes(encode_jpeg(forged, params["final_quality"]))
            write_mask(mask, mask_path)
            cases.append(ForgeryCase(image, mask_path, kind, saves, params))
    manifest.write_text(json.dumps([c.to_dict() for c in cases], indent=1) + "\n")
    return cases


def fused_scores(case: ForgeryCase) -> dict[str, Any]:
    """The fused score of one case with every analysis, and without ``appearance``."""
    from pixelproof.forensics import ImageContext, fuse, run_analyses
    from pixelproof.io import load_image

    results, _ = run_analyses(ImageContext.from_loaded(load_image(case.image_path)))
    without = {name: r for name, r in results.items() if name != "appearance"}
    return {
        "image": str(case.image_path),
        "kind": case.kind,
        "saves": case.saves,
        "with": round(fuse(results).score, 5),
        "without": round(fuse(without).score, 5),
    }


def table(rows: list[dict[str, Any]], n: int) -> str:
    from pixelproof.bench.metrics import roc_auc

    controls = [r for r in rows if r["kind"] == "authentic"]
    lines = [
        "| kind | cases | image AUC with `appearance` | without |",
        "|---|---|---|---|",
    ]
    for kind in [*EDITS, "all"]:
        forged = [r for r in rows if r["kind"] != "authentic" and kind in ("all", r["kind"])]
        chosen = forged + controls
        labels = [r["kind"] != "authentic" for r in chosen]
        cells = [f"{roc_auc(labels, [r[key] for r in chosen]):.3f}" for key in ("with", "without")]
        lines.append(f"| {kind} | {len(forged)} | {' | '.join(cells)} |")
    return f"{len(controls)} authentic controls, {n} cases per kind\n\n" + "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True, help="work folder (outside the repo)")
    parser.add_argument("--n", type=int, default=60, help="cases per kind and controls")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--workers", type=int, default=1, help="processes (default 1)")
    args = parser.parse_args()
    if not SHARED.exists():
        print(f"shared data not found at {SHARED}: nothing to benchmark", file=sys.stderr)
        return 0
    photos = photo_list(PHOTOS, HELDOUT_SETS)
    cases = make_unseen(photos, args.out / "unseen", args.n, args.seed)
    controls = args.out / "authentic"
    if (controls / "cases.json").exists():
        cases += load_cases(controls / "cases.json")
    else:
        cases += make_forgeries(photos, controls, n=args.n, seed=args.seed, kinds=("authentic",))
    rows = []
    with get_context("fork").Pool(args.workers) as pool:
        for done, row in enumerate(pool.imap(fused_scores, cases), start=1):
            rows.append(row)
            if done % 20 == 0 or done == len(cases):
                print(f"  {done}/{len(cases)}", file=sys.stderr, flush=True)
    (args.out / "rows.json").write_text(json.dumps(rows, indent=1) + "\n")
    print(table(rows, args.n))
    return 0


if __name__ == "__main__":
    sys.exit(main())
