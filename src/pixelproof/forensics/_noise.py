"""Local noise-level inconsistency.

Every camera image carries sensor noise, and a JPEG save flattens it by the same
amount everywhere. A region pasted from another photo usually has a different noise
level; a region painted by inpainting, smoothed, or synthesised has almost none. We
estimate the noise in every 32x32 window from the finest diagonal wavelet sub-band
(robust median estimator), and mark windows whose noise level departs from the
image's own distribution by more than a few robust standard deviations, after
discounting the dependence of the estimate on local texture.

References
----------
D. L. Donoho, I. M. Johnstone, "Ideal spatial adaptation by wavelet shrinkage",
Biometrika 81(3), 1994 (the median absolute deviation noise estimator).
B. Mahdian, S. Saic, "Using noise inconsistencies for blind image forensics", Image
and Vision Computing 27(10), 2009. doi:10.1016/j.imavis.2009.02.001
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._common import area_score, cells_to_map, robust_center_scale, sigmoid
from ._context import ImageContext
from ._result import ForensicResult, empty_result

NAME = "noise"
_CELL = 16  # pixels per cell of the map (8x8 wavelet coefficients)
_WINDOW = 2  # cells: estimates over 32x32-pixel windows
_Z_START = 3.5
_Z_SCALE = 1.0
_MIN_CELLS = 64
_FLOOR = 0.15  # gray levels: below this a window counts as noise-free


def noise_analysis(context: ImageContext) -> ForensicResult:
    """Map windows whose noise level is inconsistent with the rest of the image.

    Returns
    -------
    ForensicResult
        ``heatmap``: evidence per 16x16 cell. ``details``: ``noise_sigma`` (median
        noise level, gray levels), ``low_fraction`` and ``high_fraction`` (area with
        too little or too much noise).
    """
    y = context.luma.astype(np.float64)
    height, width = y.shape
    rows, cols = height // _CELL, width // _CELL
    if rows * cols < _MIN_CELLS:
        return empty_result(NAME, context.size, "Too small for noise analysis.")
    cropped = y[: rows * _CELL, : cols * _CELL]
    # Finest Haar diagonal detail (HH1) and horizontal/vertical details for texture.
    a = cropped[0::2, 0::2]
    b = cropped[0::2, 1::2]
    c = cropped[1::2, 0::2]
    d = cropped[1::2, 1::2]
    diagonal = np.abs(a - b - c + d) * 0.5
    texture = (np.abs(a + b - c - d) + np.abs(a - b + c - d)) * 0.5
    half = _CELL // 2
    cells_d = diagonal.reshape(rows, half, cols, half).transpose(0, 2, 1, 3).reshape(rows, cols, -1)
    cells_t = texture.reshape(rows, half, cols, half).transpose(0, 2, 1, 3).reshape(rows, cols, -1)
    sigma = _windowed_median(cells_d) / 0.6745
    detail = _windowed_median(cells_t) / 0.6745
    # Saturated windows (clipped highlights or shadows) have no noise by nature.
    mean = cropped.reshape(rows, _CELL, cols, _CELL).mean(axis=(1, 3))
    saturated = (mean < 6.0) | (mean > 249.0)
    log_sigma = np.log(np.maximum(sigma, _FLOOR))
    log_detail = np.log(np.maximum(detail, _FLOOR))
    valid = ~saturated
    if valid.sum() < _MIN_CELLS // 2:
        return empty_result(NAME, context.size, "Too few unsaturated areas for noise analysis.")
    # Noise estimates grow with texture; remove that trend with a robust line fit.
    slope, intercept = _robust_line(log_detail[valid], log_sigma[valid])
    residual = log_sigma - (slope * log_detail + intercept)
    center, scale = robust_center_scale(residual[valid])
    scale = max(scale, 0.12)
    z = (residual - center) / scale
    low = np.asarray(sigmoid((-z - _Z_START) / _Z_SCALE), dtype=np.float32)
    high = np.asarray(sigmoid((z - _Z_START) / _Z_SCALE), dtype=np.float32)
    cells = np.maximum(low, high)
    cells[saturated] = 0.0
    heatmap = cells_to_map(cells, _CELL, context.size)
    score = area_score(heatmap, full_area=0.03)
    low_fraction = float(np.mean(low >= 0.5))
    high_fraction = float(np.mean(high >= 0.5))
    sigma_median = float(np.median(sigma[valid]))
    if low_fraction + high_fraction < 0.003:
        text = f"Noise level is consistent across the image (about {sigma_median:.2f} gray levels)."
    else:
        text = (
            f"Noise level (about {sigma_median:.2f} gray levels overall) departs from the rest "
            f"of the image in {low_fraction + high_fraction:.1%} of it"
            + (
                " (too clean: painted, smoothed or inpainted areas?)"
                if low_fraction > high_fraction
                else " (noisier: material from another source?)"
            )
            + "."
        )
    details: dict[str, Any] = {
        "noise_sigma": round(sigma_median, 3),
        "low_fraction": round(low_fraction, 4),
        "high_fraction": round(high_fraction, 4),
        "texture_slope": round(float(slope), 3),
    }
    return ForensicResult(NAME, heatmap, context.size, score, text, details)


def _windowed_median(cells: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    """Median over each cell's values pooled with its right and lower neighbours."""
    rows, cols, _count = cells.shape
    padded = np.concatenate([cells, cells[-1:]], axis=0)
    padded = np.concatenate([padded, padded[:, -1:]], axis=1)
    pooled = np.concatenate(
        [padded[:rows, :cols], padded[1:, :cols], padded[:rows, 1:], padded[1:, 1:]], axis=2
    )
    # Quantile via partition (faster than a full median).
    k = pooled.shape[2] // 2
    return np.partition(pooled, k, axis=2)[..., k]


def _robust_line(x: np.ndarray[Any, Any], y: np.ndarray[Any, Any]) -> tuple[float, float]:
    """Least-squares line refitted twice on the points within 2.5 robust sigmas."""
    keep = np.ones(x.shape, dtype=bool)
    slope, intercept = 0.0, float(np.median(y))
    for _ in range(3):
        if keep.sum() < 8 or float(np.std(x[keep])) < 1e-6:
            break
        slope, intercept = (float(v) for v in np.polyfit(x[keep], y[keep], 1))
        residual = y - (slope * x + intercept)
        _, scale = robust_center_scale(residual[keep])
        keep = np.abs(residual) <= 2.5 * scale
    slope = float(np.clip(slope, 0.0, 1.0))
    return slope, float(np.median(y - slope * x))
