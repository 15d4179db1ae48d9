"""Authentic photos after realistic publishing chains: the negatives a forensic tool
must not accuse.

A newsroom's most common input is an authentic photo that an agency, a CMS and a
social network resized, sharpened, tone-adjusted, cropped and recompressed. Those
steps leave the very traces the analyses look for (resampling periodicity, double
quantization, a shifted block grid), over the *whole* image. :func:`make_benign`
draws such chains at random (seeded) on real photos and records every step's name,
so that the fusion is fitted and calibrated with them as authentic controls and the
benchmark reports the false-accusation rate per step.

Steps (names as recorded in ``params["steps"]``; a chain applies them in this order):

``crop``, ``rotate``
    A crop at any offset (the camera's 8x8 grid ends up misaligned), a small
    rotation to straighten a horizon (cropped to avoid the corners).
``resize-area``, ``resize-bilinear``, ``resize-bicubic``, ``resize-lanczos``
    Downscaling to a web size with one of four kernels.
``gamma``, ``tone-curve``, ``white-balance``
    Global tone and colour adjustments.
``unsharp``
    Unsharp masking (output sharpening).
``jpeg-pillow-420`` ... ``jpeg-opencv-444``, ``jpeg-simplejpeg-420``
    The save: encoder and chroma subsampling (quality in ``params["qualities"]``).
``png-to-jpeg``
    The photo was kept as PNG before its first JPEG save (recorded when the chain's
    source is a lossless photo that a chain saves as JPEG).
``recompress-aligned``, ``recompress-misaligned``
    A second or third JPEG save, by another encoder and quality; misaligned = a few
    pixels cropped first, so the earlier blocks no longer sit on the new grid.
``screenshot``
    Resized and saved as PNG (no JPEG at the end).
``exif-kept``, ``exif-stripped``
    Whether the camera's EXIF block went along (only Pillow writes it here).
``original``
    The camera file itself, untouched (when it is small enough to analyse at full
    resolution).

The photo split (:func:`photo_split`) is by a hash of the file name, fixed once:
``fit`` (about half: the fusion's weights), ``select`` (about a fifth: the label
thresholds and every other choice) and ``report`` (the rest: touched only for the
reported numbers).
"""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ._common import require_cv2
from ._forgeries import ForgeryCase

SPLITS = ("fit", "select", "report")
RESIZE_KERNELS = ("area", "bilinear", "bicubic", "lanczos")
ENCODERS = ("pillow", "opencv", "simplejpeg")
# Outputs stay at web sizes: at most this many pixels (a larger original is cropped).
MAX_PIXELS = 1_300_000
_MIN_SIDE = 160


def photo_split(path: Path | str) -> str:
    """The split of a photo (``fit``, ``select`` or ``report``), from its file name only,
    so that it does not depend on the folder the data sits in."""
    digest = hashlib.sha256(Path(path).name.encode("utf-8")).digest()
    bucket = digest[0] % 10
    return "fit" if bucket < 5 else "select" if bucket < 7 else "report"


def split_photos(photos: Sequence[Path], split: str) -> list[Path]:
    """The photos of ``photos`` that fall in ``split`` (see :func:`photo_split`)."""
    if split not in SPLITS:
        raise ValueError(f"split: unknown {split!r}; choose from {list(SPLITS)}")
    return [p for p in photos if photo_split(p) == split]


def make_benign(
    photos: Sequence[Path | str],
    out_dir: Path | str,
    *,
    n: int,
    seed: int | np.random.Generator | None = 0,
) -> list[ForgeryCase]:
    """Generate ``n`` authentic images after random publishing chains from ``photos``.

    Parameters
    ----------
    photos : sequence of paths
        Source photos (any format :func:`pixelproof.io.load_image` reads); photos
        smaller than 160 pixels or unreadable are skipped.
    out_dir : path
        Folder for the images and ``cases.json`` (created if needed).
    n : int
        Number of images; photos are used in turn (shuffled).
    seed : int, Generator or None
        Randomness.

    Returns
    -------
    list of ForgeryCase
        Kind ``authentic``, no mask, ``saves`` = number of JPEG saves in the chain,
        ``params`` = the photo, ``steps`` (names, see the module doc), the drawn
        numbers; also written to ``out_dir/cases.json``.

    Raises
    ------
    ValueError
        On ``n < 1`` or no usable photo.
    """
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    usable = [Path(p) for p in photos if _readable(Path(p))]
    if not usable:
        raise ValueError("photos: none could be loaded (or all are smaller than 160 px)")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    order = rng.permutation(len(usable))
    cases = []
    for index in range(n):
        source = usable[int(order[index % len(usable)])]
        data, suffix, saves, params = publish(source, rng)
        path = out / f"{index:04d}_benign{suffix}"
        path.write_bytes(data)
        cases.append(ForgeryCase(path, None, "authentic", saves, params))
    (out / "cases.json").write_text(json.dumps([c.to_dict() for c in cases], indent=1) + "\n")
    return cases


def publish(source: Path, rng: np.random.Generator) -> tuple[bytes, str, int, dict[str, Any]]:
    """One random publishing chain applied to ``source``: the file's bytes, its suffix,
    its number of JPEG saves and the recorded ``params`` (``photo``, ``steps``, ...)."""
    from PIL import Image

    from ..io import load_image

    cv2 = require_cv2()
    raw = source.read_bytes()
    pixels = load_image(raw).pixels
    with Image.open(io.BytesIO(raw)) as opened:
        is_jpeg = opened.format == "JPEG"
        exif = opened.info.get("exif")
    steps: list[str] = []
    params: dict[str, Any] = {"photo": str(source), "steps": steps}
    height, width = pixels.shape[:2]
    if is_jpeg and width * height <= MAX_PIXELS and rng.random() < 0.1:
        steps.append("original")
        return raw, source.suffix.lower(), 1, params
    if rng.random() < 0.4:
        pixels = _crop(pixels, rng, float(rng.uniform(0.6, 0.95)))
        steps.append("crop")
    if rng.random() < 0.15:
        angle = float(rng.choice([-1, 1]) * rng.uniform(0.5, 3.0))
        pixels = _rotate(pixels, angle, cv2)
        steps.append("rotate")
        params["angle"] = round(angle, 2)
    height, width = pixels.shape[:2]
    screenshot = rng.random() < 0.1
    if screenshot or width * height > MAX_PIXELS or rng.random() < 0.7:
        kernel = str(rng.choice(RESIZE_KERNELS))
        side = int(rng.integers(480, 1400))
        scale = min(side / max(height, width), float(np.sqrt(MAX_PIXELS / (width * height))))
        if scale > 0.9:  # a small photo: still a real downscale
            scale = float(rng.uniform(0.5, 0.9))
        pixels = _resize(pixels, scale, kernel, cv2)
        steps.append(f"resize-{kernel}")
        params["scale"] = round(scale, 4)
    if rng.random() < 0.5:
        pixels, tone = _tone(pixels, rng)
        steps.append(tone)
    if rng.random() < 0.4:
        sigma, amount = float(rng.uniform(0.6, 2.0)), float(rng.uniform(0.3, 1.2))
        pixels = _unsharp(pixels, sigma, amount, cv2)
        steps.append("unsharp")
        params["unsharp"] = [round(sigma, 2), round(amount, 2)]
    if screenshot:
        steps.append("screenshot")
        return _png(pixels), ".png", 0, params
    if not is_jpeg:
        steps.append("png-to-jpeg")
    saves = 1 + int(rng.choice([0, 1, 2], p=[0.55, 0.3, 0.15]))
    qualities: list[int] = []
    data = b""
    for save in range(saves):
        if save > 0:
            decoded = load_image(data).pixels
            if rng.random() < 0.5:
                shift = (int(rng.integers(1, 8)), int(rng.integers(0, 8)))
                decoded = decoded[shift[0] :, shift[1] :]
                steps.append("recompress-misaligned")
            else:
                steps.append("recompress-aligned")
            pixels = decoded
        encoder = str(rng.choice(ENCODERS))
        subsampling = "444" if rng.random() < 0.3 else "420"
        quality = int(rng.integers(60, 96))
        keep_exif = encoder == "pillow" and exif is not None and rng.random() < 0.5
        data = encode_jpeg(pixels, quality, encoder, subsampling, exif if keep_exif else None)
        steps.append(f"jpeg-{encoder}-{subsampling}")
        qualities.append(quality)
    if exif is not None:
        steps.append("exif-kept" if _has_exif(data) else "exif-stripped")
    params["qualities"] = qualities
    return data, ".jpg", saves, params


def encode_jpeg(
    pixels: NDArray[np.uint8],
    quality: int,
    encoder: str,
    subsampling: str,
    exif: bytes | None = None,
) -> bytes:
    """JPEG bytes of an RGB image by ``encoder`` (``pillow``, ``opencv``, ``simplejpeg``)
    at ``quality`` with chroma ``subsampling`` ``"420"`` or ``"444"``."""
    pixels = np.ascontiguousarray(pixels)
    if encoder == "pillow":
        from PIL import Image

        buffer = io.BytesIO()
        options: dict[str, Any] = {
            "quality": quality,
            "subsampling": 0 if subsampling == "444" else 2,
        }
        if exif is not None:
            options["exif"] = exif
        Image.fromarray(pixels).save(buffer, format="JPEG", **options)
        return buffer.getvalue()
    if encoder == "opencv":
        cv2 = require_cv2()
        factor = 0x111111 if subsampling == "444" else 0x221111
        ok, encoded = cv2.imencode(
            ".jpg",
            pixels[..., ::-1],
            [cv2.IMWRITE_JPEG_QUALITY, quality, cv2.IMWRITE_JPEG_SAMPLING_FACTOR, factor],
        )
        if not ok:  # pragma: no cover - OpenCV encodes any uint8 image
            raise ValueError("OpenCV could not encode the image")
        return bytes(encoded.tobytes())
    if encoder == "simplejpeg":
        import simplejpeg

        data: bytes = simplejpeg.encode_jpeg(pixels, quality=quality, colorsubsampling=subsampling)
        return data
    raise ValueError(f"encoder: unknown {encoder!r}; choose from {list(ENCODERS)}")


# -- steps ----------------------------------------------------------------------------


def _readable(path: Path) -> bool:
    """Whether ``path`` decodes cleanly (a damaged sample is no photo) and is large
    enough."""
    from ..io import ImageLoadError, load_image

    try:
        image = load_image(path)
    except (ImageLoadError, OSError):
        return False
    return image.damage is None and min(image.width, image.height) >= _MIN_SIDE


def _crop(pixels: NDArray[np.uint8], rng: np.random.Generator, keep: float) -> NDArray[np.uint8]:
    height, width = pixels.shape[:2]
    side = float(np.sqrt(keep))
    new_h, new_w = max(_MIN_SIDE, round(height * side)), max(_MIN_SIDE, round(width * side))
    new_h, new_w = min(new_h, height), min(new_w, width)
    top = int(rng.integers(0, height - new_h + 1))
    left = int(rng.integers(0, width - new_w + 1))
    return np.ascontiguousarray(pixels[top : top + new_h, left : left + new_w])


def _rotate(pixels: NDArray[np.uint8], angle: float, cv2: Any) -> NDArray[np.uint8]:
    height, width = pixels.shape[:2]
    matrix = cv2.getRotationMatrix2D((width / 2.0, height / 2.0), angle, 1.0)
    turned = cv2.warpAffine(pixels, matrix, (width, height), flags=cv2.INTER_CUBIC)
    # Keep the largest centred rectangle free of the rotated-in corners.
    sin, cos = abs(np.sin(np.radians(angle))), abs(np.cos(np.radians(angle)))
    margin_x = int(np.ceil(height * sin / 2 + width * (1 - cos) / 2)) + 1
    margin_y = int(np.ceil(width * sin / 2 + height * (1 - cos) / 2)) + 1
    return np.ascontiguousarray(turned[margin_y : height - margin_y, margin_x : width - margin_x])


def _resize(pixels: NDArray[np.uint8], scale: float, kernel: str, cv2: Any) -> NDArray[np.uint8]:
    flags = {
        "area": cv2.INTER_AREA,
        "bilinear": cv2.INTER_LINEAR,
        "bicubic": cv2.INTER_CUBIC,
        "lanczos": cv2.INTER_LANCZOS4,
    }
    height, width = pixels.shape[:2]
    scale = min(1.0, max(scale, _MIN_SIDE / min(height, width)))  # keeps the aspect
    size = (round(width * scale), round(height * scale))
    out: NDArray[np.uint8] = cv2.resize(pixels, size, interpolation=flags[kernel])
    return out


def _tone(pixels: NDArray[np.uint8], rng: np.random.Generator) -> tuple[NDArray[np.uint8], str]:
    values = np.arange(256, dtype=np.float64) / 255.0
    choice = int(rng.integers(0, 3))
    if choice == 0:
        curve = values ** float(rng.uniform(0.75, 1.3))
        return _apply_curves(pixels, [curve] * 3), "gamma"
    if choice == 1:  # an S-curve (contrast) with a lift of the shadows
        strength = float(rng.uniform(0.1, 0.5))
        curve = values + strength * values * (1 - values) * (2 * values - 1) * 2
        lift = float(rng.uniform(0.0, 0.05))
        return _apply_curves(pixels, [lift + (1 - lift) * curve] * 3), "tone-curve"
    gains = rng.uniform(0.88, 1.12, size=3)
    return _apply_curves(pixels, [values * g for g in gains]), "white-balance"


def _apply_curves(
    pixels: NDArray[np.uint8], curves: Sequence[NDArray[np.float64]]
) -> NDArray[np.uint8]:
    out = np.empty_like(pixels)
    for channel, curve in enumerate(curves):
        table = np.clip(np.round(curve * 255.0), 0, 255).astype(np.uint8)
        out[..., channel] = table[pixels[..., channel]]
    return out


def _unsharp(pixels: NDArray[np.uint8], sigma: float, amount: float, cv2: Any) -> NDArray[np.uint8]:
    blurred = cv2.GaussianBlur(pixels, (0, 0), sigma)
    out: NDArray[np.uint8] = cv2.addWeighted(pixels, 1.0 + amount, blurred, -amount, 0)
    return out


def _png(pixels: NDArray[np.uint8]) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(pixels)).save(buffer, format="PNG")
    return buffer.getvalue()


def _has_exif(data: bytes) -> bool:
    from PIL import Image

    with Image.open(io.BytesIO(data)) as image:
        return bool(image.info.get("exif"))
