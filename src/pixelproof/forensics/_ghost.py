"""JPEG ghosts: regions that were once saved at a lower quality than the rest.

Saving a JPEG again at the quality it was already compressed with changes it very
little. So if an image is resaved at a series of qualities, a region that was
compressed earlier at quality ``q0`` shows a dip ("ghost") of its difference at
``q0``, while the rest of the image does not. Each 16x16 cell's difference curve is
normalised by its own mean (removing texture), and compared at every quality with the
same curve of the other cells; cells with an unusually deep dip are marked.

References
----------
H. Farid, "Exposing digital forgeries from JPEG ghosts", IEEE TIFS 4(1), 2009.
doi:10.1109/TIFS.2008.2012215
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._common import (
    area_score,
    box_mean,
    cells_to_map,
    clipped_blocks,
    luma,
    robust_center_scale,
    sigmoid,
)
from ._context import ImageContext
from ._grid import shows_jpeg_past
from ._result import ForensicResult, empty_result

NAME = "ghost"
GHOST_QUALITIES = (55, 65, 75, 85, 95)
_CELL = 16
_MIN_CELLS = 48
_Z_START = 3.5
_Z_SCALE = 1.0


def ghost_analysis(
    context: ImageContext, *, qualities: tuple[int, ...] = GHOST_QUALITIES
) -> ForensicResult:
    """Find regions whose resave difference dips at a quality where the image's does not.

    Returns
    -------
    ForensicResult
        ``heatmap`` per 16x16 cell; ``details``: ``qualities``, ``ghost_quality``
        (quality of the strongest dip among flagged cells, or None),
        ``flagged_fraction``.
    """
    y = context.luma
    rows, cols = y.shape[0] // _CELL, y.shape[1] // _CELL
    if rows * cols < _MIN_CELLS:
        return empty_result(NAME, context.size, "Too small for JPEG-ghost analysis.")
    if context.jpeg is None and not shows_jpeg_past(y):
        # Flat drawings and renders react to resaving in patterns that mimic ghosts;
        # an image that was never a JPEG has none to show.
        return empty_result(
            NAME,
            context.size,
            "Not a JPEG and no trace of a JPEG save in the pixels: no ghosts to look for.",
        )
    levels = sorted(set(qualities))
    curves = np.empty((len(levels), rows, cols), dtype=np.float64)
    crop = y[: rows * _CELL, : cols * _CELL]
    for index, quality in enumerate(levels):
        again = luma(context.recompress(quality))[: rows * _CELL, : cols * _CELL]
        squared = (crop - again) ** 2
        curves[index] = squared.reshape(rows, _CELL, cols, _CELL).mean(axis=(1, 3))
    # Cells too flat to say anything: their curves are all near zero.
    energy = curves.mean(axis=0)
    usable = energy > 0.5
    if usable.sum() < _MIN_CELLS // 2:
        return empty_result(NAME, context.size, "Too little detail for JPEG-ghost analysis.")
    shape = np.log(curves + 0.05) - np.log(energy + 0.05)[None]
    dip = np.full((rows, cols), -np.inf)
    dip_quality = np.zeros((rows, cols), dtype=np.int64)
    for index, quality in enumerate(levels):
        center, scale = robust_center_scale(shape[index][usable])
        z = -(shape[index] - center) / max(scale, 0.05)
        z = box_mean(np.where(usable, z, 0.0), 2).astype(np.float64)
        better = z > dip
        dip[better] = z[better]
        dip_quality[better] = quality
    cells = np.asarray(sigmoid((dip - _Z_START) / _Z_SCALE), dtype=np.float32)
    cells[~usable] = 0.0
    # Clipped highlights and shadows do not change under recompression.
    cells[clipped_blocks(context.pixels, _CELL)[:rows, :cols]] = 0.0
    heatmap = cells_to_map(cells, _CELL, context.size)
    score = area_score(heatmap, full_area=0.03)
    flagged_cells = cells >= 0.5
    flagged = float(np.mean(heatmap >= 0.5))
    ghost_quality = (
        int(np.bincount(dip_quality[flagged_cells]).argmax()) if flagged_cells.any() else None
    )
    if ghost_quality is not None and flagged >= 0.003:
        text = (
            f"{flagged:.1%} of the image changes unusually little when saved at quality "
            f"{ghost_quality}: it was probably compressed at about that quality before the rest."
        )
    else:
        text = "No region shows a JPEG ghost (an earlier save at a different quality)."
    details: dict[str, Any] = {
        "qualities": levels,
        "ghost_quality": ghost_quality,
        "flagged_fraction": round(flagged, 4),
    }
    return ForensicResult(NAME, heatmap, context.size, score, text, details)
