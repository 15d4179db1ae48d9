"""Fit the linear model of the ``appearance`` forensic analysis.

Usage (from the repository root; reads ``../shared/data``, writes the model into the
package)::

    .venv/bin/python benchmarks/train_appearance.py --out /tmp/appearance-train

Makes its own forgeries from the tuning photos (Kodak + BSDS, the photos the fusion is
calibrated on; never the held-out ones) with a seed of its own, so that none of the
benchmark's forgeries is a training example: 500 cases of every kind (authentic
controls included) and 200 more authentic controls. Every manipulated cell (mask
covers at least half of it) is a positive; the negatives are cells of the authentic
controls and the untouched cells of the forgeries. Up to 150 positives and 50
untouched cells per forgery and 400 cells per authentic control are drawn, so that
large images do not dominate while authentic scenery (defocus, saturated colours,
fine texture) weighs enough to keep false alarms down. The model is an L2-penalised
logistic regression on standardised features (penalty 1/C with C = 0.001: strong, see
``_appearance``'s module notes).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import numpy as np
from scipy.optimize import minimize

sys.path.insert(0, str(Path(__file__).resolve().parent))
from forensics_bench import SHARED, TUNE_SETS, photo_list

REPO = Path(__file__).resolve().parents[1]
HEAD_PATH = REPO / "src" / "pixelproof" / "forensics" / "_data" / "appearance_head.npz"
PER_IMAGE = {"positive": 150, "untouched": 50, "authentic": 400}


def cell_samples(
    case: Any, rng: np.random.Generator
) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any], int, int]:
    """Features and labels of the cells drawn from one forgery or control, and the
    numbers of its cells and of its edited cells."""
    import cv2

    from pixelproof.forensics._appearance import appearance_features
    from pixelproof.io import load_image

    features = appearance_features(load_image(case.image_path).pixels)
    flat = features.reshape(-1, features.shape[-1])
    mask = case.load_mask()
    if mask is None:
        chosen = rng.choice(len(flat), min(len(flat), PER_IMAGE["authentic"]), replace=False)
        return flat[chosen], np.zeros(chosen.size), len(flat), 0
    cover = cv2.resize(
        mask.astype(np.float32), features.shape[1::-1], interpolation=cv2.INTER_AREA
    ).ravel()
    positive, untouched = np.flatnonzero(cover >= 0.5), np.flatnonzero(cover == 0.0)
    edited = positive.size
    positive = rng.choice(positive, min(positive.size, PER_IMAGE["positive"]), replace=False)
    untouched = rng.choice(untouched, min(untouched.size, PER_IMAGE["untouched"]), replace=False)
    chosen = np.concatenate([positive, untouched])
    return flat[chosen], np.r_[np.ones(positive.size), np.zeros(untouched.size)], len(flat), edited


def fit_logistic(
    x: np.ndarray[Any, Any], y: np.ndarray[Any, Any], c: float
) -> tuple[np.ndarray[Any, Any], float]:
    """Minimise sum of log-losses + ||w||^2 / (2c) (the intercept is not penalised)."""

    def loss(params: np.ndarray[Any, Any]) -> tuple[float, np.ndarray[Any, Any]]:
        w, b = params[:-1], params[-1]
        z = x @ w + b
        # log(1 + exp(-s z)) with s = +-1, computed stably.
        signed = np.where(y > 0.5, z, -z)
        value = float(np.logaddexp(0.0, -signed).sum() + w @ w / (2.0 * c))
        p = 1.0 / (1.0 + np.exp(-z))
        residual = p - y
        gradient = np.r_[x.T @ residual + w / c, residual.sum()]
        return value, gradient

    start = np.zeros(x.shape[1] + 1)
    result = minimize(loss, start, jac=True, method="L-BFGS-B", options={"maxiter": 2000})
    return result.x[:-1], float(result.x[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True, help="work folder (outside the repo)")
    parser.add_argument("--n", type=int, default=500, help="forgeries and controls to make")
    parser.add_argument("--authentic", type=int, default=200, help="extra authentic controls")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--c", type=float, default=0.001, help="inverse L2 penalty")
    parser.add_argument("--head", type=Path, default=HEAD_PATH, help="where to write the model")
    args = parser.parse_args()
    if not SHARED.exists():
        print(f"shared data not found at {SHARED}: nothing to train on", file=sys.stderr)
        return 1
    from pixelproof.bench import roc_auc
    from pixelproof.forensics import KINDS, load_cases, make_forgeries

    cases = []
    for folder, n, seed, kinds in (
        ("forgeries", args.n, args.seed, KINDS),
        ("authentic", args.authentic, args.seed + 1, ("authentic",)),
    ):
        manifest = args.out / folder / "cases.json"
        if manifest.exists():
            cases += load_cases(manifest)
        else:
            photos = photo_list(TUNE_SETS)
            cases += make_forgeries(photos, args.out / folder, n=n, seed=seed, kinds=kinds)
    rng = np.random.default_rng(args.seed)
    parts = [cell_samples(case, rng) for case in cases]
    x = np.concatenate([p[0] for p in parts]).astype(np.float64)
    y = np.concatenate([p[1] for p in parts])
    mean, scale = x.mean(axis=0), x.std(axis=0) + 1e-6
    standardised = (x - mean) / scale
    coef, intercept = fit_logistic(standardised, y, args.c)
    fitted = standardised @ coef + intercept
    # The sample over-represents edited cells; shift the log-odds to their share among
    # all cells of the training images, so that the map reads as a probability per cell.
    share = sum(p[3] for p in parts) / sum(p[2] for p in parts)
    intercept += float(np.log(share / (1.0 - share)) - np.log(y.mean() / (1.0 - y.mean())))
    print(
        f"{len(cases)} images, {len(y)} cells ({int(y.sum())} edited; {share:.1%} of all "
        f"cells); training cell AUC {roc_auc(y.astype(bool), fitted):.3f}"
    )
    np.savez(args.head, mean=mean, scale=scale, coef=coef, intercept=np.float64(intercept))
    print(f"wrote {args.head}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
