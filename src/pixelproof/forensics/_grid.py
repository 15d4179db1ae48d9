"""Block artifact grids: non-aligned double compression and block-grid misalignment.

Every JPEG save leaves faint discontinuities every 8 pixels, on a grid that starts
at the image's top-left corner. A region pasted from another JPEG brings its own
grid, which lands at an arbitrary offset (63 times out of 64 not on the host's
grid), and survives a later save of the whole image. Cropping a JPEG and saving it
again shifts the whole grid. This analysis measures, in every 32x32-pixel window, the
strength of the blocking grid at each of the 8x8 possible offsets, separately along
rows and columns, and reports:

* the image's dominant grid and whether it sits where the last save put it
  (a shifted grid means the image was cropped or re-framed after a JPEG save);
* windows carrying a strong grid at another offset, in both directions (pasted
  material with its own JPEG history).

References
----------
W. Li, Y. Yuan, N. Yu, "Passive detection of doctored JPEG image via block artifact
grid extraction", Signal Processing 89(9), 2009. doi:10.1016/j.sigpro.2009.03.025
Z. Fan, R. L. de Queiroz, "Identification of bitmap compression history: JPEG
detection and quantizer estimation", IEEE TIP 12(2), 2003.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from ._common import Float64Array, area_score, cells_to_map, sigmoid
from ._context import ImageContext
from ._result import ForensicResult, empty_result

NAME = "grid"
_CELL = 8
_WINDOW_CELLS = 8  # 64x64 pixel windows
_MIN_CELLS = 16
# A foreign grid must stand out by this many noise units in both directions.
_Z_START = 4.0
_Z_SCALE = 1.0
_GLOBAL_MIN_STRENGTH = 0.04  # relative peak of a real JPEG grid over the image


def grid_analysis(context: ImageContext) -> ForensicResult:
    """Find windows whose JPEG block grid is not the image's grid.

    Returns
    -------
    ForensicResult
        ``heatmap``: evidence of a foreign 8x8 grid per 8x8 cell. ``details``:
        ``grid_offset`` (row, column offset of the dominant grid, where (0, 0) is
        where the image's own last save puts it), ``grid_strength``,
        ``grid_shifted`` (bool), ``foreign_fraction``.
    """
    y = context.luma
    height, width = y.shape
    if height < _CELL * _MIN_CELLS // 2 or width < _CELL * _MIN_CELLS // 2:
        return empty_result(NAME, context.size, "Too small for block-grid analysis.")
    col_phase, row_phase = _phase_energy(y)
    # Dominant grid over the whole image, per direction.
    global_cols = col_phase.sum(axis=(0, 1))
    global_rows = row_phase.sum(axis=(0, 1))
    gx, strength_x = _peak(global_cols)
    gy, strength_y = _peak(global_rows)
    strength = min(strength_x, strength_y)
    has_grid = strength >= _GLOBAL_MIN_STRENGTH
    # Window sums over 4x4 cells, then the strongest phase other than the image's.
    wc = _window_sum(col_phase)
    wr = _window_sum(row_phase)
    zx = _foreign_z(wc, gx if has_grid else None)
    zy = _foreign_z(wr, gy if has_grid else None)
    z = np.minimum(zx, zy)
    # The offsets must agree across directions with a real grid: a foreign grid is
    # strong along both axes, while texture usually favours one.
    cells = np.asarray(sigmoid((z - _Z_START) / _Z_SCALE), dtype=np.float32)
    heatmap = cells_to_map(cells, _CELL, context.size)
    score = area_score(heatmap, full_area=0.02)
    # The last save's grid starts at the top-left (the boundary after pixel 7).
    expected_x = expected_y = _CELL - 1
    if context.jpeg is not None and context.orientation in (2, 3, 4, 5, 6, 7, 8):
        expected_x, expected_y = _expected_after_orientation(context)
    offset = ((gy - expected_y) % _CELL, (gx - expected_x) % _CELL)
    shifted = bool(has_grid and offset != (0, 0))
    foreign = float(np.mean(heatmap >= 0.5))
    parts = []
    if not has_grid:
        parts.append("No JPEG block grid in the image as a whole.")
    elif shifted:
        parts.append(
            f"The JPEG block grid is shifted by {offset[0]} row(s) and {offset[1]} column(s): "
            "the image was cropped or re-framed after a JPEG save."
        )
    else:
        parts.append("The JPEG block grid is where the last save put it.")
    if foreign >= 0.002:
        parts.append(f"{foreign:.1%} of the image carries a block grid at another offset.")
    else:
        parts.append("No region carries a grid of its own.")
    details: dict[str, Any] = {
        "grid_offset": list(offset),
        "grid_strength": round(float(strength), 4),
        "grid_found": bool(has_grid),
        "grid_shifted": shifted,
        "foreign_fraction": round(foreign, 4),
    }
    return ForensicResult(NAME, heatmap, context.size, score, " ".join(parts), details)


def _phase_energy(y: NDArray[np.float32]) -> tuple[Float64Array, Float64Array]:
    """Blockiness at each of 8 column (row) phases, summed per 8x8 cell.

    Returns two ``(cell_rows, cell_cols, 8)`` arrays: for columns, element ``k`` is the
    excess of the horizontal step between pixel columns ``8j+k`` and ``8j+k+1`` over
    the neighbouring steps (and likewise for rows).
    """
    rows, cols = y.shape[0] // _CELL, y.shape[1] // _CELL
    step_x = np.abs(np.diff(y, axis=1))
    excess_x = np.zeros_like(y)
    # Peak measure: step minus the mean of its two neighbours, clipped at 0, and
    # compressed so that strong edges do not dominate the sums.
    left, middle, right = step_x[:, :-2], step_x[:, 1:-1], step_x[:, 2:]
    peak_x = np.clip(middle - 0.5 * (left + right), 0.0, 8.0)
    excess_x[:, 1:-2] = peak_x[:, :]
    step_y = np.abs(np.diff(y, axis=0))
    top, centre, bottom = step_y[:-2], step_y[1:-1], step_y[2:]
    peak_y = np.clip(centre - 0.5 * (top + bottom), 0.0, 8.0)
    excess_y = np.zeros_like(y)
    excess_y[1:-2, :] = peak_y
    # excess_x[:, j] is the step between columns j and j+1.
    cx = excess_x[: rows * _CELL, : cols * _CELL].reshape(rows, _CELL, cols, _CELL)
    cy = excess_y[: rows * _CELL, : cols * _CELL].reshape(rows, _CELL, cols, _CELL)
    col_phase = cx.sum(axis=1, dtype=np.float64)  # (rows, cols, 8 column phases)
    row_phase = cy.sum(axis=3, dtype=np.float64).transpose(0, 2, 1)  # (rows, cols, 8)
    return col_phase, row_phase


def _peak(energy: Float64Array) -> tuple[int, float]:
    """Strongest phase and its relative excess over the median phase."""
    phase = int(np.argmax(energy))
    median = float(np.median(energy))
    return phase, (float(energy[phase]) - median) / max(median, 1e-9)


def _window_sum(phase: Float64Array) -> Float64Array:
    """Sum over windows of 4x4 cells centred (as far as possible) on each cell."""
    from ._common import require_cv2

    cv2 = require_cv2()
    size = (_WINDOW_CELLS, _WINDOW_CELLS)
    planes = [
        cv2.blur(
            np.ascontiguousarray(phase[..., k], dtype=np.float32),
            size,
            borderType=cv2.BORDER_REPLICATE,
        )
        for k in range(phase.shape[-1])
    ]
    out: Float64Array = np.stack(planes, axis=-1).astype(np.float64) * (
        _WINDOW_CELLS * _WINDOW_CELLS
    )
    return out


def _foreign_z(window: Float64Array, own: int | None) -> Float64Array:
    """How far the strongest phase other than ``own`` stands out, in noise units.

    Under no grid, the eight phase sums are alike; their spread (robust, from the
    phases other than the two strongest) is the noise unit.
    """
    values = window.copy()
    if own is not None:
        values[..., own] = np.nan
    ranked = np.sort(np.nan_to_num(values, nan=-np.inf), axis=-1)[..., ::-1]
    best = ranked[..., 0]
    rest = ranked[..., 1:7] if own is not None else ranked[..., 1:]
    center = np.median(rest, axis=-1)
    spread = np.std(rest, axis=-1) + 0.05 * center + 1e-6
    out: Float64Array = (best - center) / spread
    return out


def _expected_after_orientation(context: ImageContext) -> tuple[int, int]:
    """Column and row phase of the stored grid once the EXIF orientation is applied."""
    stored_h, stored_w = context.stored_luma.shape
    orientation = context.orientation

    # Phase of the boundary after stored pixel 7 along each stored axis, when the
    # axis is reversed: the boundary index becomes (length - 1 - 8) mod 8.
    def reversed_phase(length: int) -> int:
        return (length - 1 - _CELL) % _CELL

    col_phase, row_phase = _CELL - 1, _CELL - 1
    flip_x = orientation in (2, 3, 6, 7)
    flip_y = orientation in (3, 4, 7, 8)
    transposed = orientation in (5, 6, 7, 8)
    if transposed:
        # Displayed columns come from stored rows, displayed rows from stored columns.
        col_phase = reversed_phase(stored_h) if flip_x else _CELL - 1
        row_phase = reversed_phase(stored_w) if flip_y else _CELL - 1
    else:
        col_phase = reversed_phase(stored_w) if flip_x else _CELL - 1
        row_phase = reversed_phase(stored_h) if flip_y else _CELL - 1
    return col_phase, row_phase
