"""Attacks used by the watermark benchmark (a stand-in until ``pixelproof.bench`` exists).

Every attack takes an (H, W, 3) uint8 RGB array and a ``numpy.random.Generator`` and
returns a new uint8 array (grey attacks return RGB with equal channels).
"""

from __future__ import annotations

import io
from collections.abc import Callable

import cv2
import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageDraw, ImageEnhance, ImageFilter

Array = NDArray[np.uint8]
Attack = Callable[[Array, np.random.Generator], Array]


def _pil(a: Array) -> Image.Image:
    return Image.fromarray(a, "RGB")


def _arr(im: Image.Image) -> Array:
    return np.asarray(im.convert("RGB"), dtype=np.uint8).copy()


def jpeg(q: int) -> Attack:
    def f(a: Array, rng: np.random.Generator) -> Array:
        buf = io.BytesIO()
        _pil(a).save(buf, "JPEG", quality=q)
        return _arr(Image.open(io.BytesIO(buf.getvalue())))

    return f


def webp(q: int) -> Attack:
    def f(a: Array, rng: np.random.Generator) -> Array:
        buf = io.BytesIO()
        _pil(a).save(buf, "WEBP", quality=q)
        return _arr(Image.open(io.BytesIO(buf.getvalue())))

    return f


def resize(s: float, sy: float | None = None) -> Attack:
    def f(a: Array, rng: np.random.Generator) -> Array:
        h, w = a.shape[:2]
        size = (max(1, round(w * s)), max(1, round(h * (sy if sy is not None else s))))
        return _arr(_pil(a).resize(size, Image.Resampling.BICUBIC, reducing_gap=None))

    return f


def crop(area: float, offset: bool = False) -> Attack:
    def f(a: Array, rng: np.random.Generator) -> Array:
        h, w = a.shape[:2]
        k = np.sqrt(area)
        ch, cw = round(h * k), round(w * k)
        if offset:
            y0 = int(rng.integers(0, h - ch + 1))
            x0 = int(rng.integers(0, w - cw + 1))
        else:
            y0, x0 = (h - ch) // 2, (w - cw) // 2
        return a[y0 : y0 + ch, x0 : x0 + cw].copy()

    return f


def rotate(deg: float, crop_corners: bool = False) -> Attack:
    def f(a: Array, rng: np.random.Generator) -> Array:
        im = _pil(a).rotate(deg, resample=Image.Resampling.BICUBIC, expand=False)
        out = _arr(im)
        if crop_corners:
            h, w = out.shape[:2]
            t = np.radians(abs(deg))
            # largest centred rectangle with the image's aspect inside the rotated frame
            k = 1.0 / (np.cos(t) + np.sin(t) * max(h / w, w / h))
            ch, cw = int(h * k), int(w * k)
            y0, x0 = (h - ch) // 2, (w - cw) // 2
            out = out[y0 : y0 + ch, x0 : x0 + cw].copy()
        return out

    return f


def hflip(a: Array, rng: np.random.Generator) -> Array:
    return a[:, ::-1].copy()


def blur(sigma: float) -> Attack:
    def f(a: Array, rng: np.random.Generator) -> Array:
        return cv2.GaussianBlur(a, (0, 0), sigma)

    return f


def noise(sigma: float) -> Attack:
    def f(a: Array, rng: np.random.Generator) -> Array:
        n = rng.normal(0.0, sigma, a.shape)
        return np.clip(np.rint(a + n), 0, 255).astype(np.uint8)

    return f


def enhance(kind: str, factor: float) -> Attack:
    cls = {
        "bright": ImageEnhance.Brightness,
        "contrast": ImageEnhance.Contrast,
        "color": ImageEnhance.Color,
    }[kind]

    def f(a: Array, rng: np.random.Generator) -> Array:
        return _arr(cls(_pil(a)).enhance(factor))

    return f


def gamma(g: float) -> Attack:
    lut = np.clip(np.rint(255.0 * (np.arange(256) / 255.0) ** g), 0, 255).astype(np.uint8)

    def f(a: Array, rng: np.random.Generator) -> Array:
        return lut[a]

    return f


def gray(a: Array, rng: np.random.Generator) -> Array:
    return _arr(_pil(a).convert("L"))


def median(k: int) -> Attack:
    def f(a: Array, rng: np.random.Generator) -> Array:
        return cv2.medianBlur(a, k)

    return f


def sharpen(a: Array, rng: np.random.Generator) -> Array:
    return _arr(_pil(a).filter(ImageFilter.SHARPEN))


def text(a: Array, rng: np.random.Generator) -> Array:
    im = _pil(a)
    d = ImageDraw.Draw(im)
    h, w = a.shape[:2]
    size = max(12, h // 12)
    for i in range(4):
        y = int(h * (0.1 + 0.22 * i))
        d.text((w // 10, y), "pixelproof sample text", fill=(255, 255, 255), font_size=size)
    return _arr(im)


def caption_bar(a: Array, rng: np.random.Generator) -> Array:
    im = _pil(a)
    d = ImageDraw.Draw(im)
    h, w = a.shape[:2]
    bar = h // 7
    d.rectangle((0, h - bar, w, h), fill=(0, 0, 0))
    d.text(
        (w // 20, h - bar + bar // 5), "Breaking: caption", fill=(255, 255, 255), font_size=bar // 2
    )
    return _arr(im)


def compose(*attacks: Attack) -> Attack:
    def f(a: Array, rng: np.random.Generator) -> Array:
        for attack in attacks:
            a = attack(a, rng)
        return a

    return f


ATTACKS: dict[str, Attack] = {
    "none": lambda a, rng: a.copy(),
    "jpeg90": jpeg(90),
    "jpeg75": jpeg(75),
    "jpeg50": jpeg(50),
    "jpeg30": jpeg(30),
    "webp50": webp(50),
    "resize0.5": resize(0.5),
    "resize0.75": resize(0.75),
    "resize1.5": resize(1.5),
    "stretch0.8": resize(0.8, 1.0),
    "crop0.75": crop(0.75),
    "crop0.5": crop(0.5),
    "crop0.5off": crop(0.5, offset=True),
    "rot5": rotate(5),
    "rot15": rotate(15),
    "rot5crop": rotate(5, crop_corners=True),
    "rot15crop": rotate(15, crop_corners=True),
    "hflip": hflip,
    "blur1": blur(1.0),
    "blur2": blur(2.0),
    "noise5": noise(5.0),
    "noise12": noise(12.0),
    "bright1.3": enhance("bright", 1.3),
    "contrast1.5": enhance("contrast", 1.5),
    "saturate2": enhance("color", 2.0),
    "gamma0.7": gamma(0.7),
    "gray": gray,
    "median3": median(3),
    "sharpen": sharpen,
    "text": text,
    "caption": caption_bar,
    "social": compose(crop(0.64, offset=True), resize(0.75), jpeg(75)),
}
