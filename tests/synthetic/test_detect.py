"""The fused verdict: pixels plus file clues, labels, attribution and stability."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image, PngImagePlugin

from pixelproof.io import load_image
from pixelproof.synthetic import (
    UNKNOWN_GENERATOR,
    FileClue,
    PixelVerdict,
    detect,
    fuse,
    shipped_model,
)
from pixelproof.synthetic._file_evidence import CLAIM_LOG_ODDS, strongest_per_source

from .test_features import natural


def pixels(probability: float, disagreement: float = 0.0) -> PixelVerdict:
    logit = float(np.log(probability / (1 - probability)))
    copies = {"original": probability, "jpeg75": probability, "half": probability - disagreement}
    return PixelVerdict(probability, logit, copies, disagreement, np.zeros((2, 2)))


def test_pixels_alone_say_real_or_inconclusive_but_never_accuse() -> None:
    model = shipped_model()
    assert fuse(pixels(0.05), [], model).label == "real"
    assert fuse(pixels(0.5), [], model).label == "inconclusive"
    found = fuse(pixels(0.97), [], model)
    assert found.label == "inconclusive" and found.generator is None
    assert found.score == pytest.approx(0.97)


def test_pixels_and_a_file_clue_together_name_an_unknown_generator() -> None:
    clue = FileClue("metadata", 1.0, "software says an AI tool edited it", None)
    found = fuse(pixels(0.97), [clue], shipped_model())
    assert found.label == "synthetic" and found.generator == UNKNOWN_GENERATOR


def test_unstable_pixels_are_inconclusive() -> None:
    found = fuse(pixels(0.97, disagreement=0.8), [], shipped_model())
    assert found.label == "inconclusive" and found.generator is None
    assert found.stability()["stable"] is False


def test_a_watermark_names_the_generator_and_outweighs_the_pixels() -> None:
    clue = FileClue("watermark", 6.0, "marked", "Stable Diffusion")
    found = fuse(pixels(0.2), [clue], shipped_model())
    assert found.label == "synthetic" and found.generator == "Stable Diffusion"
    assert found.score == pytest.approx(1 / (1 + np.exp(-(np.log(0.25) + 6.0))))
    assert [e["source"] for e in found.evidence()] == ["pixels", "watermark"]


def test_one_fact_written_twice_counts_once() -> None:
    clues = [
        FileClue("metadata", 2.0, "marker", "ComfyUI"),
        FileClue("metadata", 4.0, "parameters", "ComfyUI"),
        FileClue("c2pa", -3.0, "capture"),
    ]
    kept = strongest_per_source(clues)
    assert [(c.source, c.log_odds) for c in kept] == [("metadata", 4.0), ("c2pa", -3.0)]


def test_generation_parameters_in_a_png_are_file_evidence() -> None:
    info = PngImagePlugin.PngInfo()
    info.add_text("parameters", "a fox\nSteps: 20, Sampler: Euler a, Seed: 1, Size: 300x300")
    buffer = io.BytesIO()
    Image.fromarray(natural(300, 300)).save(buffer, "PNG", pnginfo=info)
    image = load_image(buffer.getvalue())
    found = detect(image, shipped_model())
    metadata = [e for e in found.evidence() if e["source"] == "metadata"]
    assert metadata and metadata[0]["log_odds"] == CLAIM_LOG_ODDS
    assert found.score > found.pixels.probability
    bare = detect(image, shipped_model(), file_evidence=False)
    assert [e["source"] for e in bare.evidence()] == ["pixels"]
    assert bare.score == pytest.approx(found.pixels.probability)


def test_tile_map_covers_the_working_copy() -> None:
    found = detect(load_image(_png(natural(384, 640))), shipped_model(), file_evidence=False)
    assert found.pixels.tile_map.shape == (12, 20)
    assert ((found.pixels.tile_map >= 0) & (found.pixels.tile_map <= 1)).all()
    assert set(found.pixels.copies) == {"original", "jpeg75", "half"}


def _png(rgb: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(rgb).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.mark.parametrize(
    "rgb", [np.zeros((1, 1, 3), np.uint8), np.full((300, 300, 3), 7, np.uint8)]
)
def test_tiny_or_flat_images_are_inconclusive(rgb: np.ndarray) -> None:
    found = detect(load_image(_png(rgb)), shipped_model(), file_evidence=False)
    assert found.label == "inconclusive" and found.score == 0.5
    assert (
        not found.pixels.informative
        and "too small or too flat" in found.evidence()[0]["explanation"]
    )
