"""Harness: ``pixelproof.metadata.read_metadata`` on arbitrary bytes (C2PA included).

Acceptable: ``ImageLoadError`` only, for bytes that are not an image at all; files whose
pixels cannot be decoded still get their metadata read. The report must serialize to
JSON, as ``pixelproof meta --json`` writes it.
"""

from __future__ import annotations

import json

from fuzz._common import guarded, instrumented, main

with instrumented(__name__ == "__main__"):
    from PIL import Image

    from pixelproof.io import ImageLoadError, LoadLimits
    from pixelproof.metadata import read_metadata

    Image.init()

ACCEPTABLE: tuple[type[BaseException], ...] = (ImageLoadError,)
MAX_PIXELS = 4_000_000


def check(data: bytes) -> None:
    report = read_metadata(data, limits=LoadLimits(max_pixels=MAX_PIXELS))
    json.dumps(report.to_dict())


one_input = guarded(check, ACCEPTABLE)

if __name__ == "__main__":
    main(one_input)
