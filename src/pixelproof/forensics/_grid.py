"""Block artifact grids: non-aligned double compression and block-grid misalignment.

Every JPEG save quantizes the DCT of 8x8 blocks on a grid that starts at the image's
top-left corner. A region pasted from another JPEG brings its own grid, which lands
at an arbitrary offset (63 times out of 64 not on the host's grid), and survives a
later save of the whole image when that save is not much coarser. Cropping a JPEG
and saving it again shifts the whole grid. This analysis reports:

* the image's dominant grid (the blocking steps every 8 pixels, per direction) and
  whether it sits where the last save put it (a shifted grid means the image was
  cropped or re-framed after a JPEG save);
* regions carrying a grid of their own (non-aligned double compression): on the
  blocks of an earlier compression the DC coefficient (the block mean) is a
  multiple of that compression's step, plus the small noise the later save added.
  For each of the 63 foreign offsets and each candidate step, the mean resultant of
  ``exp(2 pi i DC / step)`` over a window of 7x7 blocks measures that periodicity;
  without it the phases are uniform and ``n R^2`` is exponential with mean 1
  (Rayleigh). A window is flagged when ``n R^2`` exceeds the log of the number of
  tests (offset and step pairs times distinct windows) by a margin. Windows whose
  block means hardly vary (flat areas, graphics) are not judged. When most of the
  image shows the same foreign grid, the whole image was re-framed after an earlier
  save: that is reported, not painted.

References
----------
W. Li, Y. Yuan, N. Yu, "Passive detection of doctored JPEG image via block artifact
grid extraction", Signal Processing 89(9), 2009. doi:10.1016/j.sigpro.2009.03.025
T. Bianchi, A. Piva, "Detection of nonaligned double JPEG compression based on
integer periodicity maps", IEEE TIFS 7(2), 2012. doi:10.1109/TIFS.2011.2170836
Z. Fan, R. L. de Queiroz, "Identification of bitmap compression history: JPEG
detection and quantizer estimation", IEEE TIP 12(2), 2003.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from ._common import Float64Array, area_score, cells_to_map, require_cv2, sigmoid
from ._context import ImageContext
from ._result import ForensicResult, empty_result

NAME = "grid"
_CELL = 8
_MIN_CELLS = 16
_GLOBAL_MIN_STRENGTH = 0.04  # relative peak of a real JPEG grid over the image
# Non-aligned double compression (DC periodicity on a foreign grid).
_STEPS = np.arange(3, 25, dtype=np.float32)  # DC steps of an earlier save (quality ~25-95)
_WINDOW_BLOCKS = 7
_SPREAD = 1.5  # block means must vary by this many steps (std) in a window to be judged
_MIN_BLOCK_VARIANCE = 4.0  # grey levels squared: flatter blocks are not used
_MIN_BLOCKS = 16  # textured blocks a window needs to be judged
_EVIDENCE_START = 7.0  # nats above the multiple-testing level (windows overlap, so the
# effective number of tests is larger than counted): half-way evidence
_EVIDENCE_SCALE = 1.5
_WHOLE_SHARE = 0.3  # judged windows showing one foreign grid: the image was re-framed
_WHOLE_EVIDENCE = 40.0  # nats: the whole image shows one foreign grid (re-framed)
_PAST_BLOCKS = 4000  # blocks sampled per offset when testing a JPEG past
_PAST_EVIDENCE = 20.0  # nats: a JPEG past shows over thousands of blocks, not a few
_PAST_DISTINCT = 48  # distinct block means (rounded) an offset needs to be tested


def grid_analysis(context: ImageContext) -> ForensicResult:
    """Find regions that carry a JPEG block grid of their own.

    Returns
    -------
    ForensicResult
        ``heatmap``: evidence of a foreign 8x8 grid per 8x8 cell. ``details``:
        ``grid_offset`` (row, column offset of the dominant grid, where (0, 0) is
        where the image's own last save puts it), ``grid_strength``,
        ``grid_shifted`` (bool), ``foreign_fraction``, ``foreign_grid_everywhere``
        (bool: the whole image shows an earlier save's grid at another offset).
    """
    cv2 = require_cv2()
    y = context.luma
    height, width = y.shape
    if height < _CELL * _MIN_CELLS // 2 or width < _CELL * _MIN_CELLS // 2:
        return empty_result(NAME, context.size, "Too small for block-grid analysis.")
    gx, gy, strength = dominant_grid(y)
    has_grid = strength >= _GLOBAL_MIN_STRENGTH
    # The last save's grid starts at the top-left (the boundary after pixel 7).
    expected_x = expected_y = _CELL - 1
    if context.jpeg is not None and context.orientation in (2, 3, 4, 5, 6, 7, 8):
        expected_x, expected_y = _expected_after_orientation(context)
    offset = ((gy - expected_y) % _CELL, (gx - expected_x) % _CELL)
    # Only a JPEG file says where its last save put the grid.
    shifted = bool(has_grid and offset != (0, 0) and context.jpeg is not None)
    # Where the blocks of the last save start: known for a JPEG, else the grid seen.
    own: tuple[int, int] | None = None
    own_step: float | None = None
    if context.jpeg is not None:
        own = ((expected_y + 1) % _CELL, (expected_x + 1) % _CELL)
        tables = context.jpeg.quant_tables
        if tables:
            own_step = float(tables[min(tables)][0, 0])
    elif has_grid:
        own = ((gy + 1) % _CELL, (gx + 1) % _CELL)
    evidence, judged = _foreign_evidence(y, own, own_step, cv2)
    flagged = evidence >= _EVIDENCE_START
    everywhere = bool(judged.any() and flagged[judged].mean() >= _WHOLE_SHARE) or (
        bool(flagged.any()) and _whole_foreign_evidence(y, own, cv2) >= _WHOLE_EVIDENCE
    )
    cells = np.asarray(sigmoid((evidence - _EVIDENCE_START) / _EVIDENCE_SCALE), np.float32)
    # A flagged window's evidence belongs to the blocks it holds, not to its centre
    # alone.
    reach = 2 * (_WINDOW_BLOCKS // 3) + 1
    strong = np.where(cells >= 0.5, cells, np.float32(0.0))
    cells = np.maximum(cells, cv2.dilate(strong, np.ones((reach, reach), np.uint8)))
    if everywhere:
        cells[:] = 0.0
    heatmap = cells_to_map(cells, _CELL, context.size)
    score = area_score(heatmap, full_area=0.02)
    foreign = float(np.mean(heatmap >= 0.5))
    parts = []
    if not has_grid:
        parts.append("No JPEG block grid in the image as a whole.")
    elif context.jpeg is None:
        parts.append(
            "An 8x8 block grid shows in the pixels: a JPEG save before this file was "
            "written (or a generator that upsamples 8x)."
        )
    elif shifted:
        parts.append(
            f"The JPEG block grid is shifted by {offset[0]} row(s) and {offset[1]} column(s): "
            "the image was cropped or re-framed after a JPEG save."
        )
    else:
        parts.append("The JPEG block grid is where the last save put it.")
    if everywhere:
        parts.append(
            "Most of the image carries an earlier save's grid at another offset: it was "
            "cropped or re-framed between two JPEG saves (not evidence of a local edit)."
        )
    elif foreign >= 0.002:
        parts.append(
            f"{foreign:.1%} of the image carries the grid of another JPEG compression at "
            "another offset: material pasted from another JPEG?"
        )
    else:
        parts.append("No region carries a grid of its own.")
    details: dict[str, Any] = {
        "grid_offset": list(offset),
        "grid_strength": round(float(strength), 4),
        "grid_found": bool(has_grid),
        "grid_shifted": shifted,
        "foreign_fraction": round(foreign, 4),
        "foreign_grid_everywhere": everywhere,
    }
    return ForensicResult(NAME, heatmap, context.size, score, " ".join(parts), details)


def dominant_grid(y: NDArray[np.float32]) -> tuple[int, int, float]:
    """The image's dominant 8x8 blocking grid: column phase, row phase and strength.

    The phases are those of the strongest block boundaries (the step between pixel
    ``8j + phase`` and the next); the strength is the weaker direction's relative
    excess over the median phase (a JPEG save gives at least ``_GLOBAL_MIN_STRENGTH``).
    """
    col_phase, row_phase = _phase_energy(y)
    gx, strength_x = _peak(col_phase.sum(axis=(0, 1)))
    gy, strength_y = _peak(row_phase.sum(axis=(0, 1)))
    return gx, gy, min(strength_x, strength_y)


def shows_jpeg_past(y: NDArray[np.float32]) -> bool:
    """Whether the pixels were once JPEG-compressed (for images that are not JPEG files).

    On the grid of an earlier save the block means (DC coefficients) are multiples of
    that save's step, over the whole image. The test takes, for each of the 64 grid
    offsets and each step from 2 to 24, the Rayleigh statistic ``n R^2`` of the means
    of up to ``_PAST_BLOCKS`` textured blocks, and asks for ``_PAST_EVIDENCE`` nats
    above the log of the number of tests. (Blocking edges alone are no proof: flat
    drawings have sharp edges at every offset, and generators that upsample 8x leave
    a grid too.)
    """
    cv2 = require_cv2()
    rows, cols = y.shape[0] // _CELL - 1, y.shape[1] // _CELL - 1
    if rows * cols < _MIN_CELLS:
        return False
    dc_all, variance = _block_moments(y, cv2)
    steps = np.arange(2, 25, dtype=np.float32)
    frequencies = np.float32(2.0 * np.pi) / steps
    stride = max(1, int(np.ceil(np.sqrt(rows * cols / _PAST_BLOCKS))))
    per_offset: list[float] = []
    for dy in range(_CELL):
        for dx in range(_CELL):
            picked = (
                slice(dy, dy + _CELL * rows, _CELL * stride),
                slice(dx, dx + _CELL * cols, _CELL * stride),
            )
            textured = variance[picked] >= _MIN_BLOCK_VARIANCE
            dc = dc_all[picked][textured]
            # Block means that take only a few values (flat colours cut by edges)
            # cluster whatever their history.
            if np.unique(np.rint(dc)).size < _PAST_DISTINCT:
                per_offset.append(0.0)
                continue
            phases = dc[:, None].astype(np.float64) * frequencies
            resultant = np.hypot(np.cos(phases).mean(axis=0), np.sin(phases).mean(axis=0))
            per_offset.append(float(dc.size * np.max(resultant) ** 2))
    # One offset must stand out: a drawing with few colours has block means that
    # cluster on every offset alike.
    excess = max(per_offset) - float(np.median(per_offset))
    return bool(excess >= np.log(_CELL * _CELL * steps.size) + _PAST_EVIDENCE)


def _whole_foreign_evidence(y: NDArray[np.float32], own: tuple[int, int] | None, cv2: Any) -> float:
    """Evidence (nats over the number of tests) that the image *as a whole* carries an
    earlier save's grid at an offset other than ``own``.

    An agency that crops a JPEG and saves it again leaves the earlier grid in every
    textured block of the image; the periodicity test over all blocks at once then
    stands out by hundreds of nats. A pasted region holding a few percent of the
    blocks barely moves the whole-image statistic (its resultant is diluted by the
    share of the image it covers, squared), so it is still painted.
    """
    rows, cols = y.shape[0] // _CELL - 1, y.shape[1] // _CELL - 1
    dc_all, variance = _block_moments(y, cv2)
    frequencies = np.float32(2.0 * np.pi) / _STEPS
    best = 0.0
    for dy in range(_CELL):
        for dx in range(_CELL):
            if own == (dy, dx):
                continue
            picked = (slice(dy, dy + _CELL * rows, _CELL), slice(dx, dx + _CELL * cols, _CELL))
            dc = dc_all[picked][variance[picked] >= _MIN_BLOCK_VARIANCE]
            if dc.size < _MIN_BLOCKS:
                continue
            phases = dc[:, None].astype(np.float64) * frequencies
            resultant = np.hypot(np.cos(phases).mean(axis=0), np.sin(phases).mean(axis=0))
            best = max(best, float(dc.size * np.max(resultant) ** 2))
    return best - float(np.log(_CELL * _CELL * _STEPS.size))


def _block_moments(
    y: NDArray[np.float32], cv2: Any
) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
    """DC coefficient (orthonormal 8x8 DCT) and variance of the 8x8 block whose
    top-left corner is each pixel (blocks reaching past the image are partial)."""
    centred = y - np.float32(128.0)
    block = (_CELL, _CELL)
    sums = cv2.boxFilter(
        centred, -1, block, normalize=False, anchor=(0, 0), borderType=cv2.BORDER_CONSTANT
    )
    squares = cv2.boxFilter(
        centred * centred,
        -1,
        block,
        normalize=False,
        anchor=(0, 0),
        borderType=cv2.BORDER_CONSTANT,
    )
    area = np.float32(_CELL * _CELL)
    dc: NDArray[np.float32] = sums / np.float32(_CELL)
    variance: NDArray[np.float32] = squares / area - (sums / area) ** 2
    return dc, variance


def _foreign_evidence(
    y: NDArray[np.float32], own: tuple[int, int] | None, own_step: float | None, cv2: Any
) -> tuple[Float64Array, NDArray[np.bool_]]:
    """Evidence (nats above the multiple-testing level) of a foreign grid per block.

    For every block offset other than ``own`` and every step in ``_STEPS``: the
    Rayleigh statistic ``n R^2`` of the block means (DC coefficients) over a window
    of ``_WINDOW_BLOCKS`` squared blocks; the best one, minus ``log`` of the number
    of tests (offset, step pairs times distinct windows), per block of the image's
    own grid. Also returns which blocks could be judged (their window's means vary
    enough).
    """
    dc_all, variance_all = _block_moments(y, cv2)
    rows, cols = y.shape[0] // _CELL - 1, y.shape[1] // _CELL - 1
    window = (_WINDOW_BLOCKS, _WINDOW_BLOCKS)

    def window_sum(values: NDArray[np.float32]) -> NDArray[np.float32]:
        # zeros beyond the image: windows at the border hold fewer blocks, not copies
        out: NDArray[np.float32] = cv2.boxFilter(
            values, -1, window, normalize=False, borderType=cv2.BORDER_CONSTANT
        )
        return out

    steps = _STEPS
    if own_step is not None and own_step >= 3.0:
        # Blocks one or two pixels off the last save's grid share most pixels with its
        # blocks, so where the texture is weak their means inherit its step ``s``: they
        # look periodic at ``s`` and its divisors, which says nothing of an earlier save.
        ratio = np.float32(own_step) / steps
        steps = steps[(np.abs(ratio - np.rint(ratio)) * steps >= 0.5) | (ratio < 0.5)]
    frequencies = np.float32(2.0 * np.pi) / steps
    best = np.zeros((rows, cols), dtype=np.float64)
    judged = np.zeros((rows, cols), dtype=bool)
    tried = 0
    for dy in range(_CELL):
        for dx in range(_CELL):
            if own == (dy, dx):
                continue
            tried += 1
            picked = (slice(dy, dy + _CELL * rows, _CELL), slice(dx, dx + _CELL * cols, _CELL))
            dc = np.ascontiguousarray(dc_all[picked])
            # Flat blocks are left out: their means take the staircase values of the
            # last save's own flat blocks, which look periodic on any grid.
            weight = (variance_all[picked] >= _MIN_BLOCK_VARIANCE).astype(np.float32)
            count = window_sum(weight)
            safe = np.maximum(count, 1.0)
            mean = window_sum(dc * weight) / safe
            spread = np.sqrt(np.maximum(window_sum(dc * dc * weight) / safe - mean * mean, 0.0))
            phases = dc[..., None] * frequencies  # (rows, cols, steps)
            cos_sum = window_sum(np.cos(phases) * weight[..., None])
            sin_sum = window_sum(np.sin(phases) * weight[..., None])
            rayleigh = (cos_sum * cos_sum + sin_sum * sin_sum) / safe[..., None]
            usable = (spread[..., None] >= _SPREAD * steps) & (count[..., None] >= _MIN_BLOCKS)
            rayleigh = np.where(usable, rayleigh, 0.0)
            judged |= usable[..., 0]
            np.maximum(best, rayleigh.max(axis=-1), out=best)
    windows = max(1.0, rows * cols / float(_WINDOW_BLOCKS * _WINDOW_BLOCKS))
    # every (offset, step) pair in every distinct window is a test of its own
    evidence: Float64Array = best - np.log(max(1, tried * steps.size) * windows)
    return evidence, judged


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
