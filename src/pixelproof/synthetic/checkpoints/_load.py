"""Load a published checkpoint file safely and run it on an image.

The file is read by ``torch.load(..., weights_only=True)``: torch's restricted
unpickler, which builds tensors and plain containers only and refuses every other
global, so a crafted file cannot run code. Its keys are then checked against the
network of the named kind before anything is copied, so a file of another
architecture gets a message naming the missing, unexpected and mis-shaped keys
(and the kind it does fit, if any) instead of a crash or silently random weights.
"""

from __future__ import annotations

import math
import os
import pickle
import re
import stat
import warnings
from collections.abc import Mapping
from functools import cache, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeGuard

import numpy as np
from numpy.typing import NDArray

from ._kinds import CHECKPOINT_KINDS, CheckpointKind
from ._preprocess import check_rgb, network_input

if TYPE_CHECKING:
    import torch
    from torch import nn

MAX_CHECKPOINT_BYTES = 2 * 1024**3
"""Larger files are refused before reading (a ResNet-50 with Adam's state is about 0.3 GB)."""

_CONTAINER_KEYS = ("model", "state_dict")  # where training scripts nest the weights
_DATA_PARALLEL_PREFIX = "module."  # torch.nn.DataParallel's wrapper adds it to every key
_SHOWN = 5  # keys named per problem in a message
_UNPICKLER_REASON = re.compile(r"WeightsUnpickler error:\s*(.+?)(?:\.? Please use|\n\n|$)", re.S)


class CheckpointError(ValueError):
    """A checkpoint file that cannot be run as the named kind; the message says why."""


def _import_torch() -> Any:
    try:
        import torch
    except ImportError as exc:
        raise ImportError(
            "published checkpoints need torch: pip install 'pixelproof[checkpoints]'"
        ) from exc
    return torch


def read_state_dict(path: str | Path) -> dict[str, torch.Tensor]:
    """The tensors of a checkpoint file, keys as the network names them.

    Accepts a bare ``state_dict`` or one nested under ``"model"`` or ``"state_dict"``
    (CNNDetection and NPR releases hold ``{"model": ..., ...}``), or a ``.safetensors``
    file (read by the ``safetensors`` package), and removes the ``module.`` prefix
    ``DataParallel`` puts on every key.

    Raises
    ------
    CheckpointError
        When the file is missing, not a regular file, too large, not a PyTorch
        checkpoint, holds Python objects other than tensors and plain data, or holds
        no ``state_dict``.
    """
    torch = _import_torch()
    path = Path(path)
    try:
        info = path.stat()
    except OSError as exc:
        raise CheckpointError(f"{path}: cannot read the checkpoint ({exc.strerror})") from None
    if not stat.S_ISREG(info.st_mode):
        raise CheckpointError(f"{path}: not a regular file")
    if info.st_size > MAX_CHECKPOINT_BYTES:
        raise CheckpointError(f"{path}: {info.st_size} bytes, more than a checkpoint holds")
    if path.suffix.lower() == ".safetensors":
        return _strip_prefix(_find_state_dict(_read_safetensors(path), path))
    try:
        with warnings.catch_warnings():  # torch's notes on pickle protocols: errors say enough
            warnings.simplefilter("ignore", UserWarning)
            content = torch.load(os.fspath(path), map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        reason = _unpickler_reason(str(exc))
        if reason.startswith("Unsupported global"):
            raise CheckpointError(
                f"{path}: refused: not a plain checkpoint of tensors ({reason})"
            ) from None
        raise CheckpointError(f"{path}: not a readable PyTorch checkpoint ({reason})") from None
    except Exception as exc:  # torch reports damaged files with many exception types
        raise CheckpointError(f"{path}: not a readable PyTorch checkpoint ({exc})") from None
    return _strip_prefix(_find_state_dict(content, path))


def _read_safetensors(path: Path) -> dict[str, torch.Tensor]:
    """A ``.safetensors`` file: a JSON header and raw tensors, no pickle at all."""
    try:
        from safetensors.torch import load_file
    except ImportError as exc:
        raise ImportError(
            ".safetensors checkpoints need safetensors: pip install 'pixelproof[checkpoints]'"
        ) from exc
    try:
        return load_file(os.fspath(path), device="cpu")
    except Exception as exc:  # SafetensorError, or OSError from the memory map
        raise CheckpointError(f"{path}: not a readable safetensors file ({exc})") from None


def _unpickler_reason(message: str) -> str:
    """The cause in torch's weights-only error, without its advice to unpickle fully."""
    found = _UNPICKLER_REASON.search(message)
    return found.group(1).strip() if found else message.strip().split("\n")[0]


def _is_state_dict(value: object) -> TypeGuard[Mapping[str, torch.Tensor]]:
    tensor = _import_torch().Tensor
    return (
        isinstance(value, Mapping)
        and len(value) > 0
        and all(isinstance(k, str) and isinstance(v, tensor) for k, v in value.items())
    )


def _find_state_dict(content: object, path: Path) -> dict[str, torch.Tensor]:
    if _is_state_dict(content):
        return dict(content)
    if isinstance(content, Mapping):
        for key in _CONTAINER_KEYS:
            nested = content.get(key)
            if _is_state_dict(nested):
                return dict(nested)
    raise CheckpointError(
        f"{path}: no state_dict in the checkpoint (expected a dict of tensors, "
        f"bare or under {' or '.join(repr(k) for k in _CONTAINER_KEYS)})"
    )


def _strip_prefix(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    if all(key.startswith(_DATA_PARALLEL_PREFIX) for key in state):
        return {key[len(_DATA_PARALLEL_PREFIX) :]: value for key, value in state.items()}
    return state


@cache
def _expected_shapes(kind: CheckpointKind) -> dict[str, tuple[int, ...]]:
    """Key -> shape of the kind's network, built on the meta device (no memory, instant)."""
    torch = _import_torch()
    with torch.device("meta"):
        network = kind.build()
    return {key: tuple(value.shape) for key, value in network.state_dict().items()}


def _optional(key: str) -> bool:
    # Batch-norm step counters: unused in evaluation, absent from pre-0.4.1 files.
    return key.endswith(".num_batches_tracked")


def key_problems(kind: CheckpointKind, state: Mapping[str, torch.Tensor]) -> list[str]:
    """What keeps ``state`` from loading into the kind's network (empty when it fits)."""
    expected = _expected_shapes(kind)
    given = {key for key in state if key not in kind.unused_keys}
    missing = sorted(k for k in expected.keys() - given if not _optional(k))
    unexpected = sorted(given - expected.keys())
    mismatched = [
        f"{key} {tuple(state[key].shape)} instead of {expected[key]}"
        for key in sorted(given & expected.keys())
        if tuple(state[key].shape) != expected[key]
    ]
    problems = []
    for label, keys in (("missing", missing), ("unexpected", unexpected), ("shape", mismatched)):
        if keys:
            shown = ", ".join(keys[:_SHOWN]) + (", ..." if len(keys) > _SHOWN else "")
            problems.append(f"{len(keys)} {label} ({shown})")
    return problems


def _float_weights(
    kind: CheckpointKind, state: Mapping[str, torch.Tensor], path: Path
) -> dict[str, torch.Tensor]:
    """The tensors the network takes, in float32, counters filled in; checked finite."""
    torch = _import_torch()
    weights = {}
    for key in _expected_shapes(kind):
        value = state.get(key)
        if value is None:  # an optional batch-norm counter (key_problems allowed it)
            weights[key] = torch.zeros((), dtype=torch.long)
        elif value.layout != torch.strided:  # sparse tensors unpickle fine but run nowhere
            raise CheckpointError(f"{path}: {key} is a {value.layout} tensor, not a dense one")
        elif _optional(key):
            weights[key] = value
        elif not value.is_floating_point():
            raise CheckpointError(f"{path}: {key} holds {value.dtype}, not floating point")
        elif not bool(torch.isfinite(value).all()):
            raise CheckpointError(f"{path}: {key} holds non-finite values")
        else:
            weights[key] = value.float()
    return weights


def load_checkpoint(kind: str, path: str | Path, *, crop: int | None = None) -> CheckpointDetector:
    """A published detector with its weights from ``path``, ready to score images.

    Parameters
    ----------
    kind : str
        A name of :data:`CHECKPOINT_KINDS` (``"cnndetection"``, ``"npr"``).
    path : str or Path
        The checkpoint file, as its authors publish it.
    crop : int, optional
        Side of a central crop before the network (CNNDetection's paper used 224);
        the kind's default (the whole image) when None.

    Raises
    ------
    UnknownNameError
        (a ValueError) for an unknown kind.
    CheckpointError
        (a ValueError) when the file cannot be read safely or does not fit the kind's
        network; the message names the keys at fault.
    ImportError
        When torch is not installed.
    """
    torch = _import_torch()
    spec = CHECKPOINT_KINDS.get(kind)
    path = Path(path)
    state = read_state_dict(path)
    problems = key_problems(spec, state)
    if problems:
        fits = [
            other.name
            for _, other in CHECKPOINT_KINDS.items()
            if other is not spec and not key_problems(other, state)
        ]
        hint = f"; it fits {', '.join(fits)}: use {fits[0]}:{path}" if fits else ""
        raise CheckpointError(f"{path}: not a {spec.name} checkpoint: {'; '.join(problems)}{hint}")
    weights = _float_weights(spec, state, path)
    with torch.device("meta"):  # no random initialisation: the file's tensors replace it
        network = spec.build()
    network.load_state_dict(weights, strict=True, assign=True)
    network.eval()
    return CheckpointDetector(spec, path, network, crop=spec.crop if crop is None else crop)


class CheckpointDetector:
    """A loaded published detector: ``probability(rgb)`` that an image is synthetic.

    Made by :func:`load_checkpoint`. Pickling keeps only the kind, the path and the crop,
    never the weights: unpickling loads the file, once per process while it is unchanged.
    """

    def __init__(
        self, kind: CheckpointKind, path: Path, network: nn.Module, *, crop: int | None
    ) -> None:
        self.kind = kind
        self.path = path
        self.crop = crop
        self._network = network

    @property
    def name(self) -> str:
        """The kind's name (``"cnndetection"``, ``"npr"``)."""
        return self.kind.name

    def __repr__(self) -> str:
        return f"CheckpointDetector({self.kind.name!r}, {str(self.path)!r}, crop={self.crop})"

    def __reduce__(self) -> tuple[Any, tuple[str, Path, int | None]]:
        return (_reload, (self.kind.name, self.path, self.crop))

    def logit(self, rgb: NDArray[np.uint8]) -> float:
        """The network's raw output for an (H, W, 3) uint8 RGB image.

        Raises
        ------
        ValueError
            For an image that is not (H, W, 3) uint8, smaller than the network accepts,
            or when the output is not a finite number.
        """
        torch = _import_torch()
        rgb = check_rgb(rgb)
        side = min(rgb.shape[:2]) if self.crop is None else self.crop
        if side < self.kind.min_side:
            raise ValueError(f"{self.kind.name} needs at least {self.kind.min_side} pixels a side")
        batch = torch.from_numpy(network_input(rgb, crop=self.crop))
        with torch.inference_mode():
            output = self._network(batch)
        if output.numel() != 1:  # a plugged-in kind whose network is not a one-logit detector
            raise ValueError(f"{self.kind.name}: the network gives {output.numel()} values, not 1")
        value = float(output.reshape(-1)[0])
        if not math.isfinite(value):
            raise ValueError(f"{self.kind.name}: the network's output is not a finite number")
        return value

    def probability(self, rgb: NDArray[np.uint8]) -> float:
        """Probability that the image is synthetic: the sigmoid of :meth:`logit`.

        The authors' own, uncalibrated output; both papers threshold it at 0.5.
        """
        logit = self.logit(rgb)
        if logit >= 0:
            return 1.0 / (1.0 + math.exp(-logit))
        odds = math.exp(logit)
        return odds / (1.0 + odds)


def _reload(kind: str, path: Path, crop: int | None) -> CheckpointDetector:
    return shared_checkpoint(kind, path, crop=crop)


def shared_checkpoint(
    kind: str, path: str | Path, *, crop: int | None = None
) -> CheckpointDetector:
    """:func:`load_checkpoint`, done once per process while the file is unchanged.

    For tasks that run per image in worker processes: the runner pickles its task for
    every input, and a detector (or a ``KIND:PATH`` setting) must not be read again
    for each image. The same detector is returned while the file's resolved path,
    modification time and size stay the same.
    """
    path = Path(path)
    try:
        info = path.stat()
    except OSError:
        return load_checkpoint(kind, path, crop=crop)  # raises the usual error
    return _cached(kind, path.resolve(), info.st_mtime_ns, info.st_size, crop)


@lru_cache(maxsize=2)
def _cached(
    kind: str, path: Path, _mtime_ns: int, _size: int, crop: int | None
) -> CheckpointDetector:
    return load_checkpoint(kind, path, crop=crop)
