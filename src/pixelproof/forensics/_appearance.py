"""Learned appearance of edits: what an edited region looks like, not what traces it left.

The other analyses look for traces of the saving pipeline (JPEG grids, noise,
demosaicing), which a single save at good quality largely wipes out. A person still
sees many such edits at a glance: the smeared texture an inpainting leaves where an
object was, a pasted region whose texture, sharpness or lighting does not belong,
colours that nothing in the scene has. This analysis learns that look. A pretrained
image network (EfficientNet-Lite0 with its ImageNet weights, through
:mod:`pixelproof.nets`) describes every 16x16 cell of a reduced copy of the image
(about 300,000 pixels) by the features after its blocks 10 (stride 16) and 14
(stride 32, shared by the four cells it covers), and a linear model over those 304
numbers, fitted on synthetic forgeries (splice, copy-move, object removal,
recolouring) made from the Kodak and BSDS photos, gives the log-odds that the cell
was edited. The model is small on purpose (one weight per
feature, strong L2 penalty) so that it learns what edits look like in general rather
than the photos it saw; ``python -m pixelproof.training appearance``
(:mod:`pixelproof.training.forensics`) refits it.

Scene content also matters to the network (it was trained to recognise objects), so
unusual but authentic things (a defocused background, a motion-blurred area, a
painted sign) can fire: the fusion weighs this analysis against the trace-based ones.

References
----------
M. Tan, Q. V. Le, "EfficientNet: Rethinking model scaling for convolutional neural
networks", ICML 2019 (EfficientNet-Lite: the variant without squeeze-excitation and
with ReLU6, released in the TensorFlow TPU repository, Apache-2.0).
M. Huh, A. Liu, A. Owens, A. A. Efros, "Fighting fake news: image splice detection
via learned self-consistency", ECCV 2018 (learned features for splice localization).
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from typing import Any

import numpy as np

from ._common import Float32Array, box_mean, sigmoid
from ._context import ImageContext
from ._result import ForensicResult, empty_result

NAME = "appearance"
WORK_AREA = 300_000  # pixels of the reduced copy the network sees
_MULTIPLE = 32  # the reduced copy's sides are multiples of the network's total stride
_MIN_SIDE = 64
_TOP_CELLS = 5  # the score is the mean log-odds of the most suspicious cells
_TAPS = ("block10", "block14")
_HEAD = "appearance_head.npz"


def work_size(size: tuple[int, int]) -> tuple[int, int]:
    """``(width, height)`` of the reduced copy the network sees for an image of ``size``."""
    width, height = size
    factor = min(1.0, float(np.sqrt(WORK_AREA / max(1, width * height))))

    def side(pixels: int) -> int:
        return max(_MIN_SIDE, round(pixels * factor / _MULTIPLE) * _MULTIPLE)

    return side(width), side(height)


@lru_cache(maxsize=1)
def _head() -> dict[str, Any]:
    path = resources.files(__package__).joinpath("_data", _HEAD)
    with path.open("rb") as handle, np.load(handle) as data:
        return {key: np.asarray(data[key], dtype=np.float64) for key in data.files}


def appearance_features(pixels: np.ndarray[Any, Any]) -> Float32Array:
    """The network's description of every cell: ``(rows, cols, 304)`` float32.

    ``pixels`` is an (H, W, 3) uint8 RGB image; the cells tile its reduced copy
    (:func:`work_size`) in 16x16 squares, so the grid covers the whole image.
    """
    from ..nets import feature_maps

    size = work_size((pixels.shape[1], pixels.shape[0]))
    maps = feature_maps(pixels, size=size, taps=_TAPS)
    coarse = np.repeat(np.repeat(maps["block14"], 2, axis=1), 2, axis=2)
    features = np.concatenate([maps["block10"], coarse], axis=0).transpose(1, 2, 0)
    return np.ascontiguousarray(features, dtype=np.float32)


def cell_logits(features: Float32Array) -> Float32Array:
    """The linear model's log-odds that each cell was edited, smoothed over 3x3 cells."""
    head = _head()
    flat = features.reshape(-1, features.shape[-1]).astype(np.float64)
    logit = ((flat - head["mean"]) / head["scale"]) @ head["coef"] + float(head["intercept"])
    return box_mean(logit.reshape(features.shape[:2]), 3)


def appearance_analysis(context: ImageContext) -> ForensicResult:
    """Map cells that look edited to a model fitted on synthetic forgeries.

    Returns
    -------
    ForensicResult
        ``heatmap``: probability per 16x16 cell of the reduced copy (the share of
        edited cells in the training images is its prior, so an untouched image stays
        dark); ``score``: the probability of the mean log-odds of the five most
        suspicious cells;
        ``details``: ``top_logit`` (that mean) and ``flagged_fraction`` (area above
        even odds).
    """
    try:
        features = appearance_features(context.pixels)
    except ImportError as exc:  # the network's extra is missing: say so, paint nothing
        return empty_result(NAME, context.size, str(exc))
    logit = cell_logits(features)
    heatmap = np.asarray(sigmoid(logit), dtype=np.float32)
    top = float(np.sort(logit, axis=None)[-_TOP_CELLS:].mean())
    score = float(sigmoid(top))
    flagged = float(np.mean(heatmap >= 0.5))
    if score >= 0.5:
        text = (
            f"An area looks edited to a model trained on forgeries (smeared, pasted or "
            f"unnaturally coloured): probability {score:.0%} where it is strongest, "
            f"{flagged:.1%} of the image above even odds."
        )
    else:
        text = (
            "No area clearly looks edited to a model trained on forgeries "
            f"(probability {score:.0%} where it is strongest)."
        )
    details = {"top_logit": round(top, 3), "flagged_fraction": round(flagged, 4)}
    return ForensicResult(NAME, heatmap, context.size, score, text, details)
