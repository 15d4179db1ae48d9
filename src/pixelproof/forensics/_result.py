"""The typed result every forensic analysis returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray


@dataclass(frozen=True)
class ForensicResult:
    """What one forensic analysis found in one image.

    Attributes
    ----------
    name : str
        The analysis name (``"ela"``, ``"noise"``, ``"dq"``, ...).
    heatmap : (h, w) float32 ndarray
        Evidence of manipulation per location, in [0, 1] (0 = nothing found,
        1 = strong evidence). On an absolute, calibrated scale: an image where the
        analysis finds nothing is dark, it is never stretched to fill the range. It
        may be coarser than the image; ``image_size`` is the area it covers, and
        :meth:`full_heatmap` resamples it to that size.
    image_size : (int, int)
        ``(width, height)`` of the analysed image.
    score : float
        Image-level evidence of manipulation in [0, 1].
    explanation : str
        One or two plain-language sentences saying what was found.
    details : dict
        JSON-serialisable numbers behind the finding (analysis-specific).
    informative : bool
        False when the analysis could not look (no JPEG data, no camera traces,
        image too small): its map is then all zero and its score 0.
    """

    name: str
    heatmap: NDArray[np.float32] = field(repr=False)
    image_size: tuple[int, int]
    score: float
    explanation: str
    details: dict[str, Any] = field(default_factory=dict)
    informative: bool = True

    def __post_init__(self) -> None:
        if self.heatmap.ndim != 2 or self.heatmap.dtype != np.float32:
            raise ValueError(
                f"{self.name}: heatmap must be a 2-D float32 array, got "
                f"{self.heatmap.dtype} {self.heatmap.shape}"
            )
        if self.heatmap.size and not (
            np.all(np.isfinite(self.heatmap))
            and float(self.heatmap.min()) >= 0.0
            and float(self.heatmap.max()) <= 1.0
        ):
            raise ValueError(f"{self.name}: heatmap values must be finite and in [0, 1]")
        if not 0.0 <= self.score <= 1.0:
            raise ValueError(f"{self.name}: score must be in [0, 1], got {self.score}")

    def full_heatmap(self) -> NDArray[np.float32]:
        """The heat-map resampled (bilinear) to ``(height, width)`` of the image."""
        from ._common import resize_map

        return resize_map(self.heatmap, self.image_size)


def empty_result(
    name: str, image_size: tuple[int, int], explanation: str, **details: Any
) -> ForensicResult:
    """A result for an analysis that could not look at this image."""
    return ForensicResult(
        name=name,
        heatmap=np.zeros((1, 1), dtype=np.float32),
        image_size=image_size,
        score=0.0,
        explanation=explanation,
        details=dict(details),
        informative=False,
    )
