"""Read untrusted paths safely: regular files only, never more bytes than allowed.

A path may name a named pipe (opening it blocks until a writer appears), a device
(``/dev/zero`` never ends, ``/dev/random`` blocks) or a socket. Such paths are refused
from their file type before they are opened; the file is then opened without
blocking and its type checked again on the open descriptor, in case the path was
swapped in between. Reads are bounded by the bytes actually read, not by the size
the file system reports.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from ._errors import FileTooLargeError, NotARegularFileError

_OPEN_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NONBLOCK", 0)
    | getattr(os, "O_NOCTTY", 0)
    | getattr(os, "O_CLOEXEC", 0)
    | getattr(os, "O_BINARY", 0)
)
_READ_STEP = 1 << 20

_SPECIAL_KINDS = (
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def special_file_kind(mode: int) -> str | None:
    """Plain-language kind of a non-regular, non-folder file mode, or None."""
    if stat.S_ISREG(mode) or stat.S_ISDIR(mode):
        return None
    for test, kind in _SPECIAL_KINDS:
        if test(mode):
            return kind
    return f"a special file (type {stat.S_IFMT(mode):#o})"


def check_regular(mode: int, path: str | Path) -> None:
    """Raise unless ``mode`` is a regular file's.

    Raises
    ------
    IsADirectoryError
        For a folder (callers report it as ``not_a_file``).
    NotARegularFileError
        For a FIFO, a device, a socket or any other special file.
    """
    if stat.S_ISREG(mode):
        return
    if stat.S_ISDIR(mode):
        raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(path))
    raise NotARegularFileError(
        f"is {special_file_kind(mode)}, not a regular file; only regular files are read"
    )


def open_regular(path: str | Path) -> int:
    """Open a regular file for reading without blocking; return the descriptor.

    Raises ``OSError`` (``FileNotFoundError``, ``PermissionError``...) when the path
    cannot be opened, and what :func:`check_regular` raises for anything but a
    regular file, without opening it.
    """
    check_regular(os.stat(path).st_mode, path)
    fd = os.open(path, _OPEN_FLAGS)
    try:
        check_regular(os.fstat(fd).st_mode, path)  # the path may have changed since
    except BaseException:
        os.close(fd)
        raise
    return fd


def read_regular_file(path: str | Path, max_bytes: int) -> bytes:
    """All bytes of a regular file, refusing it once more than ``max_bytes`` are read."""
    fd = open_regular(path)
    with open(fd, "rb", buffering=0) as handle:
        reported = os.fstat(fd).st_size
        if reported > max_bytes:  # no need to read what is already known to be too much
            raise _too_large(reported, max_bytes)
        # One read sized by the reported size (plus one byte to see whether the file
        # is longer than it says), then bounded steps for whatever follows.
        parts = [handle.read(reported + 1) or b""]
        total = len(parts[0])
        while total <= max_bytes:
            more = handle.read(min(_READ_STEP, max_bytes + 1 - total)) or b""
            if not more:
                break
            parts.append(more)
            total += len(more)
    if total > max_bytes:
        raise FileTooLargeError(
            f"file holds more than the limit of {max_bytes / 2**20:.1f} MiB "
            "(reading stopped at the limit)"
        )
    return parts[0] if len(parts) == 1 else b"".join(parts)


def read_head(path: str | Path, count: int) -> bytes | None:
    """The first ``count`` bytes of a regular file, or None if it is not one or unreadable."""
    try:
        fd = open_regular(path)
    except (OSError, NotARegularFileError):
        return None
    with open(fd, "rb", buffering=0) as handle:
        try:
            return handle.read(count) or b""
        except OSError:
            return None


def _too_large(size: int, limit: int) -> FileTooLargeError:
    return FileTooLargeError(
        f"file is {size / 2**20:.1f} MiB, above the limit of {limit / 2**20:.1f} MiB"
    )
