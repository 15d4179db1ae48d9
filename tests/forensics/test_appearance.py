"""The learned ``appearance`` analysis: a bundled network trunk plus a linear model."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from numpy.typing import NDArray

cv2 = pytest.importorskip("cv2")

from pixelproof.bench import pixel_auc  # noqa: E402
from pixelproof.forensics import get_analysis  # noqa: E402
from pixelproof.forensics._appearance import appearance_features, work_size  # noqa: E402
from pixelproof.io import load_image  # noqa: E402

from .test_forensics import context_of, jpeg, photo  # noqa: E402


def inpainted(pixels: NDArray[np.uint8], mask: NDArray[np.bool_]) -> NDArray[np.uint8]:
    """``pixels`` with the ``mask`` area erased by OpenCV's Telea inpainting."""
    bgr = cv2.cvtColor(pixels, cv2.COLOR_RGB2BGR)
    filled = cv2.inpaint(bgr, mask.astype(np.uint8) * 255, 5, cv2.INPAINT_TELEA)
    out: NDArray[np.uint8] = cv2.cvtColor(filled, cv2.COLOR_BGR2RGB)
    return out


def ellipse(height: int, width: int, cy: int, cx: int, ry: int, rx: int) -> NDArray[np.bool_]:
    y, x = np.mgrid[0:height, 0:width]
    out: NDArray[np.bool_] = (y - cy) ** 2 / ry**2 + (x - cx) ** 2 / rx**2 <= 1.0
    return out


def test_the_grid_covers_any_image_in_multiples_of_the_network_stride() -> None:
    assert work_size((384, 256)) == (384, 256)
    assert work_size((4000, 3000)) == (640, 480)  # about 300,000 pixels
    assert work_size((20, 7000)) == (64, 7008)  # a thin strip keeps a usable side
    features = appearance_features(photo(seed=1)[:250, :390])
    assert features.shape == (16, 24, 304)  # 256 x 384 reduced copy, 16-pixel cells
    assert np.isfinite(features).all()


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_an_inpainted_area_is_mapped_and_an_untouched_image_is_not(seed: int) -> None:
    pixels = photo(seed=seed)
    mask = ellipse(256, 384, 128, 200, 45, 60)  # 9% of the image
    analysis = get_analysis("appearance")
    forged = analysis(context_of(jpeg(inpainted(pixels, mask), 85)))
    authentic = analysis(context_of(jpeg(pixels, 85)))
    found = forged.full_heatmap()
    assert pixel_auc(mask, found) > 0.95
    # Probabilities under the training prior (about 5% of cells edited): the erased
    # area stands out several-fold, the untouched image stays dark.
    assert float(found[mask].mean()) > 5.0 * float(found[~mask].mean())
    assert forged.score > authentic.score + 0.15
    assert float(authentic.full_heatmap().max()) < 0.2


def test_inpainting_in_real_photos_is_found(shared_data: Callable[..., Path]) -> None:
    photos = sorted(shared_data("photos", "kodak24").glob("*.png"))[:6]
    analysis = get_analysis("appearance")
    aucs, margins = [], []
    for index, path in enumerate(photos):
        pixels = load_image(path).pixels
        height, width = pixels.shape[:2]
        mask = ellipse(
            height, width, height // 2, width // 3 + 40 * index, height // 8, width // 10
        )
        forged = analysis(context_of(jpeg(inpainted(pixels, mask), 90)))
        authentic = analysis(context_of(jpeg(pixels, 90)))
        aucs.append(pixel_auc(mask, forged.full_heatmap()))
        margins.append(forged.score - authentic.score)
    assert float(np.median(aucs)) > 0.9
    assert sum(margin > 0 for margin in margins) >= 5
