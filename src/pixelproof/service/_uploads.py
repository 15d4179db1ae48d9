"""Receive one uploaded image: streamed to the service's folder, counted as it comes.

The request body (``multipart/form-data``, the image in a field named ``file``) is
parsed as it arrives, never buffered whole and never spooled anywhere but the
uploads folder; ``Content-Length`` is checked before the first byte is read and the
bytes received are counted, so an oversized upload stops early with 413. The stored
file's name is random (only its extension, from a fixed list, follows the client's
name); the client's name, sanitized, is only ever used as the row's ``path``.
"""

from __future__ import annotations

import os
import re
import secrets
import unicodedata
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header

from ..io import IMAGE_EXTENSIONS

FIELD = "file"
# Room for the multipart framing around the file (boundaries, part headers).
_FRAMING_BYTES = 64 * 1024
_NAME_UNSAFE = re.compile(r"[^\w.() -]+")


class UploadError(Exception):
    """A request whose upload cannot be used: ``status`` and a plain-language message."""

    def __init__(self, status: int, error_type: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.error_type = error_type
        self.message = message


@dataclass(frozen=True)
class Upload:
    """An upload stored in the service's folder."""

    path: Path
    name: str
    size: int


def sanitize_name(raw: str | None) -> str:
    """The client's file name as a row may show it: no folders, no control or odd
    characters, at most 100 characters (``"upload"`` when nothing is left)."""
    name = unicodedata.normalize("NFC", raw or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C")
    name = _NAME_UNSAFE.sub("_", name).strip(" .")
    if len(name) > 100:
        stem, dot, suffix = name.rpartition(".")
        name = stem[: 99 - len(suffix)] + dot + suffix if dot and len(suffix) <= 10 else name[:100]
    return name or "upload"


def stored_suffix(name: str) -> str:
    """The extension the stored copy gets: the client's, if it is an image extension."""
    suffix = Path(name).suffix.lower()
    return suffix if suffix in IMAGE_EXTENSIONS else ""


class _Receiver:
    """Parser callbacks: write the ``file`` part to disk, refuse anything else."""

    def __init__(self, folder: Path, max_bytes: int) -> None:
        self.folder = folder
        self.max_bytes = max_bytes
        self.header_field = b""
        self.header_value = b""
        self.headers: dict[bytes, bytes] = {}
        self.in_file = False
        self.target: Path | None = None
        self.handle: BinaryIO | None = None
        self.name = ""
        self.size = 0
        self.files = 0
        self.error: UploadError | None = None

    def callbacks(self) -> dict[str, object]:
        return {
            "on_part_begin": self.part_begin,
            "on_header_field": self.header_field_data,
            "on_header_value": self.header_value_data,
            "on_header_end": self.header_end,
            "on_headers_finished": self.headers_finished,
            "on_part_data": self.part_data,
            "on_part_end": self.part_end,
        }

    def part_begin(self) -> None:
        self.headers = {}
        self.in_file = False

    def header_field_data(self, data: bytes, start: int, end: int) -> None:
        self.header_field += data[start:end]

    def header_value_data(self, data: bytes, start: int, end: int) -> None:
        self.header_value += data[start:end]

    def header_end(self) -> None:
        self.headers[self.header_field.strip().lower()] = self.header_value.strip()
        self.header_field = self.header_value = b""

    def headers_finished(self) -> None:
        _, options = parse_options_header(self.headers.get(b"content-disposition", b""))
        field = options.get(b"name", b"").decode("utf-8", "replace")
        if field != FIELD:
            what = "file" if b"filename" in options else "form field"
            raise UploadError(
                400,
                "invalid_upload",
                f"unexpected {what} {field[:40]!r}: send the image in a multipart field "
                f"named '{FIELD}', and options in the query string (e.g. ?heatmaps=true)",
            )
        self.files += 1
        if self.files > 1:
            raise UploadError(400, "invalid_upload", "send one image per request")
        self.name = sanitize_name(options.get(b"filename", b"").decode("utf-8", "replace"))
        self.target = self.folder / f"{secrets.token_hex(16)}{stored_suffix(self.name)}"
        fd = os.open(self.target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW, 0o600)
        self.handle = os.fdopen(fd, "wb")
        self.in_file = True

    def part_data(self, data: bytes, start: int, end: int) -> None:
        if not self.in_file or self.handle is None:
            return
        self.size += end - start
        if self.size > self.max_bytes:
            raise too_large(self.max_bytes)
        self.handle.write(data[start:end])

    def part_end(self) -> None:
        if self.handle is not None:
            self.handle.close()
            self.handle = None
        self.in_file = False

    def discard(self) -> None:
        if self.handle is not None:
            self.handle.close()
            self.handle = None
        if self.target is not None:
            self.target.unlink(missing_ok=True)


_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


def too_large(max_bytes: int) -> UploadError:
    return UploadError(
        413,
        "file_too_large",
        f"the upload is larger than the service accepts ({max_bytes / 2**20:.1f} MiB)",
    )


async def receive_upload(
    content_type: str | None,
    content_length: str | None,
    body: AsyncIterator[bytes],
    folder: Path,
    max_bytes: int,
    *,
    raw: bool = False,
) -> Upload:
    """Store the request's ``file`` part in ``folder``.

    With ``raw``, a body sent as the image itself (``image/*`` or
    ``application/octet-stream``, as the C2PA Soft Binding Resolution API sends it) is
    accepted too.

    Raises
    ------
    UploadError
        415 for a body that is not multipart, 413 for an oversized one, 400 for a
        malformed body or one without exactly one ``file`` part.
    """
    kind, options = parse_options_header(content_type or "")
    if raw and (kind.startswith(b"image/") or kind == b"application/octet-stream"):
        return await _receive_raw(content_length, body, folder, max_bytes)
    boundary = options.get(b"boundary")
    if kind != b"multipart/form-data" or not boundary:
        raise UploadError(
            415,
            "invalid_upload",
            f"send the image as multipart/form-data in a field named '{FIELD}'",
        )
    if content_length is not None:
        try:
            declared = int(content_length)
        except ValueError:
            raise UploadError(400, "invalid_upload", "invalid Content-Length") from None
        if declared > max_bytes + _FRAMING_BYTES:
            raise too_large(max_bytes)
    receiver = _Receiver(folder, max_bytes)
    parser = MultipartParser(boundary, receiver.callbacks())  # type: ignore[arg-type]
    received = 0
    try:
        async for chunk in body:
            received += len(chunk)
            if received > max_bytes + _FRAMING_BYTES:
                raise too_large(max_bytes)
            parser.write(chunk)
        parser.finalize()
    except UploadError:
        receiver.discard()
        raise
    except MultipartParseError:
        receiver.discard()
        raise UploadError(400, "invalid_upload", "the multipart body is malformed") from None
    except BaseException:
        receiver.discard()
        raise
    if receiver.target is None:
        raise UploadError(
            400, "invalid_upload", f"no image: send it in a multipart field named '{FIELD}'"
        )
    if receiver.handle is not None:  # the body ended inside the file part
        receiver.discard()
        raise UploadError(400, "invalid_upload", "the multipart body is truncated")
    return Upload(receiver.target, receiver.name, receiver.size)


async def _receive_raw(
    content_length: str | None, body: AsyncIterator[bytes], folder: Path, max_bytes: int
) -> Upload:
    """A body that is the image itself, stored under a random name."""
    if content_length is not None:
        try:
            declared = int(content_length)
        except ValueError:
            raise UploadError(400, "invalid_upload", "invalid Content-Length") from None
        if declared > max_bytes:
            raise too_large(max_bytes)
    target = folder / secrets.token_hex(16)
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW, 0o600)
    size = 0
    try:
        with os.fdopen(fd, "wb") as handle:
            async for chunk in body:
                size += len(chunk)
                if size > max_bytes:
                    raise too_large(max_bytes)
                handle.write(chunk)
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    if size == 0:
        target.unlink(missing_ok=True)
        raise UploadError(400, "invalid_upload", "the request body is empty")
    return Upload(target, "upload", size)
