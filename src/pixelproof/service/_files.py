"""Heat-maps and marked images, downloadable by a random id for a limited time.

A published file is moved into ``<data_dir>/files/<id><suffix>``: the id is 128 random
bits, the suffix one of a fixed list, so no name comes from the client. Files older
than the time to live are refused and deleted by :meth:`FileStore.purge`.
"""

from __future__ import annotations

import os
import re
import secrets
import stat
import time
from pathlib import Path

MEDIA_TYPES = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".webp": "image/webp",
    ".tif": "image/tiff",
    ".tiff": "image/tiff",
}
_ID = re.compile(r"^[A-Za-z0-9_-]{22}\.(?:png|jpe?g|webp|tiff?)$")


class FileStore:
    """The downloadable files of one service."""

    def __init__(self, folder: Path, ttl_s: float) -> None:
        self.folder = folder
        self.ttl_s = ttl_s

    def publish(self, source: Path) -> str:
        """Move ``source`` (a file the service wrote) into the store; returns its id."""
        suffix = source.suffix.lower()
        if suffix not in MEDIA_TYPES:
            raise ValueError(f"not a downloadable kind of file: {suffix!r}")
        file_id = secrets.token_urlsafe(16) + suffix
        os.replace(source, self.folder / file_id)
        return file_id

    def find(self, file_id: str) -> Path | None:
        """The file of an id, while it has not expired; None otherwise."""
        if not _ID.match(file_id):
            return None
        path = self.folder / file_id
        try:
            info = os.lstat(path)
        except OSError:
            return None
        if not stat.S_ISREG(info.st_mode) or time.time() - info.st_mtime > self.ttl_s:
            return None
        return path

    def purge(self, now: float | None = None) -> int:
        """Delete the expired files; returns how many."""
        now = time.time() if now is None else now
        removed = 0
        with os.scandir(self.folder) as entries:
            for entry in entries:
                try:
                    expired = now - entry.stat(follow_symlinks=False).st_mtime > self.ttl_s
                    if expired:
                        os.unlink(entry.path)
                        removed += 1
                except OSError:
                    continue
        return removed
