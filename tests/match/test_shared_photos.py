"""A small end-to-end check on real photos (skipped without ../shared/data)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from pixelproof.bench.runner._data import load_rgb
from pixelproof.bench.transforms import Compose
from pixelproof.match import ProvenanceIndex


def test_hard_edits_of_real_photos(tmp_path: Path, shared_data: Callable[..., Path]) -> None:
    photos = sorted(shared_data("photos", "kodak24").glob("*.png"))[:10]
    with ProvenanceIndex(tmp_path / "k.db", create=True) as index:
        for path in photos:
            index.add(load_rgb(path, max_side=512), name=path.name)
        edits = [
            "crop:area=0.25,offset=random|jpeg:q=50",
            "paste:scale=0.5",
            "hflip|rotate:deg=10,crop=true",
            "caption:height=0.2,side=top,extend=true|grayscale",
        ]
        for i, spec in enumerate(edits):
            source = photos[2 * i]
            edited = Compose.from_spec(spec)(load_rgb(source, max_side=512), rng=i).image
            best = index.search(edited, k=3).matches[0]
            assert best.ref == source.name, spec
            assert best.score > 0.5, spec
