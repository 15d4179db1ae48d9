"""Traces that image generators write into files, parsed into prompt, model and seed.

Every trace is a *claim* written in the file: easy to add, easy to strip. Finding one
says what the file declares about itself; not finding one proves nothing.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, NotRequired

from typing_extensions import TypedDict

IPTC_SOURCE_TYPE_URI = "http://cv.iptc.org/newscodes/digitalsourcetype/"

# IPTC NewsCodes "Digital Source Type" vocabulary: term -> (meaning, category).
# Categories: "ai" (generative AI involved), "synthetic" (algorithmic, not captured),
# "capture" (recorded from the real world), "edit" (captured, then edited), "other".
DIGITAL_SOURCE_TYPES: dict[str, tuple[str, str]] = {
    "trainedAlgorithmicMedia": ("created by a trained AI model (generative AI)", "ai"),
    "compositeWithTrainedAlgorithmicMedia": (
        "a composite that includes generative-AI elements (e.g. generative fill)",
        "ai",
    ),
    "algorithmicMedia": ("created purely by an algorithm, not from a trained model", "synthetic"),
    "compositeSynthetic": ("a composite that includes synthetic elements", "synthetic"),
    "dataDrivenMedia": ("generated from data (e.g. a visualisation)", "synthetic"),
    "digitalCreation": ("created by a person with digital tools (drawing, 3-D)", "other"),
    "digitalArt": ("created by a person with digital tools (deprecated term)", "other"),
    "virtualRecording": ("recorded inside a virtual environment", "other"),
    "screenCapture": ("a capture of a screen", "other"),
    "digitalCapture": ("captured by a digital camera or sensor", "capture"),
    "computationalCapture": ("captured with computational processing (phones)", "capture"),
    "negativeFilm": ("scanned from a film negative", "capture"),
    "positiveFilm": ("scanned from a film positive (slide)", "capture"),
    "print": ("scanned from a print", "capture"),
    "compositeCapture": ("a composite of several captures", "edit"),
    "humanEdits": ("captured, then edited by a person", "edit"),
    "minorHumanEdits": ("captured, then edited slightly by a person", "edit"),
    "algorithmicallyEnhanced": ("captured, then enhanced by an algorithm", "edit"),
    "composite": ("a composite of elements of several kinds", "edit"),
    "softwareImage": ("created by software (deprecated term)", "synthetic"),
}

# Software and credit strings that name a generator, searched in fields where a
# generator or editing application names itself (never in captions or descriptions).
_GENERATOR_MARKERS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern, re.IGNORECASE), name)
    for pattern, name in (
        (r"made with google ai|edited with google ai|\bimagen\b|\bgemini\b", "Google AI"),
        (r"\bdall[\s·\-_.]*e\b|\bopenai\b|\bchatgpt\b|\bsora\b", "OpenAI (DALL-E/ChatGPT)"),
        (r"\bfirefly\b", "Adobe Firefly"),
        (r"\bmidjourney\b", "Midjourney"),
        (r"\bstable[\s_-]*diffusion\b|\bsdxl\b|\bstability ai\b", "Stable Diffusion"),
        (r"\bnovelai\b", "NovelAI"),
        (r"\bcomfyui\b", "ComfyUI"),
        (r"\binvoke\s*ai\b", "InvokeAI"),
        (r"\bfooocus\b", "Fooocus"),
        (r"\bleonardo\.?ai\b", "Leonardo.Ai"),
        (r"\bideogram\b", "Ideogram"),
        (r"\bflux(\.1)?\b.*\b(dev|schnell|pro)\b|black forest labs", "FLUX (Black Forest Labs)"),
        (r"\bbing image creator\b|\bmicrosoft designer\b|\bcopilot\b", "Microsoft (DALL-E)"),
        (r"\bgrok\b|\baurora\b.*\bxai\b", "xAI Grok"),
        (r"\brunway(ml)?\b", "Runway"),
        (r"\bcraiyon\b", "Craiyon"),
        (r"\bnightcafe\b", "NightCafe"),
        (r"\bdreamstudio\b", "DreamStudio (Stability AI)"),
        (r"\bplayground\s*(ai|v\d)\b", "Playground AI"),
    )
)


class GeneratorTraceDict(TypedDict):
    """The JSON form of a :class:`GeneratorTrace` (an item of a ``meta`` row's
    ``generators``); the settings a trace does not state are absent."""

    generator: str
    source: str
    kind: str
    prompt: NotRequired[str]
    negative_prompt: NotRequired[str]
    seed: NotRequired[int]
    model: NotRequired[str]
    steps: NotRequired[int]
    sampler: NotRequired[str]
    cfg_scale: NotRequired[float]
    size: NotRequired[str]
    parameters: NotRequired[dict[str, Any]]


@dataclass(frozen=True)
class GeneratorTrace:
    """What one generator wrote about itself in the file.

    Attributes
    ----------
    generator : str
        The generator's name ("AUTOMATIC1111 Stable Diffusion web UI", "ComfyUI", ...).
    source : str
        Where the trace was found ("PNG tEXt chunk 'parameters'", "XMP
        Iptc4xmpExt:DigitalSourceType", ...).
    kind : str
        ``"parameters"`` (full generation settings), ``"source_type"`` (an IPTC digital
        source type) or ``"marker"`` (a software or credit string).
    prompt, negative_prompt, model, sampler : str or None
    seed, steps : int or None
    cfg_scale : float or None
    size : str or None
        ``"WxH"``.
    parameters : dict
        Every other parsed setting.
    """

    generator: str
    source: str
    kind: str
    prompt: str | None = None
    negative_prompt: str | None = None
    seed: int | None = None
    model: str | None = None
    steps: int | None = None
    sampler: str | None = None
    cfg_scale: float | None = None
    size: str | None = None
    parameters: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> GeneratorTraceDict:
        row: GeneratorTraceDict = {
            "generator": self.generator,
            "source": self.source,
            "kind": self.kind,
        }
        if self.prompt is not None:
            row["prompt"] = self.prompt
        if self.negative_prompt is not None:
            row["negative_prompt"] = self.negative_prompt
        if self.seed is not None:
            row["seed"] = self.seed
        if self.model is not None:
            row["model"] = self.model
        if self.steps is not None:
            row["steps"] = self.steps
        if self.sampler is not None:
            row["sampler"] = self.sampler
        if self.cfg_scale is not None:
            row["cfg_scale"] = self.cfg_scale
        if self.size is not None:
            row["size"] = self.size
        if self.parameters:
            row["parameters"] = self.parameters
        return row


# -- AUTOMATIC1111 / Forge -------------------------------------------------------------

_A1111_PARAM = re.compile(r'\s*([\w][\w \-/]*?):\s*("(?:\\.|[^\\"])*"|[^,]*)(?:,|$)')


def parse_a1111(text: str, *, source: str) -> GeneratorTrace | None:
    """Parse AUTOMATIC1111/Forge ``parameters`` text (prompt, negative, settings line)."""
    lines = text.strip().split("\n")
    settings_index = next(
        (i for i in range(len(lines) - 1, -1, -1) if re.match(r"\s*Steps:\s*\d", lines[i])),
        None,
    )
    if settings_index is None:
        return None
    settings = _a1111_settings(lines[settings_index])
    body = lines[:settings_index]
    prompt_lines: list[str] = []
    negative_lines: list[str] = []
    target = prompt_lines
    for line in body:
        if line.startswith("Negative prompt:"):
            target = negative_lines
            line = line[len("Negative prompt:") :].lstrip()
        target.append(line)
    version = str(settings.get("Version", ""))
    if version.startswith("f") or "forge" in version.lower():
        generator = "Stable Diffusion WebUI Forge"
    elif "comfy" in version.lower():
        generator = "ComfyUI (A1111-style parameters)"
    else:
        generator = "AUTOMATIC1111 Stable Diffusion web UI"
    known = {"Steps", "Sampler", "CFG scale", "Seed", "Size", "Model"}
    return GeneratorTrace(
        generator=generator,
        source=source,
        kind="parameters",
        prompt="\n".join(prompt_lines).strip() or None,
        negative_prompt="\n".join(negative_lines).strip() or None,
        seed=_int(settings.get("Seed")),
        model=_str(settings.get("Model")) or _str(settings.get("Model hash")),
        steps=_int(settings.get("Steps")),
        sampler=_str(settings.get("Sampler")),
        cfg_scale=_float(settings.get("CFG scale")),
        size=_str(settings.get("Size")),
        parameters={k: v for k, v in settings.items() if k not in known},
    )


def _a1111_settings(line: str) -> dict[str, str]:
    settings: dict[str, str] = {}
    for key, value in _A1111_PARAM.findall(line):
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] == '"':
            try:
                value = json.loads(value)
            except ValueError:
                value = value[1:-1]
        settings[key.strip()] = value
    return settings


# -- ComfyUI ---------------------------------------------------------------------------

_SAMPLER_CLASSES = ("KSampler", "KSamplerAdvanced", "SamplerCustom", "SamplerCustomAdvanced")
_MODEL_KEYS = ("ckpt_name", "unet_name", "model_name", "gguf_name")


def parse_comfyui(
    prompt_json: str | None, workflow_json: str | None, *, source: str
) -> GeneratorTrace | None:
    """Parse ComfyUI's ``prompt`` (API graph) and/or ``workflow`` (UI graph) JSON."""
    graph = _json_object(prompt_json)
    if graph:
        trace = _comfy_api_graph(graph, source=source)
        if trace is not None:
            return trace
    workflow = _json_object(workflow_json)
    if workflow and isinstance(workflow.get("nodes"), list):
        return _comfy_workflow(workflow, source=source)
    if graph or workflow:
        return GeneratorTrace(generator="ComfyUI", source=source, kind="parameters")
    return None


def _comfy_api_graph(graph: dict[str, Any], *, source: str) -> GeneratorTrace | None:
    nodes = {str(k): v for k, v in graph.items() if isinstance(v, dict) and "class_type" in v}
    if not nodes:
        return None

    def follow(value: Any, want: tuple[str, ...], depth: int = 0) -> Any:
        """Resolve a link ``[node_id, slot]`` to the first input named in ``want``."""
        if depth > 12:
            return None
        if isinstance(value, list) and len(value) == 2 and str(value[0]) in nodes:
            inputs = nodes[str(value[0])].get("inputs", {})
            if not isinstance(inputs, dict):
                return None
            for key in want:
                if key in inputs:
                    return follow(inputs[key], want, depth + 1)
            for key in ("conditioning", "conditioning_1", "clip", "model", "value", "string"):
                if key in inputs:
                    found = follow(inputs[key], want, depth + 1)
                    if found is not None:
                        return found
            return None
        return value

    sampler = next(
        (n for n in nodes.values() if n.get("class_type") in _SAMPLER_CLASSES),
        None,
    )
    models = [
        str(node["inputs"][key])
        for node in nodes.values()
        if isinstance(node.get("inputs"), dict)
        for key in _MODEL_KEYS
        if isinstance(node["inputs"].get(key), str)
    ]
    loras = [
        str(node["inputs"]["lora_name"])
        for node in nodes.values()
        if isinstance(node.get("inputs"), dict) and isinstance(node["inputs"].get("lora_name"), str)
    ]
    params: dict[str, Any] = {"nodes": sorted({str(n.get("class_type")) for n in nodes.values()})}
    if loras:
        params["loras"] = loras
    prompt = negative = None
    seed = steps = None
    cfg = None
    sampler_name = None
    if sampler is not None:
        inputs = sampler.get("inputs", {}) if isinstance(sampler.get("inputs"), dict) else {}
        text_keys = ("text", "text_g", "string", "value", "prompt")
        prompt = _str(follow(inputs.get("positive"), text_keys))
        negative = _str(follow(inputs.get("negative"), text_keys))
        seed = _int(follow(inputs.get("seed", inputs.get("noise_seed")), ("seed", "noise_seed")))
        steps = _int(follow(inputs.get("steps"), ("steps", "value")))
        cfg = _float(follow(inputs.get("cfg"), ("cfg", "value")))
        sampler_name = _str(follow(inputs.get("sampler_name"), ("sampler_name",)))
        for key in ("scheduler", "denoise"):
            if key in inputs and not isinstance(inputs[key], list):
                params[key] = inputs[key]
    if prompt is None:
        texts = [
            n["inputs"]["text"]
            for n in nodes.values()
            if str(n.get("class_type", "")).startswith("CLIPTextEncode")
            and isinstance(n.get("inputs"), dict)
            and isinstance(n["inputs"].get("text"), str)
        ]
        prompt = texts[0] if texts else None
    size = None
    for node in nodes.values():
        inputs = node.get("inputs")
        if "Latent" in str(node.get("class_type")) and isinstance(inputs, dict):
            width, height = _int(inputs.get("width")), _int(inputs.get("height"))
            if width and height:
                size = f"{width}x{height}"
                break
    return GeneratorTrace(
        generator="ComfyUI",
        source=source,
        kind="parameters",
        prompt=prompt,
        negative_prompt=negative,
        seed=seed,
        model=models[0] if models else None,
        steps=steps,
        sampler=sampler_name,
        cfg_scale=cfg,
        size=size,
        parameters=params,
    )


def _comfy_workflow(workflow: dict[str, Any], *, source: str) -> GeneratorTrace:
    nodes = {n.get("id"): n for n in workflow["nodes"] if isinstance(n, dict)}
    links: dict[Any, Any] = {}
    for link in workflow.get("links") or []:
        if isinstance(link, list) and len(link) >= 4:
            links[link[0]] = link[1]  # link id -> origin node id

    def widgets(node: dict[str, Any] | None) -> list[Any]:
        values = node.get("widgets_values") if node else None
        return values if isinstance(values, list) else []

    def linked_text(node: dict[str, Any], name: str) -> str | None:
        for slot in node.get("inputs") or []:
            if isinstance(slot, dict) and slot.get("name") == name:
                origin = nodes.get(links.get(slot.get("link")))
                values = widgets(origin)
                if values and isinstance(values[0], str):
                    return values[0]
        return None

    sampler = next((n for n in nodes.values() if n.get("type") in _SAMPLER_CLASSES), None)
    prompt = negative = None
    seed = steps = None
    cfg = None
    sampler_name = None
    if sampler is not None:
        values = widgets(sampler)
        prompt, negative = linked_text(sampler, "positive"), linked_text(sampler, "negative")
        if sampler.get("type") == "KSampler" and len(values) >= 5:
            seed, steps, cfg, sampler_name = (
                _int(values[0]),
                _int(values[2]),
                _float(values[3]),
                _str(values[4]),
            )
        elif sampler.get("type") == "KSamplerAdvanced" and len(values) >= 6:
            seed, steps, cfg, sampler_name = (
                _int(values[1]),
                _int(values[3]),
                _float(values[4]),
                _str(values[5]),
            )
    models = [
        widgets(n)[0]
        for n in nodes.values()
        if "Loader" in str(n.get("type")) and widgets(n) and isinstance(widgets(n)[0], str)
    ]
    if prompt is None:
        texts = [
            widgets(n)[0]
            for n in nodes.values()
            if str(n.get("type", "")).startswith("CLIPTextEncode")
            and widgets(n)
            and isinstance(widgets(n)[0], str)
        ]
        prompt = texts[0] if texts else None
    return GeneratorTrace(
        generator="ComfyUI",
        source=source,
        kind="parameters",
        prompt=prompt,
        negative_prompt=negative,
        seed=seed,
        model=models[0] if models else None,
        steps=steps,
        sampler=sampler_name,
        cfg_scale=cfg,
        parameters={"nodes": sorted({str(n.get("type")) for n in nodes.values()})},
    )


# -- InvokeAI --------------------------------------------------------------------------


def parse_invokeai(
    texts: Mapping[str, str], *, kind_of: Mapping[str, str]
) -> GeneratorTrace | None:
    """Parse InvokeAI's ``invokeai_metadata`` (v3+), ``sd-metadata`` or ``Dream`` chunks."""
    meta = _json_object(texts.get("invokeai_metadata"))
    if meta:
        model = meta.get("model")
        model_name = (
            model.get("name") or model.get("model_name") if isinstance(model, dict) else model
        )
        width, height = _int(meta.get("width")), _int(meta.get("height"))
        known = {"positive_prompt", "negative_prompt", "seed", "model", "steps", "cfg_scale"}
        return GeneratorTrace(
            generator="InvokeAI",
            source=_where("invokeai_metadata", kind_of),
            kind="parameters",
            prompt=_str(meta.get("positive_prompt")),
            negative_prompt=_str(meta.get("negative_prompt")),
            seed=_int(meta.get("seed")),
            model=_str(model_name),
            steps=_int(meta.get("steps")),
            sampler=_str(meta.get("scheduler")),
            cfg_scale=_float(meta.get("cfg_scale")),
            size=f"{width}x{height}" if width and height else None,
            parameters=_small({k: v for k, v in meta.items() if k not in known}),
        )
    legacy = _json_object(texts.get("sd-metadata"))
    if legacy:
        raw_image = legacy.get("image")
        image: dict[str, Any] = raw_image if isinstance(raw_image, dict) else {}
        prompt = image.get("prompt")
        if isinstance(prompt, list):
            prompt = " ".join(str(p.get("prompt", "")) for p in prompt if isinstance(p, dict))
        width, height = _int(image.get("width")), _int(image.get("height"))
        return GeneratorTrace(
            generator="InvokeAI",
            source=_where("sd-metadata", kind_of),
            kind="parameters",
            prompt=_str(prompt),
            seed=_int(image.get("seed")),
            model=_str(legacy.get("model_weights")),
            steps=_int(image.get("steps")),
            sampler=_str(image.get("sampler")),
            cfg_scale=_float(image.get("cfg_scale")),
            size=f"{width}x{height}" if width and height else None,
            parameters=_small({"app_version": legacy.get("app_version")}),
        )
    dream = texts.get("Dream")
    if dream:
        match = re.match(r'\s*"(.*?)"\s*(.*)', dream, re.S)
        options = match.group(2) if match else dream
        flags = dict(re.findall(r"-([A-Za-z])\s+(\S+)", options))
        width, height = _int(flags.get("W")), _int(flags.get("H"))
        return GeneratorTrace(
            generator="InvokeAI",
            source=_where("Dream", kind_of),
            kind="parameters",
            prompt=match.group(1) if match else None,
            seed=_int(flags.get("S")),
            steps=_int(flags.get("s")),
            sampler=_str(flags.get("A")),
            cfg_scale=_float(flags.get("C")),
            size=f"{width}x{height}" if width and height else None,
        )
    return None


# -- NovelAI ---------------------------------------------------------------------------


def parse_novelai(texts: Mapping[str, Any], *, source: str) -> GeneratorTrace | None:
    """Parse NovelAI's ``Software``/``Source``/``Description``/``Comment`` fields."""
    software = str(texts.get("Software", ""))
    comment = texts.get("Comment")
    data = comment if isinstance(comment, dict) else _json_object(comment)
    if "novelai" not in software.lower() and not (
        data and ("uc" in data or "noise_schedule" in data or "v4_prompt" in data)
    ):
        return None
    data = data or {}
    prompt = _str(data.get("prompt")) or _str(texts.get("Description"))
    width, height = _int(data.get("width")), _int(data.get("height"))
    known = {"prompt", "uc", "seed", "steps", "sampler", "scale", "width", "height"}
    params = _small({k: v for k, v in data.items() if k not in known})
    if texts.get("Generation time"):
        params["generation_time"] = texts.get("Generation time")
    if "signed_hash" in data:
        params["signed_hash_present"] = True
    return GeneratorTrace(
        generator="NovelAI",
        source=source,
        kind="parameters",
        prompt=prompt,
        negative_prompt=_str(data.get("uc")),
        seed=_int(data.get("seed")),
        model=_str(texts.get("Source")),
        steps=_int(data.get("steps")),
        sampler=_str(data.get("sampler")),
        cfg_scale=_float(data.get("scale")),
        size=f"{width}x{height}" if width and height else None,
        parameters=params,
    )


# -- Midjourney ------------------------------------------------------------------------

_MJ_JOB = re.compile(r"Job ID:\s*([0-9a-f\-]{36})", re.IGNORECASE)


def parse_midjourney(text: str, *, source: str, author: str | None = None) -> GeneratorTrace | None:
    """Parse Midjourney's description text (``<prompt> --flags Job ID: <uuid>``)."""
    match = _MJ_JOB.search(text)
    if not match:
        return None
    prompt_part = text[: match.start()].strip()
    flags = dict(re.findall(r"--(\w+)\s+([^\s-][^\s]*)", prompt_part))
    prompt = re.split(r"\s--\w", " " + prompt_part, maxsplit=1)[0].strip()
    params: dict[str, Any] = {"job_id": match.group(1), **flags}
    if author:
        params["author"] = author
    return GeneratorTrace(
        generator="Midjourney",
        source=source,
        kind="parameters",
        prompt=prompt or None,
        seed=_int(flags.get("seed")),
        model=f"v{flags['v']}" if "v" in flags else None,
        parameters=params,
    )


# -- IPTC digital source type and software markers -------------------------------------


def source_type_term(value: Any) -> str | None:
    """The vocabulary term of a digital-source-type value (URI or bare term)."""
    if not isinstance(value, str) or not value.strip():
        return None
    term = value.strip().rstrip("/").rsplit("/", 1)[-1]
    return term or None


def source_type_trace(value: Any, *, source: str) -> GeneratorTrace | None:
    """A trace for an AI or synthetic IPTC digital source type; None for captures."""
    term = source_type_term(value)
    if term is None:
        return None
    meaning, category = DIGITAL_SOURCE_TYPES.get(term, ("unknown term", "other"))
    if category not in ("ai", "synthetic"):
        return None
    generator = "generative AI (unnamed)" if category == "ai" else "synthetic media (unnamed)"
    return GeneratorTrace(
        generator=generator,
        source=source,
        kind="source_type",
        parameters={"digital_source_type": term, "meaning": meaning, "category": category},
    )


def marker_traces(fields: Iterable[tuple[str, str]]) -> list[GeneratorTrace]:
    """Traces for generator names found in software/credit fields ``(where, text)``."""
    traces: list[GeneratorTrace] = []
    seen: set[tuple[str, str]] = set()
    for where, text in fields:
        for pattern, name in _GENERATOR_MARKERS:
            if pattern.search(text) and (name, where) not in seen:
                seen.add((name, where))
                traces.append(
                    GeneratorTrace(
                        generator=name,
                        source=where,
                        kind="marker",
                        parameters={"text": text[:300]},
                    )
                )
    return traces


# -- helpers ---------------------------------------------------------------------------


def _where(keyword: str, kind_of: Mapping[str, str]) -> str:
    return f"PNG {kind_of.get(keyword, 'text')} chunk {keyword!r}"


def _json_object(text: Any) -> dict[str, Any] | None:
    if isinstance(text, dict):
        return text
    if not isinstance(text, str) or not text.strip().startswith("{"):
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _small(values: dict[str, Any], limit: int = 2000) -> dict[str, Any]:
    """Drop ``None`` values and shorten long ones, keeping the JSON row readable."""
    small: dict[str, Any] = {}
    for key, value in values.items():
        if value is None:
            continue
        text = json.dumps(value, default=str)
        small[key] = value if len(text) <= limit else text[:limit] + "…"
    return small


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            return None
    return None


def _float(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            return None
    return None


def _str(value: Any) -> str | None:
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None
