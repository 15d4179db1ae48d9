"""The ``invisible-watermark`` package's three methods as benchmark baselines.

dwtDct is the mark Stable Diffusion applies by default; dwtDctSvd is its more robust
variant; rivaGan is the learned RivaGAN model whose ONNX files ship inside the wheel.

The package's ``__init__`` imports torch only to shuffle RivaGAN tensors, so its DCT
embedders are loaded from their own files and RivaGAN runs through onnxruntime with
the package's documented pre- and post-processing. Install it with
``pip install --no-deps invisible-watermark`` (its declared dependencies pull in GUI
OpenCV and torch, neither of which is needed), plus the ``baselines`` extra.
"""

from __future__ import annotations

import importlib.util
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
from numpy.typing import NDArray

# RivaGAN's decoder outputs a probability per bit; the package thresholds it at 0.52.
RIVAGAN_THRESHOLD = 0.52
RIVAGAN_BITS = 32
_INSTALL_HINT = (
    "the invisible-watermark baselines need: pip install --no-deps invisible-watermark "
    "&& pip install 'pixelproof[baselines]'"
)


@cache
def _package_dir() -> Path:
    spec = importlib.util.find_spec("imwatermark")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError(_INSTALL_HINT)
    return Path(next(iter(spec.submodule_search_locations)))


@cache
def _module(name: str) -> ModuleType:
    path = _package_dir() / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"_pixelproof_imwatermark_{name}", path)
    if spec is None or spec.loader is None:
        raise ImportError(_INSTALL_HINT)
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except ImportError as exc:
        raise ImportError(f"{_INSTALL_HINT} ({exc})") from exc
    return module


class DwtDctBaseline:
    """invisible-watermark's ``dwtDct`` (DWT + block-DCT max-coefficient embedding)."""

    name = "dwtDct"
    n_bits = 32

    def embed(self, rgb: NDArray[np.uint8], bits: NDArray[np.bool_]) -> NDArray[np.uint8]:
        coder = _module("maxDct").EmbedMaxDct(list(bits.astype(int)), wmLen=len(bits))
        return _from_bgr(coder.encode(_to_bgr(rgb)))

    def decode(self, rgb: NDArray[np.uint8]) -> NDArray[np.bool_]:
        coder = _module("maxDct").EmbedMaxDct([], wmLen=self.n_bits)
        return np.asarray(coder.decode(_to_bgr(rgb)), dtype=bool)


class DwtDctSvdBaseline:
    """invisible-watermark's ``dwtDctSvd`` (DWT + block-DCT + SVD embedding)."""

    name = "dwtDctSvd"
    n_bits = 32

    def embed(self, rgb: NDArray[np.uint8], bits: NDArray[np.bool_]) -> NDArray[np.uint8]:
        coder = _module("dwtDctSvd").EmbedDwtDctSvd(list(bits.astype(int)), wmLen=len(bits))
        return _from_bgr(coder.encode(_to_bgr(rgb)))

    def decode(self, rgb: NDArray[np.uint8]) -> NDArray[np.bool_]:
        coder = _module("dwtDctSvd").EmbedDwtDctSvd([], wmLen=self.n_bits)
        return np.asarray(coder.decode(_to_bgr(rgb)), dtype=bool)


class RivaGanBaseline:
    """invisible-watermark's ``rivaGan`` (learned encoder/decoder, 32 bits)."""

    name = "rivaGan"
    n_bits = RIVAGAN_BITS

    def embed(self, rgb: NDArray[np.uint8], bits: NDArray[np.bool_]) -> NDArray[np.uint8]:
        if len(bits) != RIVAGAN_BITS:
            raise ValueError(f"rivaGan carries exactly {RIVAGAN_BITS} bits, got {len(bits)}")
        encoder, _ = _rivagan_sessions()
        frame = _rivagan_frame(_to_bgr(rgb))
        data = bits.astype(np.float32)[None, :]
        (marked,) = encoder.run(None, {"frame": frame, "data": data})
        # Same mapping back to 8 bits as the package: clamp, rescale, truncate.
        pixels = (np.clip(marked[0, :, 0], -1.0, 1.0).transpose(1, 2, 0) + 1.0) * 127.5
        return _from_bgr(pixels.astype(np.uint8))

    def decode(self, rgb: NDArray[np.uint8]) -> NDArray[np.bool_]:
        _, decoder = _rivagan_sessions()
        (probabilities,) = decoder.run(None, {"frame": _rivagan_frame(_to_bgr(rgb))})
        return np.asarray(probabilities[0] > RIVAGAN_THRESHOLD, dtype=bool)


@cache
def _rivagan_sessions() -> tuple[Any, Any]:
    try:
        import onnxruntime
    except ImportError as exc:
        raise ImportError(_INSTALL_HINT) from exc
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1
    folder = _package_dir()
    return tuple(
        onnxruntime.InferenceSession(
            str(folder / f"rivagan_{part}.onnx"), options, providers=["CPUExecutionProvider"]
        )
        for part in ("encoder", "decoder")
    )


def _rivagan_frame(bgr: NDArray[np.uint8]) -> NDArray[np.float32]:
    """(H, W, 3) uint8 -> (1, 3, 1, H, W) float32 in [-1, 1], the model's video layout."""
    frame = bgr.astype(np.float32) / 127.5 - 1.0
    return np.ascontiguousarray(frame.transpose(2, 0, 1)[None, :, None])


def _to_bgr(rgb: NDArray[np.uint8]) -> NDArray[np.uint8]:
    return np.ascontiguousarray(rgb[:, :, ::-1])


def _from_bgr(bgr: NDArray[np.uint8]) -> NDArray[np.uint8]:
    return np.ascontiguousarray(np.asarray(bgr, dtype=np.uint8)[:, :, ::-1])
