"""write_output: whole files or nothing, never through a link, never over an input."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from pixelproof.io import ProtectedFiles, UnsafeOutputError, write_output


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def test_writes_a_new_file_with_the_usual_permissions(tmp_path: Path) -> None:
    target = tmp_path / "out.png"
    assert write_output(target, b"pixels") == target
    assert target.read_bytes() == b"pixels"
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~umask
    assert _leftovers(tmp_path) == []


def test_replaces_an_existing_output_by_renaming(tmp_path: Path) -> None:
    target = tmp_path / "out.png"
    target.write_bytes(b"old")
    before = target.stat().st_ino
    write_output(target, b"new")
    assert target.read_bytes() == b"new"
    assert target.stat().st_ino != before  # a new file took its place: no partial write
    assert _leftovers(tmp_path) == []


@pytest.mark.parametrize("dangling", [False, True], ids=["link", "broken-link"])
def test_refuses_to_write_through_a_symlink(tmp_path: Path, dangling: bool) -> None:
    victim = tmp_path / "elsewhere" / "precious.txt"
    victim.parent.mkdir()
    if not dangling:
        victim.write_bytes(b"keep me")
    link = tmp_path / "out.png"
    link.symlink_to(victim)
    with pytest.raises(UnsafeOutputError) as info:
        write_output(link, b"attack")
    assert info.value.code == "unsafe_output"
    assert "symbolic link" in info.value.message
    assert link.is_symlink()
    if dangling:
        assert not victim.exists()
    else:
        assert victim.read_bytes() == b"keep me"
    assert _leftovers(tmp_path) == []


def test_refuses_to_replace_a_protected_input(tmp_path: Path) -> None:
    source = tmp_path / "photo.png"
    source.write_bytes(b"original")
    with pytest.raises(UnsafeOutputError, match="input"):
        write_output(source, b"watermarked", protect=[source])
    assert source.read_bytes() == b"original"
    assert _leftovers(tmp_path) == []


def test_protection_sees_through_other_spellings_and_links(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    source = folder / "photo.png"
    source.write_bytes(b"original")
    alias = tmp_path / "alias"
    alias.symlink_to(folder)
    hard = folder / "hard-link.png"
    os.link(source, hard)
    protected = ProtectedFiles([source])
    for target in (
        tmp_path / "in" / ".." / "in" / "photo.png",
        alias / "photo.png",  # the output folder is a link to the input's folder
        hard,  # another name for the same file
    ):
        with pytest.raises(UnsafeOutputError):
            write_output(target, b"watermarked", protect=protected)
    # Input given as a relative path, output as an absolute one.
    cwd = os.getcwd()
    os.chdir(folder)
    try:
        with pytest.raises(UnsafeOutputError):
            write_output(source.resolve(), b"x", protect=["photo.png"])
    finally:
        os.chdir(cwd)
    assert source.read_bytes() == b"original"


def test_other_files_next_to_an_input_are_fine(tmp_path: Path) -> None:
    source = tmp_path / "photo.png"
    source.write_bytes(b"original")
    write_output(tmp_path / "photo.watermarked.png", b"new", protect=[source])
    assert source.read_bytes() == b"original"


def test_refuses_a_folder_or_special_file(tmp_path: Path) -> None:
    (tmp_path / "out.png").mkdir()
    with pytest.raises(UnsafeOutputError, match="not a regular file"):
        write_output(tmp_path / "out.png", b"x")
    if hasattr(os, "mkfifo"):
        os.mkfifo(tmp_path / "pipe.png")
        with pytest.raises(UnsafeOutputError, match="not a regular file"):
            write_output(tmp_path / "pipe.png", b"x")


def test_a_failed_write_leaves_nothing_behind(tmp_path: Path) -> None:
    target = tmp_path / "out.png"
    target.write_bytes(b"old")
    with pytest.raises(TypeError):
        write_output(target, "not bytes")  # type: ignore[arg-type]
    assert target.read_bytes() == b"old"
    assert _leftovers(tmp_path) == []


def test_missing_folder_is_an_os_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        write_output(tmp_path / "nope" / "out.png", b"x")


def test_writes_pieces_as_they_come_and_nothing_when_they_fail(tmp_path: Path) -> None:
    target = tmp_path / "page.html"
    write_output(target, (part for part in (b"<p>", b"one", b"</p>")))
    assert target.read_bytes() == b"<p>one</p>"

    def failing() -> Iterator[bytes]:
        yield b"half a page"
        raise RuntimeError("the page could not be made")

    with pytest.raises(RuntimeError):
        write_output(target, failing())
    assert target.read_bytes() == b"<p>one</p>"  # the old file, untouched
    assert _leftovers(tmp_path) == []
