"""Full-reference image quality: PSNR and SSIM."""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._gaussian import gaussian_filter
from ._validate import same_shape


def _pair(
    a: ArrayLike, b: ArrayLike, data_range: float | None
) -> tuple[NDArray[np.float64], NDArray[np.float64], float]:
    first, second = np.asarray(a), np.asarray(b)
    same_shape(first, second, "a and b")
    if first.ndim not in (2, 3):
        raise ValueError(f"images must be (H, W) or (H, W, C), got shape {first.shape}")
    if first.dtype != second.dtype:
        raise ValueError(f"a and b must have the same dtype, got {first.dtype} and {second.dtype}")
    if data_range is None:
        if not np.issubdtype(first.dtype, np.integer):
            raise ValueError(
                "data_range is required for float images (e.g. 1.0 for [0, 1], 255.0 for [0, 255])"
            )
        info = np.iinfo(first.dtype)
        data_range = float(info.max) - float(info.min)
    if not data_range > 0:
        raise ValueError(f"data_range must be positive, got {data_range}")
    return first.astype(np.float64), second.astype(np.float64), float(data_range)


def psnr(a: ArrayLike, b: ArrayLike, *, data_range: float | None = None) -> float:
    """Peak signal-to-noise ratio in decibels.

    Parameters
    ----------
    a, b : (H, W) or (H, W, C) array_like
        Images of the same shape and dtype.
    data_range : float, optional
        Distance between the smallest and largest possible values. Defaults to the
        dtype's range for integers (255 for uint8); required for floats.

    Returns
    -------
    float
        ``10 log10(data_range^2 / MSE)`` with the MSE over every pixel and channel;
        ``inf`` for identical images.

    Raises
    ------
    ValueError
        On mismatched shapes or dtypes, or a float input without ``data_range``.

    Examples
    --------
    >>> import numpy as np
    >>> a = np.zeros((4, 4), np.uint8)
    >>> b = a.copy(); b[0, 0] = 16
    >>> round(psnr(a, b), 4)  # MSE = 16**2 / 16 = 16
    36.0896
    """
    first, second, peak = _pair(a, b, data_range)
    mse = float(np.mean((first - second) ** 2))
    if mse == 0.0:
        return math.inf
    return 10.0 * math.log10(peak * peak / mse)


def ssim(
    a: ArrayLike, b: ArrayLike, *, data_range: float | None = None, sigma: float = 1.5
) -> float:
    """Structural similarity index with a Gaussian window (Wang et al. 2004).

    Parameters
    ----------
    a, b : (H, W) or (H, W, C) array_like
        Images of the same shape and dtype, at least 11 x 11 with the default
        ``sigma``.
    data_range : float, optional
        As for :func:`psnr`.
    sigma : float
        Standard deviation of the Gaussian window, truncated at 3.5 sigma
        (an 11 x 11 window for 1.5).

    Returns
    -------
    float
        Mean SSIM, at most 1; colour images average their channels.

    Raises
    ------
    ValueError
        On mismatched shapes or dtypes, an image smaller than the window, or a float
        input without ``data_range``.

    Notes
    -----
    Local means, variances and covariance are Gaussian-weighted (population
    statistics, as in the paper), with ``K1 = 0.01``, ``K2 = 0.03``, borders
    mirrored, and the mean taken away from a border as wide as the window's
    radius. This equals ``skimage.metrics.structural_similarity(a, b,
    gaussian_weights=True, sigma=1.5, use_sample_covariance=False, data_range=...,
    channel_axis=-1)``.

    References
    ----------
    Z. Wang, A. C. Bovik, H. R. Sheikh and E. P. Simoncelli, "Image quality
    assessment: from error visibility to structural similarity", IEEE Trans. Image
    Processing 13(4), 2004. https://doi.org/10.1109/TIP.2003.819861

    Examples
    --------
    >>> import numpy as np
    >>> image = (np.arange(256).reshape(16, 16) % 251).astype(np.uint8)
    >>> ssim(image, image)
    1.0
    """
    first, second, peak = _pair(a, b, data_range)
    if not sigma > 0:
        raise ValueError(f"sigma must be positive, got {sigma}")
    truncate = 3.5
    radius = int(truncate * sigma + 0.5)
    if min(first.shape[:2]) < 2 * radius + 1:
        raise ValueError(
            f"images must be at least {2 * radius + 1}x{2 * radius + 1} for sigma={sigma}, "
            f"got {first.shape[0]}x{first.shape[1]}"
        )
    c1, c2 = (0.01 * peak) ** 2, (0.03 * peak) ** 2

    def smooth(x: NDArray[np.float64]) -> NDArray[np.float64]:
        return gaussian_filter(x, sigma, truncate=truncate)

    mu_a, mu_b = smooth(first), smooth(second)
    var_a = smooth(first * first) - mu_a * mu_a
    var_b = smooth(second * second) - mu_b * mu_b
    cov = smooth(first * second) - mu_a * mu_b
    numerator = (2 * mu_a * mu_b + c1) * (2 * cov + c2)
    denominator = (mu_a * mu_a + mu_b * mu_b + c1) * (var_a + var_b + c2)
    index_map = numerator / denominator
    inner = index_map[radius:-radius, radius:-radius] if radius else index_map
    return float(inner.mean())
