"""Harness: Photoshop Image Resource Blocks and the IPTC IIM records inside them.

The bytes are read both as an IRB (as in JPEG APP13) and as bare IIM (as in TIFF tag
33723). Problems become warnings: nothing is acceptable.
"""

from __future__ import annotations

from fuzz._common import guarded, instrumented, main

with instrumented(__name__ == "__main__"):
    from pixelproof.metadata._fields import Reading
    from pixelproof.metadata._iptc import IPTC_RESOURCE, parse_iim, parse_photoshop_irb

ACCEPTABLE: tuple[type[BaseException], ...] = ()


def check(data: bytes) -> None:
    warnings: list[str] = []
    resources, _ = parse_photoshop_irb(data, warnings)
    parse_iim(resources.get(IPTC_RESOURCE, b""), warnings)
    parse_iim(data, warnings)
    reading = Reading("<fuzz>", "JPEG", b"", None, [])
    reading.iptc_fields(data, data)


one_input = guarded(check, ACCEPTABLE)

if __name__ == "__main__":
    main(one_input)
