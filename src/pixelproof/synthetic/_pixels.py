"""The pixel-level verdict: tile scores, their calibration, and how stable they are.

The image's working copy (:func:`._features.working_copy`) is cut into tiles; the
probe scores every tile and the image's raw log-odds is the mean over tiles. The same
is done on two degraded copies of the working copy (saved as JPEG quality 75, and
halved in size), as a re-encode or a resize on the way to the user would do: a
detector that relies on fragile traces changes its mind on them. The reported
probability is the calibrated mean of the three raw log-odds (the calibration was
fitted on that same mean), and the spread of the three calibrated probabilities is
reported as ``disagreement``; above :data:`DISAGREEMENT_LIMIT` the verdict is
inconclusive whatever the mean says.

The per-tile probabilities of the working copy form the heat-map: where in the image
the pixels look generated (an inpainted region in a real photo shows as brighter
tiles).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from ._features import TILE, tiles_features, working_copy
from ._model import SHIPPED, ProbeModel
from ._parity import jpeg_round_trip, resize

DEGRADED_QUALITY = 75
DEGRADED_SCALE = 0.5
DISAGREEMENT_LIMIT = 0.5
MIN_SIDE = 32  # below this, or on a flat image, the pixels say nothing
MIN_SPREAD = 2.0  # standard deviation of the pixel values, in 8-bit levels

if TYPE_CHECKING:
    from ._model import PixelModel

FloatArray = NDArray[np.float64]


def _sigmoid(x: float) -> float:
    return float(0.5 * (1.0 + np.tanh(0.5 * x)))


@dataclass(frozen=True)
class PixelVerdict:
    """What the pixels say.

    Attributes
    ----------
    probability : float
        Calibrated probability that the image is generated (before file evidence).
    logit : float
        Its log-odds.
    copies : dict of str to float
        Calibrated probability of each copy scored alone (``original``, ``jpeg75``,
        ``half``).
    disagreement : float
        Largest minus smallest of ``copies``.
    tile_map : (rows, cols) ndarray
        Calibrated probability per tile of the working copy, laid out on a grid of
        tile-sized cells (overlapping tiles averaged).
    """

    probability: float
    logit: float
    copies: dict[str, float]
    disagreement: float
    tile_map: FloatArray
    informative: bool = True
    model: str = SHIPPED
    """Which pixel detector ran (``shipped``, a model folder, or ``KIND:PATH``)."""
    calibrated: bool = True
    """False for a published checkpoint's own, uncalibrated probability."""

    @property
    def stable(self) -> bool:
        return self.disagreement <= DISAGREEMENT_LIMIT


def degraded_copies(work: NDArray[np.uint8]) -> dict[str, NDArray[np.uint8]]:
    """The working copy and its two degraded versions, by name."""
    height, width = work.shape[:2]
    half = (max(8, round(width * DEGRADED_SCALE)), max(8, round(height * DEGRADED_SCALE)))
    return {
        "original": work,
        "jpeg75": jpeg_round_trip(work, DEGRADED_QUALITY),
        "half": resize(work, half),
    }


def raw_copy_logits(
    rgb: NDArray[np.uint8], model: ProbeModel
) -> tuple[dict[str, float], FloatArray, list[tuple[int, int]], tuple[int, int]]:
    """Raw log-odds of each copy, the original's per-tile raw log-odds, tiles and shape."""
    work = working_copy(rgb)
    logits: dict[str, float] = {}
    tile_logits = np.zeros(0)
    boxes: list[tuple[int, int]] = []
    for name, copy in degraded_copies(work).items():
        features, corners, _ = tiles_features(copy)
        per_tile = model.raw_logits(features)
        logits[name] = float(per_tile.mean())
        if name == "original":
            tile_logits, boxes = per_tile, corners
    return logits, tile_logits, boxes, (work.shape[0], work.shape[1])


def _tile_grid(
    values: FloatArray, boxes: list[tuple[int, int]], shape: tuple[int, int]
) -> FloatArray:
    """Per-tile values painted on a grid of 32-pixel cells of the working copy."""
    cell = 32
    rows, cols = -(-shape[0] // cell), -(-shape[1] // cell)
    total = np.zeros((rows, cols))
    count = np.zeros((rows, cols))
    for value, (top, left) in zip(values, boxes, strict=True):
        r0, c0 = top // cell, left // cell
        r1, c1 = -(-(top + TILE) // cell), -(-(left + TILE) // cell)
        total[r0:r1, c0:c1] += value
        count[r0:r1, c0:c1] += 1
    return np.asarray(total / np.maximum(count, 1), np.float64)


def pixel_spread(rgb: NDArray[np.uint8]) -> float:
    """Standard deviation of all the values of ``rgb``, as ``rgb.std()`` gives it but
    without its float64 copy of the whole image (2 GB at 81 megapixels)."""
    import cv2

    means, deviations = cv2.meanStdDev(np.ascontiguousarray(rgb))
    overall = float(means.mean())
    return math.sqrt(max(0.0, float(np.mean(deviations**2 + means**2)) - overall**2))


def too_little(rgb: NDArray[np.uint8], min_side: int = MIN_SIDE) -> bool:
    """Too small or too flat to carry any trace of how it was made."""
    return min(rgb.shape[:2]) < min_side or pixel_spread(rgb) < MIN_SPREAD


def uninformative_verdict(rgb: NDArray[np.uint8], model: str) -> PixelVerdict:
    """Probability 0.5 (log-odds 0), ``informative`` False: no confident score on no
    information."""
    work = working_copy(rgb)
    grid = np.full((-(-work.shape[0] // 32), -(-work.shape[1] // 32)), 0.5)
    copies = dict.fromkeys(("original", "jpeg75", "half"), 0.5)
    return PixelVerdict(0.5, 0.0, copies, 0.0, grid, informative=False, model=model)


def pixel_verdict(rgb: NDArray[np.uint8], model: PixelModel) -> PixelVerdict:
    """Score ``rgb`` (an (H, W, 3) uint8 image) and two degraded copies of it.

    An image too small or too flat to carry any trace gets probability 0.5 (log-odds 0)
    and ``informative`` False, rather than a confident score the model would give it.
    A published checkpoint scores the image its own way (:mod:`._checkpoint_model`).
    """
    if not isinstance(model, ProbeModel):
        return model.verdict(rgb)
    if too_little(rgb):
        return uninformative_verdict(rgb, model.name)
    logits, tile_logits, boxes, shape = raw_copy_logits(rgb, model)
    mean_raw = float(np.mean(list(logits.values())))
    logit = float(model.calibrated_logit(mean_raw))
    copies = {name: _sigmoid(float(model.calibrated_logit(v))) for name, v in logits.items()}
    tile_probability = 0.5 * (1.0 + np.tanh(0.5 * model.calibrated_logit(tile_logits)))
    return PixelVerdict(
        probability=_sigmoid(logit),
        logit=logit,
        copies=copies,
        disagreement=max(copies.values()) - min(copies.values()),
        tile_map=_tile_grid(np.asarray(tile_probability), boxes, shape),
        model=model.name,
    )
