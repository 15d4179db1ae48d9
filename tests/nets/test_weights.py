"""The checkpoint reader never runs code from the file and never reads outside it."""

from __future__ import annotations

import io
import pickle
import struct
from pathlib import Path

import numpy as np
import pytest

from pixelproof.nets._weights import load_state_dict

MAGIC = 0x1950A86A20F9469CFC6C
MARKER_NAME = "pixelproof-pwned"


def leave_marker(path: str) -> int:
    """What a malicious checkpoint would run: here, only creating a file."""
    Path(path).write_text("code ran")
    return 0


class Evil:
    """Pickles to a call of ``leave_marker``, by reference to this test module."""

    def __init__(self, marker: Path) -> None:
        self.marker = str(marker)

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (leave_marker, (self.marker,))


def _unicode(text: str) -> bytes:
    raw = text.encode()
    return b"X" + struct.pack("<I", len(raw)) + raw


def _state_pickle(offset: int, size: tuple[int, ...], stride: tuple[int, ...]) -> bytes:
    """A torch-style pickle of {"w": tensor} over storage "0", assembled by hand."""

    def ints(values: tuple[int, ...]) -> bytes:
        return b"(" + b"".join(b"J" + struct.pack("<i", v) for v in values) + b"t"

    storage = b"(" + _unicode("storage") + b"ctorch\nFloatStorage\n" + _unicode("0")
    storage += _unicode("cpu") + b"J" + struct.pack("<i", 6) + b"tQ"  # BINPERSID
    tensor = b"ctorch._utils\n_rebuild_tensor_v2\n(" + storage
    tensor += b"J" + struct.pack("<i", offset) + ints(size) + ints(stride)
    tensor += b"\x89ccollections\nOrderedDict\n)RtR"  # requires_grad, hooks; REDUCE
    return b"\x80\x02ccollections\nOrderedDict\n)R" + _unicode("w") + tensor + b"s."


def _legacy(records: list[bytes], state: bytes, keys: bytes, storage: bytes) -> bytes:
    return b"".join(records) + state + keys + storage


def _header() -> list[bytes]:
    return [pickle.dumps(MAGIC), pickle.dumps(1001), pickle.dumps({"little_endian": True})]


def _storage(values: list[float]) -> bytes:
    return struct.pack("<q", len(values)) + np.asarray(values, "<f4").tobytes()


def test_a_hand_built_legacy_checkpoint_reads(tmp_path: Path) -> None:
    path = tmp_path / "ok.pth"
    values = [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]
    state = _state_pickle(0, (2, 3), (3, 1))
    path.write_bytes(_legacy(_header(), state, pickle.dumps(["0"]), _storage(values)))
    loaded = load_state_dict(path)
    np.testing.assert_array_equal(loaded["w"], np.arange(6, dtype=np.float32).reshape(2, 3))
    # A transposed view of the same storage.
    state = _state_pickle(0, (3, 2), (1, 3))
    path.write_bytes(_legacy(_header(), state, pickle.dumps(["0"]), _storage(values)))
    np.testing.assert_array_equal(load_state_dict(path)["w"], np.arange(6).reshape(2, 3).T)


@pytest.mark.parametrize("position", [0, 1, 2, 3, 4], ids=lambda p: f"record{p}")
def test_code_in_any_pickle_of_a_legacy_checkpoint_never_runs(
    tmp_path: Path, position: int
) -> None:
    marker = tmp_path / MARKER_NAME
    evil = pickle.dumps(Evil(marker), protocol=2)
    records = [*_header(), _state_pickle(0, (6,), (1,)), pickle.dumps(["0"])]
    records[position] = evil
    path = tmp_path / "evil.pth"
    path.write_bytes(b"".join(records) + _storage([0.0] * 6))
    with pytest.raises(ValueError, match="refusing to load global"):
        load_state_dict(path)
    assert not marker.exists()


def test_code_in_a_zip_checkpoint_never_runs(tmp_path: Path) -> None:
    import zipfile

    marker = tmp_path / MARKER_NAME
    path = tmp_path / "evil.pt"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("archive/data.pkl", pickle.dumps({"w": Evil(marker)}, protocol=2))
    with pytest.raises(ValueError, match="refusing"):
        load_state_dict(path)
    assert not marker.exists()


@pytest.mark.parametrize(
    ("offset", "size", "stride"),
    [(4, (2, 3), (3, 1)), (0, (3, 3), (3, 1)), (0, (2,), (100_000,))],
    ids=["offset", "shape", "stride"],
)
def test_a_tensor_reaching_outside_its_storage_is_refused(
    tmp_path: Path, offset: int, size: tuple[int, ...], stride: tuple[int, ...]
) -> None:
    # numpy's as_strided does not check bounds: this would read arbitrary memory.
    path = tmp_path / "oob.pth"
    state = _state_pickle(offset, size, stride)
    path.write_bytes(_legacy(_header(), state, pickle.dumps(["0"]), _storage([0.0] * 6)))
    with pytest.raises(ValueError, match="outside its storage"):
        load_state_dict(path)


def test_garbage_is_a_value_error(tmp_path: Path) -> None:
    path = tmp_path / "garbage.pth"
    for data in (b"", b"\x80\x02K\x01.", b"not a pickle at all", io.BytesIO(b"x" * 64).read()):
        path.write_bytes(data)
        with pytest.raises(ValueError):
            load_state_dict(path)
