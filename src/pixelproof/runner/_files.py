"""Side files (heat-maps, marked images): one naming rule, one safe way to write.

Writing goes through :func:`pixelproof.io.write_output`: a temporary file in the target
folder renamed into place, never through an existing symbolic link, never over an input.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from ..io import write_output

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def side_file_path(folder: Path, source: str, sha256: str, name: str, suffix: str) -> Path:
    """``<folder>/<stem>-<sha8>.<name><suffix>``: the file hash keeps equal stems apart."""
    stem = _UNSAFE.sub("_", Path(source).stem)[:80] or "image"
    return folder / f"{stem}-{sha256[:8]}.{_UNSAFE.sub('_', name)}{suffix}"


def write_side_file(target: Path, data: bytes, *, protect: Iterable[str] = ()) -> str:
    """Write ``data`` to ``target`` safely; returns the path written, as text.

    Raises
    ------
    UnsafeOutputError
        When ``target`` is a symbolic link, not a regular file, or one of ``protect``.
    """
    return str(write_output(target, data, protect=protect))
