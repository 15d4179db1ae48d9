"""Recolouring: regions whose colour channels no longer move together as they should.

In a photograph the fine detail of the red, green and blue channels is strongly
correlated (the same edges and textures under the same light, coupled further by
demosaicing and chroma subsampling), and the chroma of neighbouring areas changes
with their luminance. Recolouring a region (hue or saturation changes, colour
replacement, channel mixing, clipping) weakens that coupling or changes the ratio of
chroma to luma detail there. Per 16x16 cell we measure the correlation of the
channels' high-pass residuals and the ratio of chroma to luma detail, and mark cells
that depart from the image's own distribution by several robust standard deviations.

This is a weak cue on its own: a hue rotation keeps much of the coupling. In JPEG
files saved twice, recolouring is mostly caught by the double-compression analysis
(the recoloured region loses its first-compression traces).

References
----------
B. K. Gunturk, Y. Altunbasak, R. M. Mersereau, "Color plane interpolation using
alternating projections", IEEE TIP 11(9), 2002 (inter-channel correlation of detail).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._common import area_score, box_mean, cells_to_map, require_cv2, robust_center_scale, sigmoid
from ._context import ImageContext
from ._result import ForensicResult, empty_result

NAME = "recolor"
_CELL = 16
_MIN_CELLS = 64
_Z_START = 3.5
_Z_SCALE = 1.0


def recolor_analysis(context: ImageContext) -> ForensicResult:
    """Map cells whose inter-channel coupling departs from the rest of the image.

    Returns
    -------
    ForensicResult
        ``heatmap`` per 16x16 cell; ``details``: ``median_correlation`` (of the
        channels' detail), ``flagged_fraction``.
    """
    cv2 = require_cv2()
    rgb = context.pixels.astype(np.float32)
    height, width = rgb.shape[:2]
    rows, cols = height // _CELL, width // _CELL
    if rows * cols < _MIN_CELLS:
        return empty_result(NAME, context.size, "Too small for colour-coupling analysis.")
    crop = rgb[: rows * _CELL, : cols * _CELL]
    detail = crop - cv2.blur(crop, (3, 3))
    r, g, b = detail[..., 0], detail[..., 1], detail[..., 2]

    def cell_sum(values: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
        out: np.ndarray[Any, Any] = values.reshape(rows, _CELL, cols, _CELL).sum(axis=(1, 3))
        return out

    gg = cell_sum(g * g) + 1.0
    correlation_r = cell_sum(r * g) / np.sqrt((cell_sum(r * r) + 1.0) * gg)
    correlation_b = cell_sum(b * g) / np.sqrt((cell_sum(b * b) + 1.0) * gg)
    coupling = np.minimum(correlation_r, correlation_b)
    # Chroma detail relative to luma detail.
    y = context.luma[: rows * _CELL, : cols * _CELL]
    cb = (crop[..., 2] - y) * 0.564
    cr = (crop[..., 0] - y) * 0.713
    luma_detail = cell_sum(np.abs(y - cv2.blur(y, (3, 3)))) + _CELL * _CELL * 0.5
    chroma_detail = cell_sum(np.abs(cb - cv2.blur(cb, (3, 3))) + np.abs(cr - cv2.blur(cr, (3, 3))))
    chroma_ratio = np.log((chroma_detail + _CELL * _CELL * 0.5) / luma_detail)
    textured = gg > _CELL * _CELL * 4.0
    if textured.sum() < _MIN_CELLS // 2:
        return empty_result(NAME, context.size, "Too little detail for colour-coupling analysis.")
    c_center, c_scale = robust_center_scale(coupling[textured])
    r_center, r_scale = robust_center_scale(chroma_ratio)
    z_coupling = np.where(textured, -(coupling - c_center) / max(c_scale, 0.05), 0.0)
    z_ratio = (chroma_ratio - r_center) / max(r_scale, 0.1)
    z = np.maximum(box_mean(z_coupling, 3), box_mean(z_ratio, 3))
    cells = np.asarray(sigmoid((z - _Z_START) / _Z_SCALE), dtype=np.float32)
    heatmap = cells_to_map(cells, _CELL, context.size)
    score = area_score(heatmap, full_area=0.03)
    flagged = float(np.mean(heatmap >= 0.5))
    text = (
        f"{flagged:.1%} of the image has colour detail that is unusually weakly coupled to "
        "its brightness detail (recoloured?)."
        if flagged >= 0.003
        else "Colour and brightness detail are coupled consistently across the image."
    )
    details: dict[str, Any] = {
        "median_correlation": round(c_center, 3),
        "flagged_fraction": round(flagged, 4),
    }
    return ForensicResult(NAME, heatmap, context.size, score, text, details)
