"""Recolouring: regions whose colours do not belong to the scene or its colour detail.

In a photograph the fine detail of the red, green and blue channels is strongly
correlated (the same edges and textures under the same light, coupled further by
demosaicing and chroma subsampling), and the chroma of neighbouring areas changes
with their luminance. Recolouring a region (hue or saturation changes, colour
replacement, channel mixing, clipping) weakens that coupling or changes the ratio of
chroma to luma detail there. Per 16x16 cell we measure the correlation of the
channels' high-pass residuals and the ratio of chroma to luma detail, and mark cells
that depart from the image's own distribution by several robust standard deviations.

That is a weak cue on its own: a hue rotation keeps much of the coupling. The second
cue is the scene's palette: the colours of a photo recur across it (the same
illuminant, materials and reflections appear in many places), while a recoloured
region, or one pasted from another photo, has colours found nowhere else. On a
reduced copy of the image (about 40,000 pixels), every 8x8 cell's mean colour (CIELAB,
lightness at half weight) is compared with the cells outside its own neighbourhood; a
cell whose colour has a much lower density there than is usual in this image (robust
z-score of the negative log-density) is marked. Grey cells, whose hue is undefined,
are left out. Distinctively coloured objects (a red car) also stand out, so this
cue localizes within an image rather than telling manipulated images from authentic
ones. In JPEG files saved twice, recolouring is also caught by the double-compression
analysis (the recoloured region loses its first-compression traces).

References
----------
B. K. Gunturk, Y. Altunbasak, R. M. Mersereau, "Color plane interpolation using
alternating projections", IEEE TIP 11(9), 2002 (inter-channel correlation of detail).
D. Comaniciu, P. Meer, "Mean shift: a robust approach toward feature space analysis",
IEEE TPAMI 24(5), 2002 (kernel density of colours in a joint colour space).
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
# Scene palette (see the module doc).
_PALETTE_AREA = 40_000  # pixels of the reduced copy
_PALETTE_CELL = 8  # pixels of the reduced copy per cell
_PALETTE_SIGMA = 5.0  # CIELAB units: kernel width of the colour density
_PALETTE_LIGHTNESS = 0.5  # weight of lightness against the two chroma axes
_PALETTE_EXCLUDE = 0.15  # neighbourhood left out, relative to sqrt(cell count)
_PALETTE_GREY = 4.0  # chroma (CIELAB) below which a cell has no reliable hue
_PALETTE_Z_START = 3.0


def recolor_analysis(context: ImageContext) -> ForensicResult:
    """Map cells whose colour or inter-channel coupling departs from the rest of the image.

    Returns
    -------
    ForensicResult
        ``heatmap``: per 16x16 cell (colour coupling) and per palette cell (about
        1/200 of the image's side), the stronger of the two; ``details``:
        ``median_correlation`` (of the channels' detail, None in images with too
        little detail), ``flagged_fraction``, ``foreign_colour_fraction`` (area whose
        colour is rare in the rest of the scene).
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
    r_center, r_scale = robust_center_scale(chroma_ratio)
    z = box_mean((chroma_ratio - r_center) / max(r_scale, 0.1), 3)
    if textured.sum() >= _MIN_CELLS // 2:
        c_center, c_scale = robust_center_scale(coupling[textured])
        z_coupling = np.where(textured, -(coupling - c_center) / max(c_scale, 0.05), 0.0)
        z = np.maximum(box_mean(z_coupling, 3), z)
    else:
        c_center = float("nan")
    cells = np.asarray(sigmoid((z - _Z_START) / _Z_SCALE), dtype=np.float32)
    coupling_map = cells_to_map(cells, _CELL, context.size)
    palette_map = _palette_map(context.pixels)
    heatmap = np.maximum(coupling_map, palette_map) if palette_map is not None else coupling_map
    score = area_score(heatmap, full_area=0.03)
    flagged = float(np.mean(heatmap >= 0.5))
    foreign = float(np.mean(palette_map >= 0.5)) if palette_map is not None else 0.0
    text = (
        f"{flagged:.1%} of the image has colours found nowhere else in the scene or colour "
        "detail unusually weakly coupled to its brightness detail (recoloured or pasted?)."
        if flagged >= 0.003
        else "Colours and their coupling to brightness detail are consistent across the image."
    )
    details: dict[str, Any] = {
        "median_correlation": None if np.isnan(c_center) else round(c_center, 3),
        "flagged_fraction": round(flagged, 4),
        "foreign_colour_fraction": round(foreign, 4),
    }
    return ForensicResult(NAME, heatmap, context.size, score, text, details)


def _palette_map(pixels: np.ndarray[Any, Any]) -> np.ndarray[Any, Any] | None:
    """Full-size evidence map of cells whose colour is rare in the rest of the scene.

    None when the reduced image has too few cells.
    """
    cv2 = require_cv2()
    height, width = pixels.shape[:2]
    factor = min(1.0, float(np.sqrt(_PALETTE_AREA / max(1, width * height))))
    small_size = (max(1, round(width * factor)), max(1, round(height * factor)))
    small = pixels
    if small_size != (width, height):
        small = cv2.resize(pixels, small_size, interpolation=cv2.INTER_AREA)
    rows, cols = small.shape[0] // _PALETTE_CELL, small.shape[1] // _PALETTE_CELL
    if rows * cols < _MIN_CELLS:
        return None
    lab = cv2.cvtColor(small.astype(np.float32) / 255.0, cv2.COLOR_RGB2LAB)
    crop = lab[: rows * _PALETTE_CELL, : cols * _PALETTE_CELL]
    colours = crop.reshape(rows, _PALETTE_CELL, cols, _PALETTE_CELL, 3).mean(axis=(1, 3))
    colours = colours.reshape(-1, 3).astype(np.float64)
    colours[:, 0] *= _PALETTE_LIGHTNESS
    grey = np.hypot(colours[:, 1], colours[:, 2]) < _PALETTE_GREY
    norms = (colours**2).sum(axis=1)
    distance2 = np.maximum(norms[:, None] + norms[None, :] - 2.0 * colours @ colours.T, 0.0)
    similarity = np.exp(-distance2 / (2.0 * _PALETTE_SIGMA**2))
    row_index, col_index = np.divmod(np.arange(rows * cols), cols)
    spacing2 = (row_index[:, None] - row_index[None, :]) ** 2 + (
        col_index[:, None] - col_index[None, :]
    ) ** 2
    far = spacing2 > (_PALETTE_EXCLUDE**2) * rows * cols
    density = (similarity * far).sum(axis=1) / np.maximum(far.sum(axis=1), 1)
    rarity = -np.log(density + 1e-3)
    rarity[grey] = np.median(rarity)
    center = float(np.median(rarity))
    scale = 1.4826 * float(np.median(np.abs(rarity - center))) + 0.3
    z = ((rarity - center) / scale).reshape(rows, cols)
    cells = np.asarray(sigmoid(z - _PALETTE_Z_START), dtype=np.float32)
    small_map = cells_to_map(cells, _PALETTE_CELL, small_size)
    if small_size == (width, height):
        return small_map
    out: np.ndarray[Any, Any] = cv2.resize(
        small_map, (width, height), interpolation=cv2.INTER_NEAREST
    )
    return out
