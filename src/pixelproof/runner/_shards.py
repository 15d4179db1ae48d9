"""Shards: a long job's rows kept on disk in fixed slices of its inputs, so it can resume.

A job's inputs are cut into consecutive shards of ``size`` files; the rows of shard
``k`` go to ``<folder>/shard-<k>.rows`` once all of them exist (written to a temporary
file, then renamed: a shard file is complete or absent). A job that is killed and
started again with the same inputs finds the finished shards and computes only the
others. The folder is named after the inputs and what is computed (:func:`job_folder`),
so a different job never picks up another's shards.

Shard files are pickles, like everything Ray passes between processes: the folder is
the job's own scratch space and must not be writable by anyone the job does not trust.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ._row import Row

DEFAULT_SHARD_SIZE = 64


@dataclass(frozen=True)
class Shard:
    """One slice of a job's inputs and the file its rows go to."""

    number: int
    paths: tuple[str, ...]
    file: str

    @property
    def done(self) -> bool:
        return os.path.exists(self.file)

    def rows(self) -> list[Row[Any]]:
        """The rows written for this shard."""
        with open(self.file, "rb") as handle:
            rows: list[Row[Any]] = pickle.load(handle)
        if len(rows) != len(self.paths):
            raise ValueError(f"{self.file}: {len(rows)} rows for {len(self.paths)} inputs")
        return rows


def job_folder(parent: Path, files: Sequence[str], what: str) -> Path:
    """``<parent>/job-<hash>``: the hash covers the input list and ``what`` is computed."""
    digest = hashlib.sha256(what.encode())
    for path in files:
        digest.update(path.encode("utf-8", "surrogateescape") + b"\x00")
    return parent / f"job-{digest.hexdigest()[:16]}"


def plan_shards(files: Sequence[str], folder: Path, size: int = DEFAULT_SHARD_SIZE) -> list[Shard]:
    """Cut ``files`` into shards of ``size`` whose rows go under ``folder``."""
    if size < 1:
        raise ValueError(f"shard size must be positive, got {size}")
    return [
        Shard(k, tuple(files[start : start + size]), str(folder / f"shard-{k:06d}.rows"))
        for k, start in enumerate(range(0, len(files), size))
    ]


def write_shard(target: str, rows: list[Row[Any]]) -> None:
    """Write a shard's rows atomically (temporary file, fsync, rename)."""
    folder = os.path.dirname(target) or "."
    os.makedirs(folder, exist_ok=True)
    handle, temp = tempfile.mkstemp(dir=folder, prefix=".shard-", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            pickle.dump(rows, out, protocol=pickle.HIGHEST_PROTOCOL)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, target)
    finally:
        if os.path.exists(temp):
            os.unlink(temp)
