"""Invisible, keyed, robust watermarks: pixelproof's own mark and other systems' marks.

>>> import numpy as np
>>> from pixelproof.watermark import embed, detect
>>> y, x = np.mgrid[0:256, 0:256]
>>> image = np.stack([x, y, 255 - x], axis=-1).astype(np.uint8)   # a synthetic picture
>>> marked = embed(image, "c0ffee42", key="my secret")
>>> result = detect(marked, key="my secret")
>>> result.detected, result.message
(True, 'c0ffee42')
>>> marked = embed("photo.png", "c0ffee42", key="my secret")      # doctest: +SKIP

Design of pixelproof's mark (``pixelproof-tile-v2``)
----------------------------------------------------
* Payload: 32 user bits + CRC-16, coded by a K=7 rate-1/3 convolutional code (162
  coded bits), decoded by max-log-MAP (soft decisions, per-bit confidences).
* Layout: a tile of 33 x 33 chips; a key-seeded permutation gives 256 synchronisation
  chips (keyed signs) and spreads each coded bit over ~5 payload chips with keyed
  signs. The chips are rendered as band-passed blobs of 3 px (images up to ~840 px on
  the shorter side; larger images get proportionally larger, always odd, chips) and the
  tile is repeated over the whole image.
* Coarse layer: the same tile also carries 11 x 11 chips three times as wide, rendered
  three times lower in frequency (periods of about 13-30 px at 3-px chips), where codecs
  keep what they flatten at the fine layer's scale: 40 synchronisation chips and 81
  chips with a punctured rate-0.6 subset of the coded bits. Its soft bits add to the
  fine layer's; its sync score is combined with the fine one (see ``_detect``).
* Embedding: luminance only (the same offset on R, G and B). The fine layer is scaled
  by a noise visibility mask (texture raises it, flat, dark and near-white areas lower
  it) to about 40-41 dB PSNR; the coarse layer goes into smooth areas (up to 2 grey
  levels RMS, brightness-masked), within what the fine layer left of its budget. Alpha
  is never touched.
* Detection (blind): high-pass residual normalised by its local energy; a
  spectrally whitened, band-weighted autocorrelation shows the tile lattice, which is
  searched within a bounded budget (any rotation angle class, flips, scale, stretch),
  from its strongest peaks and by scanning square lattices over period and angle;
  the residual is folded onto one tile (once per layer, each with its own high-pass),
  the crop offset and symmetry are found by FFT correlation with the sync chips, the
  payload chips give soft bits.
* Statistics: see :mod:`pixelproof.watermark._detect` and :func:`detect`.
* Marks of format 1 (no coarse layer) are still read: the fine layer's score alone is
  one of the combinations tried.

:func:`read_stable_diffusion_mark` reads the dwtDct mark that the Stable Diffusion
reference pipelines (v1, v2, SDXL) add.

The implementation needs OpenCV and SciPy (``pip install 'pixelproof[watermark]'``);
the names below are imported on first use, so ``import pixelproof.watermark`` always
works.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._api import (
        DEFAULT_KEY,
        DEFAULT_THRESHOLD,
        METHOD,
        MIN_SIDE,
        WatermarkResult,
        detect,
        embed,
    )
    from ._bench import bench_system
    from ._files import (
        detect_file,
        embed_file,
        extension_for,
        marked_file_bytes,
        output_format,
    )
    from ._stable_diffusion import SD_V1_MESSAGE, SDXL_MESSAGE_BITS, read_stable_diffusion_mark

_EXPORTS = {
    "DEFAULT_KEY": "._api",
    "DEFAULT_THRESHOLD": "._api",
    "METHOD": "._api",
    "MIN_SIDE": "._api",
    "WatermarkResult": "._api",
    "detect": "._api",
    "embed": "._api",
    "bench_system": "._bench",
    "detect_file": "._files",
    "embed_file": "._files",
    "extension_for": "._files",
    "marked_file_bytes": "._files",
    "output_format": "._files",
    "SD_V1_MESSAGE": "._stable_diffusion",
    "SDXL_MESSAGE_BITS": "._stable_diffusion",
    "read_stable_diffusion_mark": "._stable_diffusion",
}

__all__ = [
    "DEFAULT_KEY",
    "DEFAULT_THRESHOLD",
    "METHOD",
    "MIN_SIDE",
    "SDXL_MESSAGE_BITS",
    "SD_V1_MESSAGE",
    "WatermarkResult",
    "bench_system",
    "detect",
    "detect_file",
    "embed",
    "embed_file",
    "extension_for",
    "marked_file_bytes",
    "output_format",
    "read_stable_diffusion_mark",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
