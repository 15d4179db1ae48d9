"""Harness: reading and validating C2PA manifests (c2pa-python) from arbitrary bytes.

``read_c2pa`` reports validation failures as data, never as exceptions: nothing is
acceptable, and the report must serialize to JSON. The format given to c2pa is the
sniffed one (as ``read_metadata`` passes it).
"""

from __future__ import annotations

import json

from fuzz._common import guarded, instrumented, main

with instrumented(__name__ == "__main__"):
    from pixelproof.io import sniff_format
    from pixelproof.metadata import read_c2pa

ACCEPTABLE: tuple[type[BaseException], ...] = ()


def check(data: bytes) -> None:
    report = read_c2pa(data, fmt=sniff_format(data[:32]))
    json.dumps(report.to_dict())


one_input = guarded(check, ACCEPTABLE)

if __name__ == "__main__":
    main(one_input)
