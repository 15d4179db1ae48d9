"""Turn command-line inputs (files, folders, globs, manifests) into the list of files.

A manifest is a ``.csv`` or ``.parquet`` file named as an input: a table with a
``path`` column (and optionally ``id``) listing the images, for collections too large
to walk or to type. Relative paths in it are relative to the manifest's folder. Its
paths are taken as listed, never opened while inputs are expanded (a path that does
not exist is reported by the loader, in order), so expanding millions of them costs
one read of the table.
"""

from __future__ import annotations

import csv
import glob
import stat
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from .io import IMAGE_EXTENSIONS, looks_like_image

_GLOB_CHARS = frozenset("*?[")
MANIFEST_SUFFIXES = (".csv", ".parquet")


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
        Files inside folders that are not images (by extension or content), and
        special files inside folders whose name does not say image.
    special : list of str
        The entries of ``files`` that are not regular files: named pipes, devices,
        sockets, folders named like images (``x.jpg/``) and, inside folders, links
        to nothing named like images. They stay in ``files``, in order, so that
        loading reports each with its own error type (``not_a_regular_file``,
        ``not_a_file``, ``not_found``) instead of their vanishing from a folder
        walk; this list only lets a caller count them. None of them is opened while
        inputs are expanded.
    ids : dict
        Path -> the ``id`` a manifest gave it (for outputs that carry it).
    """

    files: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    skipped: int = 0
    special: list[str] = field(default_factory=list)
    ids: dict[str, str] = field(default_factory=dict)

    @property
    def row_count(self) -> int:
        """How many rows a run over these inputs yields: one per file and per miss."""
        return len(self.files) + len(self.missing)


def expand_inputs(arguments: Iterable[str]) -> ExpandedInputs:
    """Expand files, folders (recursively), glob patterns and manifests.

    A file named explicitly is always kept, whatever its name, so that the loader can
    say what is wrong with it. Inside folders, regular files are kept when their
    extension or their first bytes say image; anything else found there that is named
    like an image (a named pipe, a device, a socket, a folder, a broken link) is kept
    too and listed in ``special``; hidden files and folders are skipped. Empty paths in
    a manifest are skipped.

    Raises
    ------
    ValueError
        For a manifest that cannot be read or has no ``path`` column.
    """
    result = ExpandedInputs()
    seen: set[str] = set()

    def add(path: str, special: bool = False) -> None:
        if path not in seen:
            seen.add(path)
            result.files.append(path)
            if special:
                result.special.append(path)

    for argument in arguments:
        path = Path(argument)
        if path.is_dir():
            for candidate, regular in _walk(path):
                if regular and looks_like_image(candidate):
                    add(str(candidate))
                elif not regular and candidate.suffix.lower() in IMAGE_EXTENSIONS:
                    add(str(candidate), special=True)
                else:
                    result.skipped += 1
        elif path.suffix.lower() in MANIFEST_SUFFIXES and path.is_file():
            for listed, identifier in read_manifest(path):
                if not listed:
                    result.skipped += 1
                    continue
                full = str(path.parent / listed)
                if identifier is not None and full not in seen:
                    result.ids[full] = identifier
                add(full)
        elif path.exists():
            add(str(path), special=not path.is_file())
        elif _GLOB_CHARS & set(argument):
            matches = sorted(glob.glob(argument, recursive=True))
            if not matches:
                result.missing.append(argument)
            for match in matches:
                if Path(match).is_dir():
                    result.skipped += 1
                else:
                    add(match, special=not Path(match).is_file())
        else:
            add(argument)  # the loader reports it as not found, in input order
    return result


def _walk(folder: Path) -> list[tuple[Path, bool]]:
    """Entries under ``folder`` worth judging, each with whether it is a regular file.

    Folders are walked into (links to folders are not, as ``Path.rglob`` does) and
    listed only when named like an image; FIFOs, devices, sockets and broken links
    are listed, never opened.
    """
    entries = []
    for candidate in sorted(folder.rglob("*")):
        relative = candidate.relative_to(folder)
        if any(part.startswith(".") for part in relative.parts):
            continue
        try:
            mode: int | None = candidate.stat().st_mode  # follows links
        except OSError:
            mode = None  # a broken link, or one that cannot be followed
        if mode is not None and stat.S_ISDIR(mode):
            if candidate.suffix.lower() in IMAGE_EXTENSIONS:
                entries.append((candidate, False))
        else:
            entries.append((candidate, mode is not None and stat.S_ISREG(mode)))
    return entries


def read_manifest(path: Path) -> list[tuple[str, str | None]]:
    """``(path, id or None)`` for every row of a CSV or Parquet manifest.

    Raises
    ------
    ValueError
        When the file cannot be read as one, or has no ``path`` column.
    """
    try:
        if path.suffix.lower() == ".parquet":
            paths, ids = _parquet_columns(path)
        else:
            paths, ids = _csv_columns(path)
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise ValueError(f"{path}: cannot read the manifest: {exc}") from None
    return list(zip(paths, ids, strict=True))


def _csv_columns(path: Path) -> tuple[list[str], list[str | None]]:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        if "path" not in (reader.fieldnames or ()):
            raise ValueError(f"{path}: a manifest needs a 'path' column")
        paths: list[str] = []
        ids: list[str | None] = []
        for record in reader:
            paths.append((record.get("path") or "").strip())
            identifier = record.get("id")
            ids.append(None if identifier in (None, "") else str(identifier))
    return paths, ids


def _parquet_columns(path: Path) -> tuple[list[str], list[str | None]]:
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise ValueError(
            "reading a Parquet manifest needs pyarrow: pip install 'pixelproof[distributed]'"
        ) from None
    try:
        names = pq.read_schema(path).names
        if "path" not in names:
            raise ValueError(f"{path}: a manifest needs a 'path' column")
        table = pq.read_table(path, columns=[c for c in ("path", "id") if c in names])
    except (OSError, pa_errors()) as exc:
        raise ValueError(f"{path}: cannot read the manifest: {exc}") from None
    paths = ["" if v is None else str(v).strip() for v in table.column("path").to_pylist()]
    if "id" not in names:
        return paths, [None] * len(paths)
    ids = [None if v is None else str(v) for v in table.column("id").to_pylist()]
    return paths, ids


def pa_errors() -> type[Exception]:
    """pyarrow's error base class (its invalid-file errors are not all ``OSError``)."""
    import pyarrow as pa

    return pa.ArrowException  # type: ignore[no-any-return]
