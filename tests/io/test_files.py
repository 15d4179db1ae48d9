"""Only regular files are read, never blocking, and never more bytes than allowed."""

from __future__ import annotations

import os
import socket
import sys
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from pixelproof.io import (
    FileTooLargeError,
    ImageLoadError,
    LoadLimits,
    NotARegularFileError,
    load_image,
    looks_like_image,
)

from .._images import encode, noise

posix_only = pytest.mark.skipif(sys.platform == "win32", reason="POSIX special files")
linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="needs /proc")


def _load_with_deadline(path: Path, seconds: float = 10.0) -> BaseException | None:
    """Load in a thread; fail the test (and unblock the thread) if it hangs."""
    outcome: list[BaseException | None] = []

    def run() -> None:
        try:
            load_image(path)
        except BaseException as exc:  # handed to the test
            outcome.append(exc)
        else:
            outcome.append(None)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():  # blocked on the FIFO: open the writing end to release it
        with open(path, "wb"):
            pass
        thread.join(5)
        pytest.fail(f"loading {path} blocked")
    return outcome[0]


@pytest.fixture
def fifo(tmp_path: Path) -> Path:
    if not hasattr(os, "mkfifo"):
        pytest.skip("no named pipes here")
    path = tmp_path / "pipe.jpg"
    os.mkfifo(path)
    return path


@pytest.fixture
def unix_socket() -> Iterator[Path]:
    if not hasattr(socket, "AF_UNIX"):
        pytest.skip("no Unix sockets here")
    with tempfile.TemporaryDirectory(dir="/tmp") as folder:  # short: sun_path is small
        path = Path(folder) / "s.png"
        server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        server.bind(str(path))
        try:
            yield path
        finally:
            server.close()


@posix_only
def test_fifo_is_refused_without_blocking(fifo: Path) -> None:
    error = _load_with_deadline(fifo)
    assert isinstance(error, NotARegularFileError)
    assert error.code == "not_a_regular_file"
    assert "named pipe" in error.message
    assert isinstance(error, ImageLoadError)


@posix_only
def test_character_device_and_a_link_to_it_are_refused(tmp_path: Path) -> None:
    if not Path("/dev/zero").exists():
        pytest.skip("no /dev/zero")
    link = tmp_path / "zero.jpg"
    link.symlink_to("/dev/zero")
    for path in (Path("/dev/zero"), link):
        with pytest.raises(NotARegularFileError, match="character device"):
            load_image(path, limits=LoadLimits(max_file_bytes=1 << 20))


@posix_only
def test_socket_is_refused(unix_socket: Path) -> None:
    with pytest.raises(NotARegularFileError, match="socket"):
        load_image(unix_socket)


def test_folder_is_still_an_is_a_directory_error(tmp_path: Path) -> None:
    folder = tmp_path / "x.jpg"
    folder.mkdir()
    with pytest.raises(IsADirectoryError):
        load_image(folder)


def test_link_to_a_regular_file_is_followed(tmp_path: Path) -> None:
    target = tmp_path / "real.png"
    target.write_bytes(encode(noise(8, 8), "PNG"))
    link = tmp_path / "link.png"
    link.symlink_to(target)
    assert load_image(link).width == 8


@linux_only
def test_read_is_bounded_by_bytes_read_not_by_the_reported_size() -> None:
    # /proc files are regular files that report a size of 0 whatever they hold.
    path = Path("/proc/self/maps")
    assert path.stat().st_size == 0
    assert len(path.read_bytes()) > 200
    with pytest.raises(FileTooLargeError, match="more than the limit"):
        load_image(path, limits=LoadLimits(max_file_bytes=100))


def test_file_growing_past_the_limit_while_read_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "grows.png"
    data = encode(noise(32, 32), "PNG")
    path.write_bytes(data)
    from pixelproof.io import _files

    real_fstat = os.fstat

    def understated(fd: int) -> os.stat_result:
        result = real_fstat(fd)
        fields = list(result)
        fields[6] = 10  # st_size: pretend the file is 10 bytes long
        return os.stat_result(fields)

    monkeypatch.setattr(_files.os, "fstat", understated)
    with pytest.raises(FileTooLargeError):
        load_image(path, limits=LoadLimits(max_file_bytes=len(data) - 1))
    assert load_image(path, limits=LoadLimits(max_file_bytes=len(data))).width == 32


@posix_only
def test_looks_like_image_never_opens_a_fifo(tmp_path: Path) -> None:
    if not hasattr(os, "mkfifo"):
        pytest.skip("no named pipes here")
    path = tmp_path / "no-extension"
    os.mkfifo(path)
    done: list[bool] = []
    thread = threading.Thread(target=lambda: done.append(looks_like_image(path)), daemon=True)
    thread.start()
    thread.join(10)
    if thread.is_alive():
        with open(path, "wb"):
            pass
        pytest.fail("looks_like_image blocked on a FIFO")
    assert done == [False]
