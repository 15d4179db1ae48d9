"""Generator traces: each format is built here and must give generator, prompt and seed."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest

from pixelproof.metadata import (
    DIGITAL_SOURCE_TYPES,
    GeneratorTrace,
    embed_stealth,
    read_metadata,
    read_stealth,
)

from ._builders import (
    comfy_prompt_graph,
    comfy_workflow,
    exif_blob,
    jpeg,
    photo,
    png_with_text,
    png_with_ztxt,
    with_xmp_jpeg,
    xmp_packet,
)

A1111 = (
    "a lighthouse at dusk, (oil painting:1.2), dramatic sky\n"
    "Negative prompt: blurry, lowres\n"
    "Steps: 28, Sampler: DPM++ 2M Karras, CFG scale: 7.5, Seed: 1234567890, Size: 512x768, "
    'Model hash: 6ce0161689, Model: v1-5-pruned-emaonly, Lora hashes: "detail: 0a1b, '
    'style: 2c3d", Version: v1.9.4'
)


def _only(traces: list[GeneratorTrace], kind: str = "parameters") -> GeneratorTrace:
    found = [t for t in traces if t.kind == kind]
    assert len(found) == 1, traces
    return found[0]


def test_a1111_png_parameters() -> None:
    report = read_metadata(png_with_text(photo(64, 64), {"parameters": A1111}))
    trace = _only(report.generators)
    assert trace.generator == "AUTOMATIC1111 Stable Diffusion web UI"
    assert trace.prompt == "a lighthouse at dusk, (oil painting:1.2), dramatic sky"
    assert trace.negative_prompt == "blurry, lowres"
    assert trace.seed == 1234567890
    assert (trace.steps, trace.sampler, trace.cfg_scale) == (28, "DPM++ 2M Karras", 7.5)
    assert (trace.size, trace.model) == ("512x768", "v1-5-pruned-emaonly")
    assert trace.parameters["Lora hashes"] == "detail: 0a1b, style: 2c3d"  # quoted commas
    assert trace.source == "PNG tEXt chunk 'parameters'"


def test_forge_is_named_and_itxt_is_read() -> None:
    text = A1111.replace("Version: v1.9.4", "Version: f2.0.1v1.10.1-previous-313")
    report = read_metadata(png_with_text(photo(64, 64), {"parameters": text}, itxt=("parameters",)))
    trace = _only(report.generators)
    assert trace.generator == "Stable Diffusion WebUI Forge"
    assert trace.source == "PNG iTXt chunk 'parameters'"
    assert trace.seed == 1234567890


def test_a1111_parameters_in_jpeg_user_comment() -> None:
    data = jpeg(photo(64, 64), exif=exif_blob(user_comment=A1111))
    trace = _only(read_metadata(data).generators)
    assert (trace.source, trace.seed) == ("EXIF UserComment", 1234567890)


def test_comfyui_prompt_graph() -> None:
    chunks = {
        "prompt": comfy_prompt_graph(
            seed=987654321,
            positive="a red fox in snow",
            negative="watermark",
            ckpt="sdxl.safetensors",
        ),
        "workflow": comfy_workflow(seed=1, positive="x", negative="y", ckpt="other.ckpt"),
    }
    trace = _only(read_metadata(png_with_text(photo(64, 64), chunks)).generators)
    assert trace.generator == "ComfyUI"
    assert (trace.prompt, trace.negative_prompt) == ("a red fox in snow", "watermark")
    assert (trace.seed, trace.model, trace.steps, trace.cfg_scale) == (
        987654321,
        "sdxl.safetensors",
        25,
        6.5,
    )
    assert trace.size == "832x1216"
    assert "KSampler" in trace.parameters["nodes"]


def test_comfyui_workflow_only() -> None:
    workflow = comfy_workflow(seed=42, positive="castle on a hill", negative="ugly", ckpt="m.ckpt")
    data = png_with_ztxt(photo(64, 64), "workflow", workflow)
    trace = _only(read_metadata(data).generators)
    assert (trace.generator, trace.seed, trace.model) == ("ComfyUI", 42, "m.ckpt")
    assert (trace.prompt, trace.negative_prompt) == ("castle on a hill", "ugly")
    assert trace.source.startswith("PNG zTXt chunk")


def test_invokeai_metadata() -> None:
    meta = {
        "positive_prompt": "a koi pond, watercolor",
        "negative_prompt": "text",
        "seed": 31337,
        "steps": 30,
        "cfg_scale": 7,
        "scheduler": "euler_a",
        "width": 768,
        "height": 512,
        "model": {"name": "juggernaut-xl", "base": "sdxl"},
        "generation_mode": "txt2img",
    }
    data = png_with_text(photo(64, 64), {"invokeai_metadata": json.dumps(meta)})
    trace = _only(read_metadata(data).generators)
    assert (trace.generator, trace.prompt, trace.seed) == (
        "InvokeAI",
        "a koi pond, watercolor",
        31337,
    )
    assert (trace.model, trace.size, trace.negative_prompt) == ("juggernaut-xl", "768x512", "text")


def test_invokeai_legacy_sd_metadata() -> None:
    meta = {
        "model_weights": "stable-diffusion-1.5",
        "app_id": "invoke-ai/InvokeAI",
        "image": {"prompt": [{"prompt": "a bonsai", "weight": 1}], "seed": 7, "steps": 20},
    }
    data = png_with_text(photo(32, 32), {"sd-metadata": json.dumps(meta)})
    trace = _only(read_metadata(data).generators)
    assert (trace.generator, trace.prompt, trace.seed) == ("InvokeAI", "a bonsai", 7)


NOVELAI_COMMENT = {
    "prompt": "1girl, library, sunlight",
    "uc": "lowres, bad anatomy",
    "steps": 28,
    "scale": 5.0,
    "seed": 2718281828,
    "sampler": "k_euler_ancestral",
    "width": 832,
    "height": 1216,
    "noise_schedule": "karras",
    "signed_hash": "abc",
}


def test_novelai_text_chunks() -> None:
    chunks = {
        "Software": "NovelAI",
        "Source": "NovelAI Diffusion V4 4F3D2E1",
        "Description": "1girl, library, sunlight",
        "Comment": json.dumps(NOVELAI_COMMENT),
    }
    trace = _only(read_metadata(png_with_text(photo(64, 64), chunks)).generators)
    assert (trace.generator, trace.prompt, trace.seed) == (
        "NovelAI",
        "1girl, library, sunlight",
        2718281828,
    )
    assert trace.negative_prompt == "lowres, bad anatomy"
    assert trace.model == "NovelAI Diffusion V4 4F3D2E1"
    assert trace.parameters["signed_hash_present"] is True


def _rgba_with_stealth(payload: dict[str, Any], *, compressed: bool = True) -> np.ndarray:
    rgba = np.dstack([photo(96, 80), np.full((96, 80), 255, np.uint8)])
    rgba[:, :, 3] = embed_stealth(rgba[:, :, 3], payload, compressed=compressed)
    return rgba


@pytest.mark.parametrize("compressed", [True, False])
def test_novelai_stealth_alpha_payload(compressed: bool) -> None:
    payload = {
        "Software": "NovelAI",
        "Source": "Stable Diffusion XL C1E1DE52",
        "Comment": json.dumps(NOVELAI_COMMENT),
    }
    rgba = _rgba_with_stealth(payload, compressed=compressed)
    # The alpha changes by at most one level: invisible.
    assert int(np.abs(rgba[:, :, 3].astype(int) - 255).max()) <= 1
    report = read_metadata(png_with_text(rgba, {}))  # no text chunks at all
    trace = _only(report.generators)
    assert trace.generator == "NovelAI"
    assert (trace.prompt, trace.seed) == ("1girl, library, sunlight", 2718281828)
    magic = "stealth_pngcomp" if compressed else "stealth_pnginfo"
    assert trace.source == f"alpha LSBs ({magic})"


def test_stealth_layout_is_column_major_msb_first() -> None:
    """Reference layout: bits run down each column; a row-major reader finds nothing."""
    alpha = np.full((40, 30), 255, np.uint8)
    marked = embed_stealth(alpha, {"a": 1})
    bits = (marked.T.reshape(-1) & 1).astype(np.uint8)
    assert np.packbits(bits[:120]).tobytes() == b"stealth_pngcomp"
    assert np.packbits((marked.reshape(-1) & 1)[:120]).tobytes() != b"stealth_pngcomp"
    found = read_stealth(marked)
    assert found is not None and found.data == {"a": 1}
    assert read_stealth(alpha) is None


def test_stealth_damaged_payload_is_a_warning() -> None:
    rgba = _rgba_with_stealth({"Software": "NovelAI", "Comment": "{}"})
    rgba[:, 3:6, 3] = 0  # columns 3-5 hold payload bits (the magic and length are intact)
    report = read_metadata(png_with_text(rgba, {}))
    assert any("stealth" in w for w in report.warnings)


def test_midjourney_description() -> None:
    job = "0b3c2f8e-1d2a-4c5b-9e8f-7a6b5c4d3e2f"
    text = f"a cozy cabin in the woods --ar 16:9 --v 6.1 --seed 4242 Job ID: {job}"
    report = read_metadata(png_with_text(photo(32, 32), {"Description": text, "Author": "someone"}))
    trace = _only(report.generators)
    assert (trace.generator, trace.prompt, trace.seed) == (
        "Midjourney",
        "a cozy cabin in the woods",
        4242,
    )
    assert trace.parameters["job_id"] == "0b3c2f8e-1d2a-4c5b-9e8f-7a6b5c4d3e2f"
    assert trace.model == "v6.1"


@pytest.mark.parametrize("term", sorted(DIGITAL_SOURCE_TYPES))
def test_xmp_digital_source_types(term: str) -> None:
    uri = f"http://cv.iptc.org/newscodes/digitalsourcetype/{term}"
    packet = xmp_packet(elements=f'<Iptc4xmpExt:DigitalSourceType rdf:resource="{uri}"/>')
    report = read_metadata(with_xmp_jpeg(photo(48, 64), packet))
    assert report.container["digital_source_type"] == term
    category = DIGITAL_SOURCE_TYPES[term][1]
    traces = [t for t in report.generators if t.kind == "source_type"]
    if category in ("ai", "synthetic"):
        assert len(traces) == 1
        assert traces[0].parameters["digital_source_type"] == term
        assert traces[0].source == "XMP Iptc4xmpExt:DigitalSourceType"
        expected = "generative AI (unnamed)" if category == "ai" else "synthetic media (unnamed)"
        assert traces[0].generator == expected
    else:  # a capture or a human creation is not a generator claim
        assert traces == []


def test_digital_source_type_as_attribute_with_firefly_creator_tool() -> None:
    uri = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"
    packet = xmp_packet(
        attributes=f'Iptc4xmpExt:DigitalSourceType="{uri}" xmp:CreatorTool="Adobe Firefly"'
    )
    report = read_metadata(with_xmp_jpeg(photo(48, 64), packet))
    names = {t.generator for t in report.generators}
    assert names == {"generative AI (unnamed)", "Adobe Firefly"}


def test_made_with_google_ai_credit() -> None:
    packet = xmp_packet(attributes='photoshop:Credit="Made with Google AI"')
    report = read_metadata(with_xmp_jpeg(photo(48, 64), packet))
    assert [(t.generator, t.kind) for t in report.generators] == [("Google AI", "marker")]


def test_camera_photo_has_no_generator_and_no_metadata_is_not_evidence() -> None:
    assert read_metadata(jpeg(photo(48, 64), exif=exif_blob())).generators == []
    bare = read_metadata(jpeg(photo(48, 64)))
    assert bare.generators == [] and bare.warnings == []
