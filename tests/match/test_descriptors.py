"""Global descriptor backends and their spec strings."""

from __future__ import annotations

import numpy as np
import pytest

from pixelproof.match import available_descriptors, create_descriptor
from pixelproof.match._descriptors import bits_to_unit, gem, region_windows

from .conftest import scene


def test_registry_lists_the_backends() -> None:
    assert {"effnet", "pdq", "sscd"} <= set(available_descriptors())


@pytest.mark.parametrize("spec", ["effnet", "effnet:size=224,regions=true", "pdq", "sscd"])
def test_spec_round_trips(spec: str) -> None:
    canonical = create_descriptor(spec).spec
    assert create_descriptor(canonical).spec == canonical


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("nope", "unknown backend"),
        ("effnet:colour=1", "unknown parameter"),
        ("effnet:regions=maybe", "true or false"),
        ("effnet:size=big", "bad value"),
    ],
)
def test_bad_specs_say_what_is_wrong(spec: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        create_descriptor(spec)


def test_effnet_vectors_are_unit_and_robust() -> None:
    descriptor = create_descriptor("effnet")
    image = scene(10)
    ref = descriptor.reference(image)
    assert ref.shape == (1, descriptor.dim)
    assert np.allclose(np.linalg.norm(ref, axis=1), 1.0, atol=1e-5)
    queries = descriptor.query(np.ascontiguousarray(image[:, ::-1]))  # a mirror image
    assert queries.shape == (3, descriptor.dim)
    unrelated = descriptor.query(scene(11))
    assert float((queries @ ref.T).max()) > 0.95  # the query's own mirror variant
    assert float((unrelated @ ref.T).max()) < float((queries @ ref.T).max())


def test_effnet_regions_add_windows() -> None:
    descriptor = create_descriptor("effnet:regions=true")
    assert descriptor.reference(scene(12)).shape == (6, descriptor.dim)
    assert len(region_windows(8, 8)) == 6


def test_pdq_dihedral_query_finds_a_rotated_copy() -> None:
    descriptor = create_descriptor("pdq")
    image = scene(13)
    ref = descriptor.reference(image)
    rotated = np.ascontiguousarray(np.rot90(image))
    sims = descriptor.query(rotated) @ ref.T
    assert sims.shape == (8, 1)
    assert float(sims.max()) > 0.8


def test_bits_to_unit_matches_hamming() -> None:
    a = np.zeros(256, bool)
    b = a.copy()
    b[:32] = True
    assert float(bits_to_unit(a) @ bits_to_unit(b)) == pytest.approx(1 - 2 * 32 / 256)


def test_gem_pools_channels() -> None:
    fmap = np.ones((4, 3, 3), np.float32) * 2
    assert np.allclose(gem(fmap), 2.0)
