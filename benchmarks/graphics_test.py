"""The forensic graphics test's three measures on named graphics and low-texture photos.

Usage (from the repository root)::

    .venv/bin/python benchmarks/graphics_test.py [--shared ../shared/data]

Flat graphics (drawings, slides, a blue rectangle) make every photographic forensic
analysis step aside (``ImageContext.flat_graphic``): at least 45% of the 8x8 blocks
flat, 70% of the pixels in the 8 most common coarse colours *and* one exact colour over
a quarter of the frame (the "fill"). This prints the three measures and the decision for
the graphics of the shared data and for the photos that resemble them most (fog, snow, a
crushed black background), as they are, after one JPEG save at quality 90 and at 70, and
after two saves (90, then 80), each by Pillow (4:2:0). The README's figures on the test
come from this table.
"""

from __future__ import annotations

import argparse
import io
from pathlib import Path

from PIL import Image

from pixelproof.forensics import as_context

# (name, path under the shared data folder, what it is)
IMAGES = (
    ("BlueSquare", "photos/exif-samples/jpg/xmp/BlueSquare.jpg", "graphic"),
    ("Tless0", "photos/exif-samples/tiff/Tless0.tiff", "graphic"),
    ("Picoawards", "photos/exif-samples/tiff/Picoawards.tiff", "graphic"),
    ("Jobagent", "photos/exif-samples/tiff/Jobagent.tiff", "graphic"),
    ("Rudless", "photos/exif-samples/tiff/Rudless.tiff", "graphic"),
    ("Set14 ppt3 (slide)", "photos/set5-set14/ppt3.png", "graphic"),
    (
        "ColdRipple (foggy pier)",
        "photos/debian-wallpapers/plasma-workspace-wallpapers/ColdRipple.jpg",
        "photo",
    ),
    ("Kodak 20", "photos/kodak24/20.png", "photo"),
    ("BSDS 167062 (snowfield)", "photos/bsds-cbsd68/167062.png", "photo"),
    (
        "ImageNet 00671 (black background)",
        "ai-train/sd1-diffusiondb-vs-coco/real/imagenet_00671.jpg",
        "photo",
    ),
)

# (label, qualities of the successive JPEG saves)
VERSIONS = (("as is", ()), ("q90", (90,)), ("q70", (70,)), ("q90 then q80", (90, 80)))


def saved(image: Image.Image, qualities: tuple[int, ...]) -> bytes | Image.Image:
    """``image`` after JPEG saves at ``qualities`` (the encoded bytes), or as it is."""
    data = None
    for quality in qualities:
        buffer = io.BytesIO()
        image.save(buffer, "JPEG", quality=quality)
        data = buffer.getvalue()
        image = Image.open(io.BytesIO(data)).convert("RGB")
    return image if data is None else data


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shared", type=Path, default=Path("../shared/data"))
    args = parser.parse_args()
    print("| image | kind | version | flat blocks | 8-colour share | fill | graphic |")
    print("|---|---|---|---:|---:|---:|---|")
    for name, relative, kind in IMAGES:
        path = args.shared / relative
        if not path.is_file():
            print(f"| {name} | {kind} | missing: {path} | | | | |")
            continue
        with Image.open(path) as opened:
            rgb = opened.convert("RGB")
        for label, qualities in VERSIONS:
            graphic, flat, colours, fill = as_context(saved(rgb, qualities)).flat_graphic
            print(
                f"| {name} | {kind} | {label} | {flat:.2f} | {colours:.2f} | {fill:.2f} "
                f"| {'yes' if graphic else 'no'} |"
            )


if __name__ == "__main__":
    main()
