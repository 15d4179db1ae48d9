"""The invisible mark of the Stable Diffusion reference pipelines (``invisible-watermark``).

The CompVis/Stability scripts for Stable Diffusion v1 and v2 call the
``invisible-watermark`` package's ``dwtDct`` encoder with the bytes
``b"StableDiffusionV1"`` (136 bits); SDXL (and ``diffusers``' SDXL pipelines) use the
48-bit message ``0b101100111110110010010000011110111011000110011110``. Both work on
images in BGR channel order.

The ``dwtDct`` decoder takes the U plane of YUV, its one-level Haar approximation, and
for every 4 x 4 block of it reads one vote: whether the largest non-DC value, modulo 36,
sits in the upper half. Block ``k`` votes for bit ``k mod n``. The mark is weak (it
does not survive resizing or JPEG), but where it is present the votes match the
published bit string far beyond chance.

By default this module decodes with an equivalent vectorised implementation (fast, no
extra dependency); ``backend="invisible-watermark"`` runs the package's own decoder
(install it with ``pip install --no-deps invisible-watermark PyWavelets``; its declared
dependencies pull in torch and onnxruntime, which the decoder does not need).
"""

from __future__ import annotations

import importlib.util
import math
import sys
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..io import ImageInput
from ._api import DEFAULT_THRESHOLD, WatermarkResult
from ._cv import cv2
from ._image import to_pixels

SD_V1_MESSAGE = b"StableDiffusionV1"
"""Bytes embedded by the Stable Diffusion v1/v2 reference scripts."""
SDXL_MESSAGE_BITS = "101100111110110010010000011110111011000110011110"
"""The 48 bits embedded by the SDXL reference pipelines."""
METHOD = "invisible-watermark-dwtDct"
_SCALE = 36.0
_HAAR = 0.7071067811865476  # 1/sqrt(2) as a float64, PyWavelets' Haar filter tap
_BLOCK = 4
_MIN_PIXELS = 256 * 256  # the package refuses smaller images
_STRIP_ROWS = 512  # pixel rows decoded at a time (a multiple of 8)


@dataclass(frozen=True)
class _Variant:
    name: str
    label: str
    bits: NDArray[np.uint8]


def _variants() -> tuple[_Variant, ...]:
    v1 = np.unpackbits(np.frombuffer(SD_V1_MESSAGE, dtype=np.uint8))
    xl = np.array([int(b) for b in SDXL_MESSAGE_BITS], dtype=np.uint8)
    return (
        _Variant("sd-v1", "Stable Diffusion v1/v2 (reference scripts)", v1),
        _Variant("sdxl", "Stable Diffusion XL", xl),
    )


def _block_votes_numpy(rgb: NDArray[np.uint8]) -> NDArray[np.float64]:
    """Per-block votes (0/1) in the decoder's raster order.

    A block of the 4 x 4 approximation covers 8 x 8 pixels, so the image is read in
    strips of whole block rows: the float planes of a whole large image would take
    several times its own size, and every step is local to a block.
    """
    rows, cols = rgb.shape[0] // 8 * 8, rgb.shape[1] // 8 * 8
    strips = [
        _strip_votes(rgb[top : min(top + _STRIP_ROWS, rows), :cols])
        for top in range(0, rows, _STRIP_ROWS)
    ]
    return np.concatenate(strips) if strips else np.zeros(0, dtype=np.float64)


def _strip_votes(rgb: NDArray[np.uint8]) -> NDArray[np.float64]:
    bgr = np.ascontiguousarray(rgb[..., ::-1])
    plane = cv2.cvtColor(bgr, cv2.COLOR_BGR2YUV)[..., 1].astype(np.float64)
    # one-level Haar approximation, computed in the same order and with the same
    # coefficient as PyWavelets (rows, then columns) so that ties break identically
    h = _HAAR
    pairs = plane[0::2] * h + plane[1::2] * h
    approx = pairs[:, 0::2] * h + pairs[:, 1::2] * h
    n_r, n_c = approx.shape[0] // _BLOCK, approx.shape[1] // _BLOCK
    blocks = (
        approx.reshape(n_r, _BLOCK, n_c, _BLOCK)
        .transpose(0, 2, 1, 3)
        .reshape(n_r * n_c, _BLOCK * _BLOCK)
    )
    ac = np.abs(blocks[:, 1:])
    value = ac[np.arange(len(ac)), np.argmax(ac, axis=1)]
    return np.asarray(np.mod(value, _SCALE) > 0.5 * _SCALE, dtype=np.float64)


def _load_max_dct() -> ModuleType:
    """The package's ``maxDct`` module, loaded without the package's ``__init__``.

    ``imwatermark/__init__.py`` imports the RivaGAN model and with it torch; the dwtDct
    code needs only OpenCV and PyWavelets.
    """
    name = "pixelproof_imwatermark_maxdct"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.find_spec("imwatermark")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError(
            "the invisible-watermark backend needs the package: "
            "pip install --no-deps invisible-watermark PyWavelets"
        )
    path = f"{next(iter(spec.submodule_search_locations))}/maxDct.py"
    module_spec = importlib.util.spec_from_file_location(name, path)
    if module_spec is None or module_spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    sys.modules[name] = module
    return module


def _bit_scores_package(rgb: NDArray[np.uint8], length: int) -> NDArray[np.float64]:
    """Mean vote per bit from the package's own decoder (U plane, as it decodes)."""
    import pywt

    max_dct = _load_max_dct()
    decoder = max_dct.EmbedMaxDct(watermarks=[], wmLen=length)
    bgr = np.ascontiguousarray(rgb[..., ::-1])
    yuv = cv2.cvtColor(bgr, cv2.COLOR_BGR2YUV)
    rows, cols = rgb.shape[0] // 4 * 4, rgb.shape[1] // 4 * 4
    scores: list[list[float]] = [[] for _ in range(length)]
    for channel, scale in enumerate(decoder._scales[:2]):
        if scale <= 0:
            continue
        approx, _ = pywt.dwt2(yuv[:rows, :cols, channel], "haar")
        scores = decoder.decode_frame(approx, scale, scores)
    return np.array([np.mean(s) if s else 0.5 for s in scores], dtype=np.float64)


def _bit_scores(votes: NDArray[np.float64], length: int) -> NDArray[np.float64]:
    index = np.arange(votes.size) % length
    total = np.bincount(index, weights=votes, minlength=length)
    count = np.bincount(index, minlength=length)
    return np.where(count > 0, total / np.maximum(count, 1), 0.5)


def _match_pvalue(decoded: NDArray[np.uint8], target: NDArray[np.uint8]) -> float:
    """P(at least this many matching bits) for an unmarked image.

    Unmarked images do not decode to fair coins (smooth images lean towards 0), so
    each bit is modelled as Bernoulli(q), with q the share of ones decoded, widened by
    0.1 either way; the largest of the three tail probabilities is returned.
    """
    matches = int(np.sum(decoded == target))
    q_hat = float(np.mean(decoded))
    worst = 0.0
    for q in (q_hat - 0.1, q_hat, q_hat + 0.1):
        q = min(max(q, 0.02), 0.98)
        probs = np.where(target == 1, q, 1.0 - q)
        dist = np.array([1.0])
        for p in probs:  # Poisson-binomial distribution of the number of matches
            dist = np.convolve(dist, [1.0 - p, p])
        worst = max(worst, float(dist[matches:].sum()))
    return min(1.0, worst)


def read_stable_diffusion_mark(
    image: ImageInput,
    *,
    threshold: float = DEFAULT_THRESHOLD,
    backend: str = "numpy",
) -> WatermarkResult:
    """Read the Stable Diffusion / SDXL default invisible mark (``dwtDct``).

    Parameters
    ----------
    image : path, bytes, PIL image, LoadedImage or ndarray
        At least 256 x 256 pixels in area; RGB (grey is read as RGB, which carries no mark).
    threshold : float, optional
        Largest p-value reported as a detection.
    backend : {"numpy", "invisible-watermark"}
        ``"numpy"`` (default) decodes with pixelproof's vectorised equivalent;
        ``"invisible-watermark"`` with the package's own code.

    Returns
    -------
    WatermarkResult
        ``method`` is ``"invisible-watermark-dwtDct"``; ``message`` is the variant
        found (``"sd-v1"`` or ``"sdxl"``) when detected; ``details`` holds the bit
        accuracy against each published bit string and the p-values.
    """
    if backend not in ("numpy", "invisible-watermark"):
        raise ValueError(f"backend must be 'numpy' or 'invisible-watermark', got {backend!r}")
    pixels = to_pixels(image)
    colour = pixels.colour
    if colour.ndim == 2:
        colour = np.repeat(colour[..., None], 3, axis=2)
    height, width = colour.shape[:2]
    details: dict[str, Any] = {"backend": backend}
    if height * width < _MIN_PIXELS:
        details["reason"] = "image smaller than 256 x 256 pixels: the mark is never added there"
        return WatermarkResult(False, None, 1.0, (), METHOD, details)
    votes = _block_votes_numpy(colour) if backend == "numpy" else None
    best: tuple[float, _Variant | None, NDArray[np.float64]] = (2.0, None, np.zeros(0))
    for candidate in _variants():
        n = candidate.bits.size
        scores = _bit_scores(votes, n) if votes is not None else _bit_scores_package(colour, n)
        decoded = (scores * 255 > 127).astype(np.uint8)
        p = _match_pvalue(decoded, candidate.bits)
        details[candidate.name] = {
            "bit_accuracy": round(float(np.mean(decoded == candidate.bits)), 4),
            "p_value": p,
        }
        if p < best[0]:
            best = (p, candidate, scores)
    p_value, variant, scores = best
    detected = variant is not None and p_value <= threshold
    confidences = tuple(round(float(max(s, 1.0 - s)), 4) for s in scores)
    if variant is not None:
        details["best_variant"] = variant.name
        if detected:
            details["generator"] = variant.label
    # a bonferroni factor of 2 for the two bit strings tried
    p_value = min(1.0, 2.0 * p_value) if math.isfinite(p_value) else 1.0
    return WatermarkResult(
        detected=bool(detected and p_value <= threshold),
        message=variant.name if detected and variant is not None else None,
        p_value=p_value,
        bit_confidences=confidences,
        method=METHOD,
        details=details,
    )
