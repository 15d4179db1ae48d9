"""Harness: the XMP packet parser and the fields read from it.

Acceptable: ``XmpRefusedError`` from ``parse_xmp`` (unsafe, oversized or malformed
packets); reading the report's fields from a packet never raises.
"""

from __future__ import annotations

from fuzz._common import guarded, instrumented, main

with instrumented(__name__ == "__main__"):
    from pixelproof.metadata._fields import Reading
    from pixelproof.metadata._xmp import XmpRefusedError, parse_xmp

ACCEPTABLE: tuple[type[BaseException], ...] = (XmpRefusedError,)


def check(data: bytes) -> None:
    reading = Reading("<fuzz>", "JPEG", b"", None, [])
    reading.xmp_fields(data)  # catches XmpRefusedError itself
    reading.history()
    parse_xmp(data)


one_input = guarded(check, ACCEPTABLE)

if __name__ == "__main__":
    main(one_input)
