"""Harness: opening a hostile SQLite file as a provenance index, then using it.

The bytes are written as an index file (no FAISS snapshot beside it) and opened
read-only, then read: its length, records, stored vectors, statistics (which build
the FAISS tier from the stored vectors) and a candidate search. Then it is opened for
writing and one of its images removed, which rewrites the FAISS snapshot on close.

Acceptable: ``IndexFormatError`` (not an index, an incompatible version or damaged
content), and ``FileNotFoundError`` for an index with no settings yet, opened
read-only. Anything else (a ``sqlite3`` error, a numpy or FAISS error, a hang or a
crash in FAISS) is a finding.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import numpy as np

from fuzz._common import guarded, instrumented, main

with instrumented(__name__ == "__main__"):
    from pixelproof.match import IndexFormatError, ProvenanceIndex

ACCEPTABLE: tuple[type[BaseException], ...] = (IndexFormatError, FileNotFoundError)
_FOLDER = Path(tempfile.mkdtemp(prefix="pixelproof-fuzz-index-"))


def check(data: bytes) -> None:
    shutil.rmtree(_FOLDER, ignore_errors=True)
    _FOLDER.mkdir(parents=True)
    path = _FOLDER / "index.db"
    path.write_bytes(data)
    with ProvenanceIndex(path, readonly=True) as index:
        len(index)  # may disagree with the records in a damaged file: COUNT(*) reads
        records = list(index.records())  # an index b-tree, which SQLite does not check
        ids, vectors = index.vectors()
        assert len(ids) == len(vectors)
        index.stats()
        dim = index.descriptor.dim
        query = np.full((2, dim), 1.0 / np.sqrt(dim), np.float32)
        index.candidates(query, 5)
    with ProvenanceIndex(path) as index:
        if records:
            index.remove([records[0].sha256])
            len(index)


one_input = guarded(check, ACCEPTABLE)

if __name__ == "__main__":
    main(one_input)
