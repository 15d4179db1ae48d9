"""``pixelproof meta``: what each file says about its origin.

``meta --json`` prints one JSON object per input: ``path``, ``format``, ``camera``,
``orientation``, the parsed groups ``exif``, ``gps``, ``xmp``, ``iptc``, ``icc``,
``text`` and ``container``, then ``generators`` (claims made by image generators),
``findings`` (consistency checks), ``c2pa`` (integrity, trust and claims kept apart) and
``warnings`` (malformed metadata: never an error). An input that cannot be read gives
``{"path", "error", "error_type"}``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.text import Text

from ..runner import Row, run
from ..settings import Settings
from ..tasks.meta import MetaTask
from ._common import (
    Inputs,
    JsonFlag,
    configured,
    emit_rows,
    gather_inputs,
    print_error_row,
    reads_images,
)

stdout = Console(highlight=False, soft_wrap=True)

TrustAnchors = Annotated[
    Path | None,
    typer.Option(
        "--trust-anchors",
        help="PEM file of trusted C2PA root certificates "
        "(default: $PIXELPROOF_TRUST_ANCHORS; none means 'no trust list configured').",
        show_default=False,
    ),
]


@reads_images
def meta(
    inputs: Inputs,
    json_output: JsonFlag = False,
    trust_anchors: TrustAnchors = None,
    c2pa: Annotated[
        bool, typer.Option("--c2pa/--no-c2pa", help="Validate Content Credentials.")
    ] = True,
    thumbnail: Annotated[
        bool,
        typer.Option(
            "--thumbnail/--no-thumbnail", help="Compare the EXIF thumbnail with the pixels."
        ),
    ] = True,
    *,
    settings: Settings,
    workers: int,
) -> None:
    """Read what each file says about its origin: EXIF, XMP, IPTC, generators, C2PA."""
    settings = configured(settings, trust_anchors=text_option(trust_anchors))
    expanded = gather_inputs(inputs)
    raise emit_rows(
        run(MetaTask(c2pa=c2pa, thumbnail=thumbnail), expanded, settings=settings, workers=workers),
        total=expanded.row_count,
        description="reading metadata",
        json_output=json_output,
        render=_print_meta_row,
    )


def text_option(option: Path | None) -> str | None:
    return None if option is None else str(option)


def _print_meta_row(result_row: Row[Any]) -> None:
    if result_row.result is None:
        print_error_row(result_row)
        return
    row = result_row.to_dict()
    header = Text(str(row["path"]), style="bold")
    header.append(f"  {row.get('format')}", style="dim")
    stdout.print(header)
    camera = row.get("camera") or {}
    exif = row.get("exif") or {}
    lines: list[tuple[str, str]] = []
    if camera:
        lines.append(("camera", " ".join(str(v) for k, v in camera.items() if k != "source")))
    if row.get("orientation") is not None:
        lines.append(("orientation", str(row["orientation"])))
    for key in ("datetime_original", "software"):
        if key in exif:
            lines.append((key.replace("_", " "), str(exif[key])))
    gps = row.get("gps") or {}
    if "latitude" in gps:
        lines.append(("gps", f"{gps['latitude']}, {gps['longitude']}"))
    for label, value in lines:
        stdout.print(Text(f"  {label:<16}{value}"))
    for trace in row.get("generators", []):
        line = Text(f"  {'generator':<16}")
        line.append(str(trace["generator"]), style="bold magenta")
        extras = [f"{k}={trace[k]!r}" for k in ("seed", "model") if k in trace]
        if "prompt" in trace:
            prompt = str(trace["prompt"])
            extras.insert(0, f"prompt={prompt[:60] + '…' if len(prompt) > 60 else prompt!r}")
        line.append(f"  ({trace['source']}) " + " ".join(extras))
        stdout.print(line)
    for finding in row.get("findings", []):
        style = {"manipulated": "bold red", "inconclusive": "yellow"}.get(finding["label"], "dim")
        line = Text(f"  {finding['code']:<24} ", style=style)
        line.append(str(finding["message"]))
        stdout.print(line)
    stdout.print(Text(f"  {'c2pa':<16}{row['c2pa']['summary']}"))
    for warning in row.get("warnings", []):
        stdout.print(Text(f"  ! {warning}", style="yellow"))
