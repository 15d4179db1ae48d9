"""Harness: the container walkers (JPEG, PNG, WebP, HEIF/AVIF, TIFF) of the metadata reader.

The format is the sniffed one, or chosen by the first byte for bytes that are not an
image, so that every walker sees damaged and foreign input. Nothing is acceptable.
"""

from __future__ import annotations

from fuzz._common import guarded, instrumented, main

with instrumented(__name__ == "__main__"):
    from pixelproof.io import sniff_format
    from pixelproof.metadata._containers import walk_container

ACCEPTABLE: tuple[type[BaseException], ...] = ()
FORMATS = ("JPEG", "PNG", "WEBP", "HEIF", "AVIF", "TIFF", "MPO")


def check(data: bytes) -> None:
    fmt = sniff_format(data[:32]) or (FORMATS[data[0] % len(FORMATS)] if data else "JPEG")
    walked = walk_container(data, fmt)
    assert len(walked.structure) <= 200_000


one_input = guarded(check, ACCEPTABLE)

if __name__ == "__main__":
    main(one_input)
