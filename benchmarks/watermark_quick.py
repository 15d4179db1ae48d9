"""Quick benchmark of pixelproof's watermark: robustness, quality, speed, false positives.

    python benchmarks/watermark_quick.py --split dev --sizes 512,1024 --images 12
    python benchmarks/watermark_quick.py --split heldout --images 12 --out results.md

Photos come from ../shared/data/photos (read in place, never copied): the development
split is kodak24 + bsds-cbsd68 (used for tuning), the held-out split set5-set14 +
debian-wallpapers. Each photo is resized to the given longest sides, marked with a
random 32-bit message, attacked, and decoded. Attacks are the ``watermark`` suite of
``pixelproof.bench`` when it is installed, plus the ones it lacks (rotation with and
without cropped corners, centre crop to 50 %, flip, gamma, caption bar), taken from
``benchmarks/watermark_attacks.py``.

Printed (Markdown): per attack the bit accuracy (mean over images of the share of the
32 bits right, detected or not), the detection rate at the default threshold
(p <= 1e-6 and CRC), the median detection time; PSNR / SSIM of the marked images and
embedding time; then the false-positive check: unmarked photos (also after JPEG and
resizing), photos marked with another key, and photos marked by invisible-watermark's
dwtDct / dwtDctSvd when that package is installed, with the number of detections,
the smallest p-value and a Kolmogorov-Smirnov test of the p-values against uniform.
Timings are single-threaded (OpenCV threads set to 1).
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

import cv2
import numpy as np
from numpy.typing import NDArray
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))
import watermark_attacks as extra

from pixelproof.watermark import DEFAULT_KEY, detect, embed, read_stable_diffusion_mark

cv2.setNumThreads(1)
PHOTOS = Path(__file__).resolve().parents[2] / "shared" / "data" / "photos"
SPLITS = {
    "dev": ("kodak24", "bsds-cbsd68"),
    "heldout": ("set5-set14", "debian-wallpapers"),
}
Attack = Callable[[NDArray[np.uint8], np.random.Generator], NDArray[np.uint8]]
EXTRA = ("rot15", "rot5crop", "crop0.5", "hflip", "gamma0.7", "caption")


def photo_paths(split: str, count: int) -> list[Path]:
    """``count`` photos of the split, alternating between its two collections."""
    groups = []
    for folder in SPLITS[split]:
        files = sorted(
            p
            for p in (PHOTOS / folder).rglob("*")
            if p.suffix.lower() in (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff")
        )
        groups.append(files)
    out: list[Path] = []
    i = 0
    while len(out) < count and any(i < len(g) for g in groups):
        for g in groups:
            if i < len(g) and len(out) < count:
                out.append(g[i])
        i += 1
    return out


def load(path: Path, longest: int) -> NDArray[np.uint8]:
    with Image.open(path) as im:
        im = im.convert("RGB")
        w, h = im.size
        s = longest / max(w, h)
        size = (max(1, round(w * s)), max(1, round(h * s)))
        return np.asarray(im.resize(size, Image.Resampling.LANCZOS), dtype=np.uint8)


def attacks() -> dict[str, Attack]:
    """The bench suite's attacks (when available) plus the extra ones."""
    out: dict[str, Attack] = {}
    try:
        from pixelproof.bench import load_suite

        for entry in load_suite("watermark").entries:
            transform = entry.transform

            def run(a: NDArray[np.uint8], rng: np.random.Generator, t=transform):  # type: ignore[no-untyped-def]
                return np.asarray(t(a, rng=int(rng.integers(2**31))).image, dtype=np.uint8)

            out[entry.name] = run
    except ImportError:
        out.update({k: v for k, v in extra.ATTACKS.items() if k not in EXTRA})
    for name in EXTRA:
        out[name] = extra.ATTACKS[name]
    return out


def psnr(a: NDArray[np.uint8], b: NDArray[np.uint8]) -> float:
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return 10 * math.log10(255.0**2 / max(mse, 1e-12))


def ssim(a: NDArray[np.uint8], b: NDArray[np.uint8]) -> float:
    """Mean SSIM over RGB channels (Gaussian window, sigma 1.5)."""
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    vals = []
    for ch in range(a.shape[2]):
        x, y = a[..., ch].astype(np.float64), b[..., ch].astype(np.float64)
        blur = lambda z: cv2.GaussianBlur(z, (11, 11), 1.5)  # noqa: E731
        mx, my = blur(x), blur(y)
        sxx, syy, sxy = blur(x * x) - mx * mx, blur(y * y) - my * my, blur(x * y) - mx * my
        m = ((2 * mx * my + c1) * (2 * sxy + c2)) / ((mx * mx + my * my + c1) * (sxx + syy + c2))
        vals.append(float(m[5:-5, 5:-5].mean()))
    return float(np.mean(vals))


def ks_uniform(p: list[float]) -> tuple[float, float]:
    """Kolmogorov-Smirnov statistic against U(0, 1) and its asymptotic p-value."""
    x = np.sort(np.asarray(p))
    n = len(x)
    if n == 0:
        return float("nan"), float("nan")
    d = max(np.max(np.arange(1, n + 1) / n - x), np.max(x - np.arange(n) / n))
    t = (math.sqrt(n) + 0.12 + 0.11 / math.sqrt(n)) * d
    q = 2 * sum((-1) ** (k - 1) * math.exp(-2 * k * k * t * t) for k in range(1, 101))
    return float(d), float(min(1.0, max(0.0, q)))


def bits_of(value: int) -> NDArray[np.uint8]:
    return np.array([(value >> (31 - i)) & 1 for i in range(32)], dtype=np.uint8)


def robustness(
    split: str, sizes: list[int], count: int, only: list[str] | None, seed: int
) -> list[str]:
    rng = np.random.default_rng(seed)
    table = attacks()
    names = [n for n in table if only is None or n in only]
    lines = []
    for size in sizes:
        paths = photo_paths(split, count)
        acc: dict[str, list[float]] = {n: [] for n in names}
        det: dict[str, list[bool]] = {n: [] for n in names}
        dms: dict[str, list[float]] = {n: [] for n in names}
        quality: list[tuple[float, float, float]] = []
        failures: dict[str, list[str]] = {n: [] for n in names}
        for path in paths:
            original = load(path, size)
            value = int(rng.integers(0, 2**32))
            started = time.perf_counter()
            marked = embed(original, value, key=DEFAULT_KEY)
            embed_ms = (time.perf_counter() - started) * 1000
            quality.append((psnr(original, marked), ssim(original, marked), embed_ms))
            truth = bits_of(value)
            for name in names:
                attacked = table[name](marked, rng)
                started = time.perf_counter()
                result = detect(attacked, key=DEFAULT_KEY)
                dms[name].append((time.perf_counter() - started) * 1000)
                decoded = bits_of(int(str(result.details["decoded_message"]), 16))
                acc[name].append(float(np.mean(decoded == truth)))
                ok = result.detected and result.message == f"{value:08x}"
                det[name].append(ok)
                if not ok:
                    failures[name].append(path.stem)
        q = np.array(quality)
        lines += [
            f"### {split} split, longest side {size} px, {len(paths)} photos",
            "",
            f"PSNR {q[:, 0].mean():.2f} dB (min {q[:, 0].min():.2f}), "
            f"SSIM {q[:, 1].mean():.4f} (min {q[:, 1].min():.4f}), "
            f"embed {np.median(q[:, 2]):.0f} ms (median)",
            "",
            "| attack | bit accuracy | detected (p<=1e-6) | detect ms | failed on |",
            "|---|---|---|---|---|",
        ]
        for name in names:
            fails = ", ".join(failures[name][:4]) + (" ..." if len(failures[name]) > 4 else "")
            lines.append(
                f"| {name} | {np.mean(acc[name]):.3f} | {np.mean(det[name]):.2f} | "
                f"{np.median(dms[name]):.0f} | {fails} |"
            )
        mean_acc = np.mean([np.mean(v) for v in acc.values()])
        mean_det = np.mean([np.mean(v) for v in det.values()])
        lines += [
            "",
            f"mean over attacks: bit accuracy {mean_acc:.3f}, detection {mean_det:.3f}",
            "",
        ]
        print("\n".join(lines[-(len(names) + 12) :]), flush=True)
    return lines


def false_positives(split: str, sizes: list[int], count: int, seed: int) -> list[str]:
    rng = np.random.default_rng(seed + 1)
    groups: dict[str, list[float]] = {
        "unmarked": [],
        "unmarked+jpeg75/resize0.7": [],
        "other key": [],
        "dwtDct / dwtDctSvd marks": [],
        "SD reader on pixelproof marks": [],
    }
    hits: dict[str, int] = dict.fromkeys(groups, 0)
    baselines = []
    try:
        from pixelproof.bench.baselines import DwtDctBaseline, DwtDctSvdBaseline

        baselines = [DwtDctBaseline(), DwtDctSvdBaseline()]
    except ImportError:
        pass
    for size in sizes:
        for path in photo_paths(split, count):
            original = load(path, size)
            for group, image in (
                ("unmarked", original),
                (
                    "unmarked+jpeg75/resize0.7",
                    extra.jpeg(75)(extra.resize(0.7)(original, rng), rng),
                ),
            ):
                r = detect(image, key=DEFAULT_KEY)
                groups[group].append(r.p_value)
                hits[group] += r.detected
            other = embed(original, int(rng.integers(0, 2**32)), key="someone else's key")
            r = detect(other, key=DEFAULT_KEY)
            groups["other key"].append(r.p_value)
            hits["other key"] += r.detected
            sd = read_stable_diffusion_mark(other)
            groups["SD reader on pixelproof marks"].append(sd.p_value)
            hits["SD reader on pixelproof marks"] += sd.detected
            for base in baselines:
                try:
                    marked = base.embed(original, rng.random(32) < 0.5)
                except Exception:
                    continue
                r = detect(marked, key=DEFAULT_KEY)
                groups["dwtDct / dwtDctSvd marks"].append(r.p_value)
                hits["dwtDct / dwtDctSvd marks"] += r.detected
    lines = [
        f"### False positives ({split} split, sizes {sizes})",
        "",
        "| images | n | detections | smallest p | KS D vs U(0,1) | KS p |",
        "|---|---|---|---|---|---|",
    ]
    for group, ps in groups.items():
        if not ps:
            continue
        d, q = ks_uniform(ps)
        lines.append(f"| {group} | {len(ps)} | {hits[group]} | {min(ps):.2e} | {d:.3f} | {q:.3f} |")
    lines.append("")
    print("\n".join(lines), flush=True)
    return lines


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--split", choices=("dev", "heldout", "both"), default="dev")
    ap.add_argument("--sizes", default="512,1024")
    ap.add_argument("--images", type=int, default=12, help="photos per split")
    ap.add_argument("--attacks", default=None, help="comma-separated subset")
    ap.add_argument("--fp-images", type=int, default=None, help="photos for the FP check")
    ap.add_argument("--no-fp", action="store_true")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--out", type=Path, default=None, help="also write the Markdown here")
    args = ap.parse_args()
    if not PHOTOS.exists():
        sys.exit(f"photos not found at {PHOTOS}")
    sizes = [int(s) for s in args.sizes.split(",")]
    only = args.attacks.split(",") if args.attacks else None
    splits = ["dev", "heldout"] if args.split == "both" else [args.split]
    lines = ["## pixelproof watermark, quick benchmark", ""]
    for split in splits:
        lines += robustness(split, sizes, args.images, only, args.seed)
        if not args.no_fp:
            lines += false_positives(split, sizes, args.fp_images or args.images, args.seed)
    if args.out:
        args.out.write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
