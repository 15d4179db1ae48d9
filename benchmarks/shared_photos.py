"""The shared photos as benchmark material: which files are copies of each other.

Imported by the benchmark scripts of this folder (run from the repository root).
"""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PHOTOS = REPO.parent / "shared" / "data" / "photos"

KNOWN_DUPLICATES = [
    # The 8 landscape files are one photo under the 8 EXIF orientations, and so are the
    # 8 portrait files; landscape and portrait are two different photos of one waterfall.
    ("exif-samples/jpg/orientation/landscape_",),
    ("exif-samples/jpg/orientation/portrait_",),
    ("set5-set14/butterfly.png", "set5-set14/monarch.png"),  # Set5's is a crop of Set14's
    ("exif-samples/jpg/hdr/canon_hdr_NO.jpg", "exif-samples/jpg/hdr/canon_hdr_YES.jpg"),
    ("exif-samples/jpg/hdr/iphone_hdr_NO.jpg", "exif-samples/jpg/hdr/iphone_hdr_YES.jpg"),
    ("set5-set14/head.png", "set5-set14/face.png"),
]


def family_of(relative: str) -> str:
    """One name for all files (paths relative to the photos folder) of one photo."""
    for group in KNOWN_DUPLICATES:
        if any(relative.startswith(member) or relative == member for member in group):
            return "dup:" + group[0]
    return relative
