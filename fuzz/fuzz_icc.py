"""Harness: ``describe_icc`` on arbitrary bytes (header fields, then LittleCMS).

A damaged profile gives a warning and what the header says: nothing is acceptable.
"""

from __future__ import annotations

from fuzz._common import guarded, instrumented, main

with instrumented(__name__ == "__main__"):
    from pixelproof.metadata._icc import describe_icc
    from pixelproof.metadata._read import jsonable

ACCEPTABLE: tuple[type[BaseException], ...] = ()


def check(data: bytes) -> None:
    warnings: list[str] = []
    info = describe_icc(data, warnings)
    assert (info is None) == (not data)
    jsonable(info)


one_input = guarded(check, ACCEPTABLE)

if __name__ == "__main__":
    main(one_input)
