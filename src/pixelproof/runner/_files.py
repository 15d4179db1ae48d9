"""Side files (heat-maps, marked images): one naming rule, one safe way to write.

A side file is written to a temporary file in the target folder and renamed into place,
so a reader never sees half a file; an existing symbolic link at the target is never
followed, and an input file is never replaced.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterable
from pathlib import Path

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


class UnsafeOutputError(OSError):
    """The output path is a symbolic link or one of the inputs."""


def side_file_path(folder: Path, source: str, sha256: str, name: str, suffix: str) -> Path:
    """``<folder>/<stem>-<sha8>.<name><suffix>``: the file hash keeps equal stems apart."""
    stem = _UNSAFE.sub("_", Path(source).stem)[:80] or "image"
    return folder / f"{stem}-{sha256[:8]}.{_UNSAFE.sub('_', name)}{suffix}"


def write_side_file(target: Path, data: bytes, *, protect: Iterable[str] = ()) -> str:
    """Write ``data`` to ``target`` atomically; returns the path written, as text.

    Raises
    ------
    UnsafeOutputError
        When ``target`` is a symbolic link or the same file as one of ``protect``.
    """
    if target.is_symlink():
        raise UnsafeOutputError(f"refusing to write through the symbolic link {target}")
    for source in protect:
        if _same_file(target, Path(source)):
            raise UnsafeOutputError(f"refusing to overwrite the input {source}")
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".pixelproof-", suffix=".tmp")
    try:
        os.fchmod(handle, 0o644)  # mkstemp makes owner-only files; outputs are shared
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return str(target)


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return False
