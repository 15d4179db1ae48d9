"""Turn command-line inputs (files, folders, globs) into the list of files to process."""

from __future__ import annotations

import glob
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from .io import looks_like_image

_GLOB_CHARS = frozenset("*?[")


@dataclass
class ExpandedInputs:
    """Result of :func:`expand_inputs`.

    Attributes
    ----------
    files : list of str
        Files to process, in a stable order, without duplicates.
    missing : list of str
        Glob patterns that matched nothing (they become error rows). Plain paths
        that do not exist stay in ``files``, where loading reports them.
    skipped : int
        Files inside folders that are not images (by extension or content).
    """

    files: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    skipped: int = 0


def expand_inputs(arguments: Iterable[str]) -> ExpandedInputs:
    """Expand files, folders (recursively) and glob patterns.

    A file named explicitly is always kept, whatever its name, so that the loader can
    say what is wrong with it. Inside folders, files are kept when their extension or
    their first bytes say image; hidden files and folders are skipped.
    """
    result = ExpandedInputs()
    seen: set[str] = set()

    def add(path: str) -> None:
        if path not in seen:
            seen.add(path)
            result.files.append(path)

    for argument in arguments:
        path = Path(argument)
        if path.is_dir():
            for candidate in _walk(path):
                if looks_like_image(candidate):
                    add(str(candidate))
                else:
                    result.skipped += 1
        elif path.exists():
            add(str(path))
        elif _GLOB_CHARS & set(argument):
            matches = sorted(glob.glob(argument, recursive=True))
            if not matches:
                result.missing.append(argument)
            for match in matches:
                if Path(match).is_dir():
                    result.skipped += 1
                else:
                    add(match)
        else:
            add(argument)  # the loader reports it as not found, in input order
    return result


def _walk(folder: Path) -> list[Path]:
    files = []
    for candidate in sorted(folder.rglob("*")):
        relative = candidate.relative_to(folder)
        if any(part.startswith(".") for part in relative.parts):
            continue
        if candidate.is_file():
            files.append(candidate)
    return files
