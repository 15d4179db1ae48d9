"""Resampling traces: regions that were enlarged, shrunk or rotated.

Interpolation makes neighbouring pixels linear combinations of each other with
weights that repeat periodically across the resampled area. A fixed linear predictor
leaves a residual that is small at the interpolated pixels, so the "probability map"
of the residual becomes periodic, and its spectrum shows sharp peaks. Each 64x64
window's spectrum is searched for a peak that stands out from its surroundings;
peaks on the 8x8 JPEG grid frequencies are ignored (blocking is periodic too).
A pasted object that was scaled or rotated to fit stands out; when the whole image
was resized, every window does, and that is reported instead of painted.

References
----------
A. C. Popescu, H. Farid, "Exposing digital forgeries by detecting traces of
resampling", IEEE TSP 53(2), 2005. doi:10.1109/TSP.2004.839932
M. Kirchner, "Fast and reliable resampling detection by spectral analysis of fixed
linear predictor residue", ACM MM&Sec 2008. doi:10.1145/1411328.1411333
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from ._common import area_score, cells_to_map, require_cv2, sigmoid
from ._context import ImageContext
from ._result import ForensicResult, empty_result

NAME = "resampling"
_WINDOW = 64
_STEP = 32
_LOG_PEAK_START = 2.9  # log of peak / median spectrum level
_LOG_PEAK_SCALE = 0.35
_GLOBAL_SHARE = 0.4  # above this share of windows, the whole image was resampled
_MAX_AREA = 1_500_000


def resampling_analysis(context: ImageContext) -> ForensicResult:
    """Map windows whose predictor residue is periodic (a trace of interpolation).

    Returns
    -------
    ForensicResult
        ``heatmap`` per 32x32 cell (windows of 64x64); ``details``: ``resampled_share``
        (share of windows with a peak), ``whole_image_resampled`` (bool),
        ``flagged_fraction``.
    """
    cv2 = require_cv2()
    y = context.luma
    height, width = y.shape
    if height < 2 * _WINDOW or width < 2 * _WINDOW:
        return empty_result(NAME, context.size, "Too small for resampling analysis.")
    stride_scale = 1
    if height * width > _MAX_AREA:  # analyse a centre crop's worth of windows only
        stride_scale = 2
    kernel = np.array([[-0.25, 0.5, -0.25], [0.5, 0.0, 0.5], [-0.25, 0.5, -0.25]], np.float32)
    residual = y - cv2.filter2D(y, cv2.CV_32F, kernel, borderType=cv2.BORDER_REFLECT)
    pmap = np.exp(-0.5 * np.minimum(residual * residual, 50.0)).astype(np.float32)
    step = _STEP * stride_scale
    tops = np.arange(0, height - _WINDOW + 1, step)
    lefts = np.arange(0, width - _WINDOW + 1, step)
    windows = np.lib.stride_tricks.sliding_window_view(pmap, (_WINDOW, _WINDOW))[
        tops[:, None], lefts[None, :]
    ]
    windows = windows - windows.mean(axis=(-2, -1), keepdims=True)
    window = np.outer(np.hanning(_WINDOW), np.hanning(_WINDOW)).astype(np.float32)
    spectrum = np.abs(np.fft.rfft2(windows * window))
    peak = _peak_statistic(spectrum)
    cells_win = np.asarray(sigmoid((peak - _LOG_PEAK_START) / _LOG_PEAK_SCALE), np.float32)
    share = float(np.mean(cells_win >= 0.5))
    whole = share >= _GLOBAL_SHARE
    # Each window covers 2x2 cells of 32 px; a cell takes the max of its windows.
    cell = _STEP * stride_scale
    rows, cols = cells_win.shape
    cells = np.zeros((rows + 1, cols + 1), dtype=np.float32)
    for dy in (0, 1):
        for dx in (0, 1):
            cells[dy : dy + rows, dx : dx + cols] = np.maximum(
                cells[dy : dy + rows, dx : dx + cols], cells_win
            )
    if whole:
        cells[:] = 0.0
    heatmap = cells_to_map(cells, cell, context.size)
    score = area_score(heatmap, full_area=0.03)
    flagged = float(np.mean(heatmap >= 0.5))
    if whole:
        text = (
            f"Interpolation traces in {share:.0%} of the image: the whole image was resized "
            "or rotated (not evidence of a local edit)."
        )
    elif flagged >= 0.003:
        text = (
            f"{flagged:.1%} of the image shows interpolation traces that the rest lacks: "
            "an enlarged, shrunk or rotated insertion?"
        )
    else:
        text = "No region shows resampling traces."
    details: dict[str, Any] = {
        "resampled_share": round(share, 4),
        "whole_image_resampled": bool(whole),
        "flagged_fraction": round(flagged, 4),
    }
    return ForensicResult(NAME, heatmap, context.size, score, text, details)


def _peak_statistic(spectrum: NDArray[Any]) -> NDArray[np.float64]:
    """Log ratio of the strongest admissible peak to the spectrum's median level."""
    n = _WINDOW
    fy = np.fft.fftfreq(n)[:, None] * n
    fx = np.fft.rfftfreq(n)[None, :] * n
    radius = np.hypot(fy, fx)
    allowed = radius >= 6.0
    step = n // 8

    def near_grid(values: NDArray[Any]) -> NDArray[np.bool_]:
        out: NDArray[np.bool_] = np.abs(values - np.round(values / step) * step) <= 1.0
        return out

    # JPEG blocking puts peaks on the lattice of multiples of n/8 in both directions.
    allowed &= ~(near_grid(np.abs(fy)) & near_grid(np.abs(fx)))
    values = spectrum[..., allowed]
    level = np.median(values, axis=-1) + 1e-6
    top = values.max(axis=-1)
    out: NDArray[np.float64] = np.log((top + 1e-6) / level)
    return out
