"""Regenerate the bundled example images (run from the repo root).

Photos are derived from the Kodak Lossless True Color Image Suite (released by Kodak
for unrestricted use), read from ../shared/data/photos/kodak24; everything else is
drawn here. See examples/README.md.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter
from PIL.PngImagePlugin import PngInfo

HERE = Path(__file__).resolve().parent
KODAK = HERE.parent.parent / "shared" / "data" / "photos" / "kodak24"
WIDTH = 512


def kodak(number: int) -> Image.Image:
    image = Image.open(KODAK / f"{number:02d}.png").convert("RGB")
    height = round(image.height * WIDTH / image.width)
    return image.resize((WIDTH, height), Image.Resampling.LANCZOS)


def camera_exif(orientation: int) -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "pixelproof"
    exif[0x0110] = "Example Camera 1"
    exif[0x0112] = orientation
    exif[0x0132] = "2026:11:25 12:00:00"
    return exif.tobytes()


def lighthouse() -> None:
    """A plain camera-style JPEG, stored sideways with EXIF orientation 6."""
    image = kodak(19).transpose(Image.Transpose.ROTATE_90)  # viewer rotates it back
    image.save(HERE / "lighthouse-rotated.jpg", quality=88, exif=camera_exif(6))


def spliced() -> None:
    """Parrots saved at quality 70, then a lossless patch pasted in and saved at 95.

    The patch has not been through the first compression, so error level analysis
    shows it brighter than its surroundings.
    """
    base = kodak(23)
    first = io.BytesIO()
    base.save(first, format="JPEG", quality=70)
    first.seek(0)
    composite = Image.open(first).convert("RGB")
    donor = kodak(3).crop((207, 114, 312, 236))  # the orange cap
    mask = Image.new("L", donor.size, 0)
    ImageDraw.Draw(mask).ellipse((6, 4, donor.width - 6, donor.height - 8), fill=255)
    composite.paste(donor, (40, 30), mask.filter(ImageFilter.GaussianBlur(2)))
    composite.save(HERE / "parrots-spliced.jpg", quality=95, exif=camera_exif(1))


def generated() -> None:
    """A drawn image carrying AUTOMATIC1111-style generation parameters."""
    rng = np.random.default_rng(7)
    y, x = np.mgrid[0:384, 0:512] / 384.0
    sky = np.stack([0.35 + 0.4 * y, 0.45 + 0.3 * y, 0.85 - 0.2 * y], axis=2)
    image = Image.fromarray((np.clip(sky, 0, 1) * 255).astype(np.uint8), "RGB")
    draw = ImageDraw.Draw(image)
    draw.ellipse((330, 40, 430, 140), fill=(255, 214, 120))
    for index in range(5):
        left = int(rng.integers(-80, 420))
        top = int(260 + 20 * index)
        shade = 60 + 25 * index
        draw.polygon([(left, 384), (left + 160, top), (left + 320, 384)], fill=(shade, 90, 70))
    image = image.filter(ImageFilter.GaussianBlur(1.2))
    info = PngInfo()
    info.add_text(
        "parameters",
        "a quiet mountain valley at sunset, warm light\n"
        "Negative prompt: blurry\n"
        "Steps: 30, Sampler: DPM++ 2M, CFG scale: 7, Seed: 1234567890, "
        "Size: 512x384, Model: example-model-v1",
    )
    image.save(HERE / "valley-generated.png", pnginfo=info)


def logo_with_alpha() -> None:
    """A palette PNG with transparency, to show how such files are normalized."""
    image = Image.new("RGBA", (256, 256), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((24, 24, 232, 232), radius=40, fill=(32, 96, 200, 255))
    draw.ellipse((80, 80, 176, 176), fill=(255, 255, 255, 255))
    image.quantize(colors=8).save(HERE / "logo-palette.png", transparency=0)


def hats() -> None:
    """A photo without any metadata, as it looks after sharing online."""
    kodak(3).save(HERE / "hats-shared.jpg", quality=80)


if __name__ == "__main__":
    lighthouse()
    spliced()
    generated()
    logo_with_alpha()
    hats()
