"""Generator claims in what was read of a file: parameters written by image generators
(A1111, ComfyUI, InvokeAI, NovelAI, Midjourney), stealth metadata in the alpha channel,
IPTC digital source types (in XMP or a C2PA manifest) and software names."""

from __future__ import annotations

from typing import Any

import numpy as np

from ._fields import Reading, xmp_field
from ._generators import (
    DIGITAL_SOURCE_TYPES,
    GeneratorTrace,
    marker_traces,
    parse_a1111,
    parse_comfyui,
    parse_invokeai,
    parse_midjourney,
    parse_novelai,
    source_type_term,
    source_type_trace,
)
from ._stealth import read_stealth

_LOSSLESS = ("PNG", "TIFF", "BMP", "GIF")
_INVERSE_ORIENTATION = {6: 8, 8: 6}


def generator_traces(reading: Reading) -> list[GeneratorTrace]:
    """Every generator claim in what was read."""
    walked_texts = {t["keyword"]: t for t in reading.texts}
    full = {k: v["text"] for k, v in walked_texts.items()}
    # Parse the untruncated text (the report keeps a shortened copy).
    full.update(reading.full_texts)
    kind_of = {k: str(v["type"]) for k, v in walked_texts.items()}
    traces: list[GeneratorTrace] = []

    def where(key: str) -> str:
        return f"PNG {kind_of.get(key, 'text')} chunk {key!r}"

    if "parameters" in full:
        trace = parse_a1111(full["parameters"], source=where("parameters"))
        if trace is not None:
            traces.append(trace)
    comment = reading.exif.get("user_comment")
    if isinstance(comment, str) and "Steps:" in comment:
        trace = parse_a1111(comment, source="EXIF UserComment")
        if trace is not None:
            traces.append(trace)
    if "prompt" in full or "workflow" in full:
        key = "prompt" if "prompt" in full else "workflow"
        trace = parse_comfyui(full.get("prompt"), full.get("workflow"), source=where(key))
        if trace is not None:
            traces.append(trace)
    invoke = parse_invokeai(full, kind_of=kind_of)
    if invoke is not None:
        traces.append(invoke)
    novelai = parse_novelai(full, source="PNG text chunks Software/Comment")
    if novelai is not None:
        traces.append(novelai)
    traces.extend(_stealth(reading))
    for key, text in _descriptions(reading, full):
        trace = parse_midjourney(text, source=key, author=full.get("Author"))
        if trace is not None:
            traces.append(trace)
            break
    traces.extend(_source_types(reading))
    named = {t.generator.split(" ")[0].lower() for t in traces}
    for marker in marker_traces(reading.software_fields):
        if marker.generator.split(" ")[0].lower() not in named:
            traces.append(marker)
    return traces


def _descriptions(reading: Reading, texts: dict[str, str]) -> list[tuple[str, str]]:
    found = [(f"PNG text chunk {k!r}", texts[k]) for k in ("Description", "Comment") if k in texts]
    description = reading.exif.get("image_description")
    if isinstance(description, str):
        found.append(("EXIF ImageDescription", description))
    xmp_description = xmp_field(reading.xmp, "dc:description")
    if isinstance(xmp_description, str):
        found.append(("XMP dc:description", xmp_description))
    return found


def _stealth(reading: Reading) -> list[GeneratorTrace]:
    image = reading.image
    if image is None or image.alpha is None or reading.fmt not in (*_LOSSLESS, "WEBP"):
        return []
    if reading.fmt == "WEBP" and reading.container.get("webp_compression") != "lossless":
        return []
    alpha = image.alpha
    rgb = image.pixels if reading.fmt in _LOSSLESS else None
    if image.orientation != 1:
        undo = _INVERSE_ORIENTATION.get(image.orientation, image.orientation)
        from ._thumbnail import orient

        alpha = orient(alpha, undo)
        rgb = orient(rgb, undo) if rgb is not None else None
    try:
        payload = read_stealth(np.asarray(alpha), None if rgb is None else np.asarray(rgb))
    except ValueError as exc:
        reading.warn(f"stealth metadata: {exc}")
        return []
    if payload is None:
        return []
    source = f"{payload.channel} LSBs ({payload.magic})"
    trace = parse_novelai(payload.data, source=source)
    if trace is None:
        parameters = payload.data.get("parameters")
        if isinstance(parameters, str):
            trace = parse_a1111(parameters, source=source)
    if trace is None:
        trace = GeneratorTrace(
            generator="unknown (stealth metadata)",
            source=source,
            kind="parameters",
            parameters={"keys": sorted(payload.data)},
        )
    return [trace]


def _source_types(reading: Reading) -> list[GeneratorTrace]:
    traces: list[GeneratorTrace] = []
    declared: list[tuple[str, Any]] = []
    for key, value in reading.xmp.items():
        if key.lower().endswith(":digitalsourcetype"):
            declared.append((f"XMP {key}", value))
    for source, value in declared:
        term = source_type_term(value)
        if term is None:
            continue
        if term in DIGITAL_SOURCE_TYPES:
            reading.container.setdefault("digital_source_type", term)
        trace = source_type_trace(value, source=source)
        if trace is not None:
            traces.append(trace)
    if reading.c2pa.status == "present":
        for item in reading.c2pa.claims.get("digital_source_types", []):
            trace = source_type_trace(item["term"], source="C2PA manifest (signed claim)")
            if trace is not None:
                agent = next(
                    (
                        a.get("software_agent")
                        for a in reading.c2pa.claims.get("actions", [])
                        if a.get("software_agent")
                    ),
                    None,
                )
                params = dict(trace.parameters)
                params["integrity"] = reading.c2pa.integrity.get("status")
                params["signer_trust"] = reading.c2pa.trust.get("status")
                traces.append(
                    GeneratorTrace(
                        generator=str(agent or reading.c2pa.claims.get("claim_generator")),
                        source=trace.source,
                        kind="source_type",
                        parameters=params,
                    )
                )
    return traces
