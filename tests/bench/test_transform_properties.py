"""Property tests (hypothesis) of every transform, with parameters drawn from their schemas.

Whatever valid parameters and image size: a new ``(H, W, 3)`` uint8 image, the input
untouched, a record whose sizes and intensity are right, the same output for the same
seed, and a record spec that replays that output exactly.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from numpy.typing import NDArray

from pixelproof.bench.transforms import Compose, Range, available_transforms, create
from pixelproof.bench.transforms._core import Color, Odd, _schemas

NAMES = sorted(available_transforms())
COLOURS = ("black", "white", "red", "#00ff00", "#123456")


def _number(schema: Any) -> st.SearchStrategy[Any]:
    bounds = next((c for c in schema.constraints if isinstance(c, Range)), Range())
    low, high = bounds.low, bounds.high
    if schema.kind is int:
        low_i = int(low) if low is not None else -1000
        high_i = min(int(high), 2**32) if high is not None else 1000
        values = st.integers(low_i, high_i)
        if any(isinstance(c, Odd) for c in schema.constraints):
            values = values.map(lambda v: v if v % 2 else (v - 1 if v > low_i else v + 1))
        return values
    return st.floats(
        min_value=low,
        max_value=high,
        exclude_min=bounds.low_open,
        exclude_max=bounds.high_open,
        allow_nan=False,
        allow_subnormal=False,
    )


def _value(schema: Any) -> st.SearchStrategy[Any]:
    if schema.name == "background":
        return st.just(schema.default)  # an in-memory image or file, not drawn here
    if schema.kind is bool:
        values: st.SearchStrategy[Any] = st.booleans()
    elif schema.choices is not None:
        values = st.sampled_from(schema.choices)
    elif schema.kind is str:
        if any(isinstance(c, Color) for c in schema.constraints):
            values = st.sampled_from(COLOURS)
        else:
            values = st.text(st.characters(codec="ascii", categories=("L", "N")), max_size=12)
    else:
        values = _number(schema)
    return st.none() | values if schema.nullable else values


@st.composite
def transforms(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    name = draw(st.sampled_from(NAMES))
    params = {s.name: draw(_value(s)) for s in _schemas(available_transforms()[name])}
    try:
        create(name, **params)
    except ValueError:  # a rule between parameters (rotate: not both crop and expand)
        assume(False)
    return name, params


@st.composite
def images(draw: st.DrawFn) -> NDArray[np.uint8]:
    height, width = draw(st.integers(8, 72)), draw(st.integers(8, 72))
    seed = draw(st.integers(0, 2**16))
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width]
    base = np.stack([x * 255 // width, y * 255 // height, (x * y) % 256], axis=2)
    return np.clip(base + rng.integers(-20, 21, base.shape), 0, 255).astype(np.uint8)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(transform=transforms(), image=images(), seed=st.integers(0, 2**32 - 1))
def test_any_valid_transform_gives_a_new_rgb_image_and_replays(
    transform: tuple[str, dict[str, Any]], image: NDArray[np.uint8], seed: int
) -> None:
    name, params = transform
    step = create(name, **params)
    before = image.copy()
    result = step(image, rng=seed)
    out = result.image
    assert np.array_equal(image, before)
    assert out.dtype == np.uint8 and out.ndim == 3 and out.shape[2] == 3
    assert out.shape[0] >= 1 and out.shape[1] >= 1
    assert out.flags.c_contiguous and not np.shares_memory(out, image)
    record = result.record
    assert record.src_size == image.shape[:2] and record.dst_size == out.shape[:2]
    assert 0.0 <= record.intensity <= 100.0
    again = step(image, rng=seed)
    assert np.array_equal(again.image, out) and again.record == record
    replay = Compose.from_spec(record.spec)(image)
    assert np.array_equal(replay.image, out), record.spec


@settings(max_examples=25, deadline=None)
@given(
    specs=st.lists(transforms(), min_size=2, max_size=3),
    image=images(),
    seed=st.integers(0, 2**32 - 1),
)
def test_pipelines_are_deterministic_and_replay(
    specs: list[tuple[str, dict[str, Any]]], image: NDArray[np.uint8], seed: int
) -> None:
    pipeline = Compose([create(name, **params) for name, params in specs])
    try:
        first = pipeline(image, rng=seed)
    except ValueError as exc:  # enlarging steps compounded past the output limit
        assert "megapixels, above the limit" in str(exc)
        return
    second = pipeline(image, rng=seed)
    assert np.array_equal(first.image, second.image)
    assert first.record == second.record
    assert len(first.record.steps) == len(specs)
    assert first.record.steps[-1].dst_size == first.image.shape[:2]
    replay = Compose.from_spec(first.record.spec)(image)
    assert np.array_equal(replay.image, first.image)


def test_compounded_enlargements_are_refused_before_allocating() -> None:
    # Found by Hypothesis: three 10.4x resizes of a 17x62 image asked for 29.9 GiB.
    image = np.zeros((17, 62, 3), dtype=np.uint8)
    step = ("resize", {"scale": 10.408565366226016, "interp": "bilinear", "antialias": False})
    pipeline = Compose([create(name, **params) for name, params in [step] * 3])
    with pytest.raises(ValueError, match="megapixels, above the limit of 100"):
        pipeline(image, rng=0)
