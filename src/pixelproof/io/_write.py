"""Write output files without following links and without overwriting inputs."""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from collections.abc import Iterable
from pathlib import Path

from ._errors import UnsafeOutputError

_CREATE_FLAGS = (
    os.O_WRONLY
    | os.O_CREAT
    | os.O_EXCL
    | getattr(os, "O_NOFOLLOW", 0)
    | getattr(os, "O_CLOEXEC", 0)
    | getattr(os, "O_BINARY", 0)
)


class ProtectedFiles:
    """Files that :func:`write_output` must never replace, identified once.

    Each file is remembered by device and inode number (so another spelling of the
    same file, a link to it or a hard link is recognised) and by resolved path. Build
    one for a whole batch and pass it to every :func:`write_output` call: checking
    against a plain list of paths costs one ``stat`` per path and write.
    """

    def __init__(self, paths: Iterable[str | Path] = ()) -> None:
        self._ids: set[tuple[int, int]] = set()
        self._paths: set[Path] = set()
        for path in paths:
            path = Path(path)
            try:
                info = os.stat(path)
                self._ids.add((info.st_dev, info.st_ino))
            except OSError:
                pass
            with contextlib.suppress(OSError, RuntimeError):  # RuntimeError: a link loop
                self._paths.add(path.resolve())

    def __contains__(self, target: object) -> bool:
        if not isinstance(target, str | Path):
            return False
        try:
            info = os.stat(target)
        except OSError:
            info = None
        if info is not None and (info.st_dev, info.st_ino) in self._ids:
            return True
        try:
            return Path(target).resolve() in self._paths
        except (OSError, RuntimeError):
            return False


def write_output(
    target: str | Path,
    data: bytes | Iterable[bytes],
    *,
    protect: ProtectedFiles | Iterable[str | Path] = (),
) -> Path:
    """Write ``data`` to ``target`` safely: all of it, or nothing.

    The bytes go to a new temporary file in the target's folder (created exclusively,
    never through a link), which is then renamed over ``target``: a reader never sees
    a half-written file, and an interrupted write leaves the old file as it was.

    Parameters
    ----------
    target : str or Path
        The output file. Its folder must exist.
    data : bytes or iterable of bytes
        The complete content, or its pieces in order (written as they come, so a
        large page need not be held in memory; an exception while they are made
        leaves ``target`` untouched).
    protect : ProtectedFiles or iterable of str or Path
        Files that must never be replaced, typically the inputs being processed,
        compared with ``target`` by device and inode number and by resolved path.

    Returns
    -------
    Path
        ``target``.

    Raises
    ------
    UnsafeOutputError
        (code ``unsafe_output``) when ``target`` is a symbolic link (even a broken
        one), exists but is not a regular file, or is one of the protected files.
        Nothing is written then.
    OSError
        When the folder is missing or not writable.
    """
    target = Path(target)
    protected = protect if isinstance(protect, ProtectedFiles) else ProtectedFiles(protect)
    _check_target(target, protected)
    handle, temporary = _create_temporary(target.parent, target.name)
    try:
        with open(handle, "wb") as out:
            if isinstance(data, bytes | bytearray | memoryview):
                out.write(data)
            else:
                for chunk in data:
                    out.write(chunk)
        _check_target(target, protected)  # again, as late as possible before the rename
        os.replace(temporary, target)  # replaces a link itself, never what it points to
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    return target


def check_output(
    target: str | Path, *, protect: ProtectedFiles | Iterable[str | Path] = ()
) -> None:
    """Raise :class:`UnsafeOutputError` now if :func:`write_output` would refuse
    ``target`` (a link, not a regular file, one of ``protect``): a command checks its
    output before hours of work, and :func:`write_output` checks again when it writes.
    """
    protected = protect if isinstance(protect, ProtectedFiles) else ProtectedFiles(protect)
    _check_target(Path(target), protected)


def _check_target(target: Path, protected: ProtectedFiles) -> None:
    try:
        info = os.lstat(target)
    except FileNotFoundError:
        return
    if stat.S_ISLNK(info.st_mode):
        raise UnsafeOutputError(
            f"{target} is a symbolic link; refusing to write through it (remove it first)"
        )
    if not stat.S_ISREG(info.st_mode):
        raise UnsafeOutputError(f"{target} exists and is not a regular file; not replaced")
    if target in protected:
        raise UnsafeOutputError(
            f"{target} is one of the input files; refusing to overwrite it "
            "(choose another output folder or name)"
        )


def _create_temporary(folder: Path, name: str) -> tuple[int, Path]:
    """A new, empty file next to the target, created exclusively (mode from the umask)."""
    for _ in range(100):
        candidate = folder / f".{name}.{secrets.token_hex(6)}.tmp"
        try:
            return os.open(candidate, _CREATE_FLAGS, 0o666), candidate
        except FileExistsError:
            continue
    raise FileExistsError(f"cannot create a temporary file in {folder}")
