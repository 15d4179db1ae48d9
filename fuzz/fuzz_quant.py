"""Harness: JPEG segments and quantization tables (DQT), and the encoder guess from them.

The bytes are walked as a JPEG container; the tables found are identified (IJG quality,
Photoshop settings) and judged against a camera name. Nothing is acceptable.
"""

from __future__ import annotations

import numpy as np

from fuzz._common import guarded, instrumented, main

with instrumented(__name__ == "__main__"):
    from pixelproof.metadata._consistency import quant_finding
    from pixelproof.metadata._containers import walk_container
    from pixelproof.metadata._quant import identify_tables

ACCEPTABLE: tuple[type[BaseException], ...] = ()


def check(data: bytes) -> None:
    if not data.startswith(b"\xff\xd8"):
        data = b"\xff\xd8" + data
    walked = walk_container(data, "JPEG")
    for table_id, table in walked.quant_tables.items():
        assert 0 <= table_id <= 3 and table.shape == (8, 8) and table.dtype == np.uint16
    match = identify_tables(walked.quant_tables)
    quant_finding(match, camera="Canon EOS 40D", software=None)


one_input = guarded(check, ACCEPTABLE)

if __name__ == "__main__":
    main(one_input)
