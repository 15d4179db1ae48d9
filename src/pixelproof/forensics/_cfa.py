"""Demosaicing (CFA) inconsistency.

A camera sensor records one colour per pixel through a Bayer filter and interpolates
the other two. In the green channel, half of the pixels (a quincunx lattice) are
measured and half interpolated from their neighbours, so the prediction residual of
green from its four neighbours is much smaller on one lattice than on the other. A
region pasted from elsewhere, resampled, or painted lacks this pattern (or has it on
the other lattice). The analysis measures, per 16x16 cell, the log ratio of residual
energy between the two lattices and marks cells that disagree with the image's
dominant pattern. Most JPEG saves below quality ~90 and any resizing erase the
pattern; the analysis then reports that it could not look.

References
----------
A. C. Popescu, H. Farid, "Exposing digital forgeries in color filter array
interpolated images", IEEE TSP 53(10), 2005. doi:10.1109/TSP.2005.855406
P. Ferrara, T. Bianchi, A. De Rosa, A. Piva, "Image forgery localization via
fine-grained analysis of CFA artifacts", IEEE TIFS 7(5), 2012.
doi:10.1109/TIFS.2012.2202227
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._common import area_score, box_mean, cells_to_map, sigmoid
from ._context import ImageContext
from ._result import ForensicResult, empty_result

NAME = "cfa"
_CELL = 16
_MIN_CELLS = 64
_MIN_GLOBAL = 0.35  # |median log ratio| needed to call the image demosaiced
_MIN_AGREEMENT = 0.75  # share of textured cells agreeing on the lattice


def cfa_analysis(context: ImageContext) -> ForensicResult:
    """Map cells whose green-channel demosaicing pattern disagrees with the image's.

    Returns
    -------
    ForensicResult
        ``heatmap`` per 16x16 cell; ``details``: ``cfa_strength`` (median log energy
        ratio between the two green lattices), ``agreement``, ``flagged_fraction``.
    """
    green = context.pixels[..., 1].astype(np.float32)
    height, width = green.shape
    rows, cols = height // _CELL, width // _CELL
    if rows * cols < _MIN_CELLS:
        return empty_result(NAME, context.size, "Too small for CFA analysis.")
    predicted = np.zeros_like(green)
    predicted[1:-1, 1:-1] = 0.25 * (
        green[:-2, 1:-1] + green[2:, 1:-1] + green[1:-1, :-2] + green[1:-1, 2:]
    )
    residual = (green - predicted)[: rows * _CELL, : cols * _CELL] ** 2
    residual[:1] = residual[-1:] = 0.0
    residual[:, :1] = residual[:, -1:] = 0.0
    yy, xx = np.mgrid[0 : rows * _CELL, 0 : cols * _CELL]
    even = ((yy + xx) % 2 == 0).astype(np.float32)
    cells = residual.reshape(rows, _CELL, cols, _CELL)
    lattice = even.reshape(rows, _CELL, cols, _CELL)
    energy_even = (cells * lattice).sum(axis=(1, 3)) + 1.0
    energy_odd = (cells * (1.0 - lattice)).sum(axis=(1, 3)) + 1.0
    log_ratio = np.log(energy_even / energy_odd)
    textured = (energy_even + energy_odd) > 2.0 * _CELL * _CELL * 1.0
    if textured.sum() < _MIN_CELLS // 2:
        return empty_result(NAME, context.size, "Too little detail for CFA analysis.")
    strength = float(np.median(log_ratio[textured]))
    sign = 1.0 if strength >= 0 else -1.0
    agreement = float(np.mean(sign * log_ratio[textured] > 0.1))
    if abs(strength) < _MIN_GLOBAL or agreement < _MIN_AGREEMENT:
        return empty_result(
            NAME,
            context.size,
            "No demosaicing pattern survives in this image (resized, compressed or not from "
            "a Bayer sensor): this analysis cannot look.",
            cfa_strength=round(strength, 3),
            agreement=round(agreement, 3),
        )
    # Cells whose (smoothed) ratio falls to zero or below, relative to the image's level.
    smoothed = box_mean(np.where(textured, sign * log_ratio, abs(strength)), 3)
    relative = smoothed / abs(strength)
    cell_map = np.asarray(sigmoid((0.35 - relative) / 0.12), dtype=np.float32)
    cell_map[~textured] *= 0.5
    heatmap = cells_to_map(cell_map, _CELL, context.size)
    score = area_score(heatmap, full_area=0.03)
    flagged = float(np.mean(heatmap >= 0.5))
    text = f"Demosaicing traces found across the image (strength {abs(strength):.2f}); " + (
        f"{flagged:.1%} of it lacks them: material from another source or repainted."
        if flagged >= 0.003
        else "no region lacks them."
    )
    details: dict[str, Any] = {
        "cfa_strength": round(strength, 3),
        "agreement": round(agreement, 3),
        "flagged_fraction": round(flagged, 4),
    }
    return ForensicResult(NAME, heatmap, context.size, score, text, details)
