"""expand_inputs: files, folders, globs and what is skipped or missing."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pixelproof.inputs import expand_inputs
from pixelproof.io import looks_like_image, sniff_format

from ._images import encode, noise


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A folder with images, a README, a disguised PNG and hidden entries."""
    png = encode(noise(4, 4), "PNG")
    jpeg = encode(noise(8, 8), "JPEG")
    (tmp_path / "a.jpg").write_bytes(jpeg)
    (tmp_path / "b.PNG").write_bytes(png)
    (tmp_path / "README").write_text("not an image\n")
    (tmp_path / "notes.md").write_text("# notes\n")
    (tmp_path / "disguised.txt").write_bytes(png)  # a PNG under a text name
    sub = tmp_path / "sub" / "deeper"
    sub.mkdir(parents=True)
    (sub / "c.webp").write_bytes(encode(noise(4, 4), "WEBP"))
    (tmp_path / "sub" / "d.tiff").write_bytes(encode(noise(4, 4), "TIFF"))
    hidden = tmp_path / ".cache"
    hidden.mkdir()
    (hidden / "thumb.jpg").write_bytes(jpeg)
    (tmp_path / ".hidden.png").write_bytes(png)
    return tmp_path


def _names(paths: list[str], root: Path) -> list[str]:
    return [Path(p).relative_to(root).as_posix() for p in paths]


def test_folder_is_expanded_recursively(tree: Path) -> None:
    result = expand_inputs([str(tree)])
    assert _names(result.files, tree) == sorted(
        ["a.jpg", "b.PNG", "disguised.txt", "sub/deeper/c.webp", "sub/d.tiff"]
    )
    assert result.skipped == 2  # README and notes.md
    assert result.missing == []


def test_hidden_files_and_folders_are_skipped(tree: Path) -> None:
    files = expand_inputs([str(tree)]).files
    assert not any("/." in Path(f).as_posix() for f in files)


def test_explicit_hidden_file_is_kept(tree: Path) -> None:
    target = str(tree / ".cache" / "thumb.jpg")
    assert expand_inputs([target]).files == [target]


def test_explicit_non_image_file_is_kept_for_the_loader_to_judge(tree: Path) -> None:
    target = str(tree / "README")
    result = expand_inputs([target])
    assert result.files == [target]
    assert result.skipped == 0


def test_globs_expand_and_skip_folders(tree: Path) -> None:
    result = expand_inputs([str(tree / "*")])
    names = _names(result.files, tree)
    # Glob matches are explicit choices: kept whatever their content; folders skipped.
    assert names == ["README", "a.jpg", "b.PNG", "disguised.txt", "notes.md"]
    assert result.skipped == 1  # the "sub" folder


def test_recursive_glob(tree: Path) -> None:
    result = expand_inputs([str(tree / "**" / "*.webp")])
    assert _names(result.files, tree) == ["sub/deeper/c.webp"]


def test_glob_that_matches_nothing_is_missing(tree: Path) -> None:
    pattern = str(tree / "*.gif")
    result = expand_inputs([pattern, str(tree / "a.jpg")])
    assert result.missing == [pattern]
    assert _names(result.files, tree) == ["a.jpg"]


def test_missing_plain_path_is_kept_in_order_for_the_loader(tree: Path) -> None:
    missing = str(tree / "nope.jpg")
    result = expand_inputs([str(tree / "b.PNG"), missing, str(tree / "a.jpg")])
    assert result.files == [str(tree / "b.PNG"), missing, str(tree / "a.jpg")]
    assert result.missing == []


def test_duplicates_are_removed_keeping_first_position(tree: Path) -> None:
    a, b = str(tree / "a.jpg"), str(tree / "b.PNG")
    result = expand_inputs([b, a, str(tree), b])
    assert result.files[:2] == [b, a]
    assert len(result.files) == len(set(result.files)) == 5


def test_relative_paths_stay_relative(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tree)
    result = expand_inputs(["sub"])
    assert result.files == [os.path.join("sub", "d.tiff"), os.path.join("sub", "deeper", "c.webp")]


def test_looks_like_image_uses_extension_or_magic(tree: Path) -> None:
    assert looks_like_image(tree / "a.jpg")
    assert looks_like_image(tree / "disguised.txt")
    assert not looks_like_image(tree / "README")
    assert not looks_like_image(tree / "does-not-exist.txt")
    empty = tree / "empty.jpeg"
    empty.write_bytes(b"")
    assert looks_like_image(empty)  # by extension: the loader will call it empty


@pytest.mark.parametrize(
    ("fmt", "params", "expected"),
    [
        ("JPEG", {}, "JPEG"),
        ("PNG", {}, "PNG"),
        ("WEBP", {}, "WEBP"),
        ("TIFF", {}, "TIFF"),
        ("BMP", {}, "BMP"),
        ("GIF", {}, "GIF"),
    ],
)
def test_sniff_format_on_real_headers(fmt: str, params: dict[str, object], expected: str) -> None:
    assert sniff_format(encode(noise(4, 4), fmt, **params)[:32]) == expected


def test_sniff_format_heif_brands_and_unknown() -> None:
    assert sniff_format(b"\x00\x00\x00\x18ftypheic" + bytes(20)) == "HEIF"
    assert sniff_format(b"\x00\x00\x00\x18ftypmif1" + bytes(20)) == "HEIF"
    assert sniff_format(b"\x00\x00\x00\x18ftypavif" + bytes(20)) == "AVIF"
    assert sniff_format(b"\x00\x00\x00\x18ftypisom" + bytes(20)) is None  # an MP4
    assert sniff_format(b"hello world") is None
    assert sniff_format(b"") is None


# ------------------------------------------------------------------ special files


needs_fifo = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes")


@needs_fifo
def test_special_entries_named_like_images_are_kept_and_listed(tree: Path) -> None:
    os.mkfifo(tree / "pipe.jpg")
    os.mkfifo(tree / "pipe-without-extension")  # never opened: it would block
    (tree / "folder.png").mkdir()
    (tree / "folder.png" / "inside.jpg").write_bytes(encode(noise(4, 4), "JPEG"))
    (tree / "gone.webp").symlink_to(tree / "nowhere")
    (tree / "zero.jpg").symlink_to("/dev/zero")

    result = expand_inputs([str(tree)])

    special = ["folder.png", "gone.webp", "pipe.jpg", "zero.jpg"]
    assert _names(result.special, tree) == special
    # They stay in `files`, in walk order, for the loader to report one by one.
    assert _names(result.files, tree) == sorted(
        [
            "a.jpg",
            "b.PNG",
            "disguised.txt",
            "sub/deeper/c.webp",
            "sub/d.tiff",
            "folder.png/inside.jpg",
            *special,
        ]
    )
    assert result.skipped == 3  # README, notes.md and the FIFO without an image name


@needs_fifo
def test_explicit_special_file_is_listed(tmp_path: Path) -> None:
    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    result = expand_inputs([str(pipe)])
    assert result.files == [str(pipe)]
    assert result.special == [str(pipe)]


def test_regular_files_are_not_special(tree: Path) -> None:
    assert expand_inputs([str(tree)]).special == []
