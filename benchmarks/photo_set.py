"""Make a folder of distinct benchmark photos from ``../shared/data/photos`` (links only).

Usage (from the repository root)::

    # copy detection: all 200 distinct photos
    .venv/bin/python benchmarks/photo_set.py /tmp/match-photos
    .venv/bin/pixelproof bench match --data /tmp/match-photos --suite match \\
        --queries-per-image 6 --baselines phash,pdq,sscd --out /tmp/bench-match
    # watermark: Kodak plus two sets it was not tuned on (66 photos)
    .venv/bin/python benchmarks/photo_set.py /tmp/wm-photos \\
        --sets kodak24,set5-set14,debian-wallpapers
    .venv/bin/pixelproof bench watermark --data /tmp/wm-photos --size 512 --out /tmp/wm512

The folder gets one symbolic link per distinct photo of the chosen sets (by default
``kodak24``, ``bsds-cbsd68``, ``set5-set14``, ``debian-wallpapers`` and
``exif-samples/jpg``), named after its path (``kodak24__01.png``). Left out: files the
loader rejects, images under 64 pixels a side, blank images (one flat colour: nothing
identifies them, so any blank image "copies" any other), and all but the first file
of each group of known copies (``KNOWN_DUPLICATES`` in ``shared_photos.py``), so that no
query has two right answers.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from shared_photos import PHOTOS, family_of

SETS = ("kodak24", "bsds-cbsd68", "set5-set14", "debian-wallpapers", "exif-samples/jpg")
MIN_SIDE = 64
BLANK_STD = 1.0  # grey-level standard deviation below which an image is one flat colour


def distinct_photos(
    photos: Path, sets: tuple[str, ...] = SETS
) -> tuple[list[Path], dict[str, int]]:
    """The photos to benchmark with, and how many files each rule left out."""

    from pixelproof.inputs import expand_inputs
    from pixelproof.io import ImageLoadError, load_image

    kept: list[Path] = []
    families: set[str] = set()
    skipped = {"unreadable": 0, "small": 0, "blank": 0, "duplicate": 0}
    files = expand_inputs([str(photos / name) for name in sets]).files
    for path in sorted(Path(f) for f in files):
        family = family_of(str(path.relative_to(photos)))
        if family in families:
            skipped["duplicate"] += 1
            continue
        try:
            pixels = load_image(path).pixels
        except ImageLoadError:
            skipped["unreadable"] += 1
            continue
        if min(pixels.shape[:2]) < MIN_SIDE:
            skipped["small"] += 1
            continue
        if float(pixels.mean(axis=2).std()) < BLANK_STD:
            skipped["blank"] += 1
            continue
        families.add(family)
        kept.append(path)
    return kept, skipped


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("out", type=Path, help="folder to create (links only)")
    parser.add_argument("--photos", type=Path, default=PHOTOS)
    parser.add_argument("--sets", default=",".join(SETS), help="comma-separated sub-folders")
    args = parser.parse_args()
    kept, skipped = distinct_photos(args.photos, tuple(args.sets.split(",")))
    args.out.mkdir(parents=True, exist_ok=True)
    for path in kept:
        link = args.out / "__".join(path.relative_to(args.photos).parts)
        if not link.is_symlink():
            link.symlink_to(path.resolve())
    print(f"{len(kept)} photos linked in {args.out}; left out: {skipped}")


if __name__ == "__main__":
    main()
