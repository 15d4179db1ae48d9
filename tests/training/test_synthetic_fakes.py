"""Self-made fakes and the shipped detector's data splits (issue 20)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from pixelproof.synthetic._features import _npr_features
from pixelproof.synthetic._train import train_model
from pixelproof.training import synthetic_fakes
from pixelproof.training.synthetic import DEFAULT_PHOTOS, FIT_ONLY_PHOTO_SETS, photo_split

from ..synthetic.test_features import natural

REPO = Path(__file__).resolve().parents[2]


def _inside_over_across(rgb: np.ndarray) -> float:
    """NPR's first ratio: pixel-to-anchor differences inside 2x2 blocks over those
    across block borders (log); up-sampling by two makes it negative."""
    return float(_npr_features(rgb.astype(np.float64).transpose(2, 0, 1))[0])


@pytest.mark.parametrize("kind", ["nearest", "bilinear"])
def test_upsampling_keeps_the_size_and_leaves_the_two_pixel_trace(kind: str) -> None:
    photo = natural(128, 96, 1)
    fake = synthetic_fakes.upsampled(photo, kind)
    assert fake.shape == photo.shape and fake.dtype == np.uint8
    assert _inside_over_across(fake) < _inside_over_across(photo) - 0.1


def test_checkerboard_upsampling_differs_between_phases() -> None:
    flat = np.full((64, 64, 3), 100, np.uint8)
    fake = synthetic_fakes.upsampled(flat, "checkerboard").astype(float)
    phases = [fake[r::2, c::2].mean() for r in (0, 1) for c in (0, 1)]
    assert max(phases) - min(phases) > 5  # the uneven overlap of a transposed convolution


def test_the_autoencoder_is_reproducible_and_reconstructs() -> None:
    pytest.importorskip("torch")
    photos = [natural(96, 96, s) for s in range(3)]
    first = synthetic_fakes.train_autoencoder(photos, steps=3)
    second = synthetic_fakes.train_autoencoder(photos, steps=3)
    assert synthetic_fakes.weights_digest(first) == synthetic_fakes.weights_digest(second)
    out = synthetic_fakes.reconstructed(natural(50, 70, 9), first)
    assert out.shape == (48, 68, 3) and out.dtype == np.uint8


def _small_classes(tmp_path: Path) -> dict[int, list[Path]]:
    files: dict[int, list[Path]] = {0: [], 1: []}
    for label in (0, 1):
        for i in range(3):
            rgb = natural(160, 160, 10 * label + i)
            if label:
                rgb = synthetic_fakes.upsampled(rgb, "nearest")
            path = tmp_path / f"{label}-{i}.png"
            Image.fromarray(rgb).save(path)
            files[label].append(path)
    return files


def test_a_feature_cache_does_not_change_the_model(tmp_path: Path) -> None:
    files = _small_classes(tmp_path)
    plain, _ = train_model(files[0], files[1], copies=1)
    cache = tmp_path / "cache"
    cached, _ = train_model(files[0], files[1], copies=1, cache=cache)
    again, _ = train_model(files[0], files[1], copies=1, cache=cache)  # read back
    assert len(list(cache.rglob("*.npy"))) == 6
    for model in (cached, again):
        assert np.array_equal(model.coef, plain.coef)
        assert model.platt_a == plain.platt_a


def test_some_images_can_get_more_copies(tmp_path: Path) -> None:
    files = _small_classes(tmp_path)
    more = set(files[0])
    _, summary = train_model(
        files[0], files[1], copies=1, copies_of=lambda item: 3 if item in more else 1
    )
    # 3 images per class: 1 selected, 2 fitted; the reals' 2 give 3 rows each
    assert summary["fit_rows"] == 2 * 3 + 2 * 1


@pytest.mark.skipif(not (REPO / DEFAULT_PHOTOS).is_dir(), reason="needs ../shared/data")
def test_the_photo_halves_are_disjoint_and_fixed() -> None:
    fit, report = photo_split(REPO / DEFAULT_PHOTOS)
    assert not set(fit) & set(report)
    assert (fit, report) == photo_split(REPO / DEFAULT_PHOTOS)
    assert 90 <= len(report) <= 110
    assert not any(name in p.parts for p in report for name in FIT_ONLY_PHOTO_SETS)
