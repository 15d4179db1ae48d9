"""A published checkpoint (CNNDetection, NPR) in the place of the shipped pixel probe.

``pixelproof detect --checkpoint cnndetection:/path/blur_jpg_prob0.5.pth`` scores the
pixels with the authors' network and preprocessing (:mod:`.checkpoints`) instead of
pixelproof's probe. The verdict is built like the probe's (:mod:`._pixels`): the
image, a JPEG-75 save and a half-size copy are scored, their mean log-odds is the
pixels' log-odds and their spread is the disagreement. Two differences, both said in
the row: the probability is the authors' own and **uncalibrated** (pixelproof has no
held-out set of the user's kind to calibrate it on), and there is no per-region map
(the networks score a whole image; the map is that score everywhere). The copies are
taken of the image at full resolution, as the authors' test scripts do.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from ._model import REAL_THRESHOLD, SYNTHETIC_THRESHOLD, label_for
from ._pixels import MIN_SIDE, PixelVerdict, degraded_copies, too_little, uninformative_verdict

if TYPE_CHECKING:
    from .checkpoints import CheckpointSpec


def _sigmoid(x: float) -> float:
    return float(0.5 * (1.0 + np.tanh(0.5 * x)))


@dataclass(frozen=True)
class CheckpointModel:
    """A ``KIND:PATH`` published checkpoint used as the pixel detector (read lazily,
    once per process, by :meth:`CheckpointSpec.load`)."""

    spec: CheckpointSpec
    synthetic_threshold: float = SYNTHETIC_THRESHOLD
    real_threshold: float = REAL_THRESHOLD
    calibrated = False

    @property
    def name(self) -> str:
        """``KIND:PATH``, as the row reports which model ran."""
        return str(self.spec)

    def label(self, probability: float) -> str:
        """``synthetic``, ``real`` or ``inconclusive`` at the default thresholds."""
        return label_for(probability, self.synthetic_threshold, self.real_threshold)

    def verdict(self, rgb: NDArray[np.uint8]) -> PixelVerdict:
        """The network's verdict on ``rgb`` and on its two degraded copies."""
        detector = self.spec.load()
        if too_little(rgb, max(MIN_SIDE, detector.kind.min_side)):
            return uninformative_verdict(rgb, self.name)
        logits = {name: detector.logit(copy) for name, copy in degraded_copies(rgb).items()}
        logit = float(np.mean(list(logits.values())))
        copies = {name: _sigmoid(value) for name, value in logits.items()}
        cells = (-(-rgb.shape[0] // 32), -(-rgb.shape[1] // 32))
        return PixelVerdict(
            probability=_sigmoid(logit),
            logit=logit,
            copies=copies,
            disagreement=max(copies.values()) - min(copies.values()),
            tile_map=np.full(cells, _sigmoid(logit)),
            model=self.name,
            calibrated=False,
        )
