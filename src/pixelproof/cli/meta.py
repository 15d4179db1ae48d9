"""``pixelproof meta`` and ``pixelproof credentials sign|verify``.

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

from ..metadata import sign_image
from ..runner import Row, run
from ..settings import Settings
from ..tasks.meta import MetaTask, VerifyTask
from ._common import (
    EXIT_OK,
    EXIT_SOME_FAILED,
    Inputs,
    JsonFlag,
    configured,
    emit_rows,
    gather_inputs,
    print_error_row,
    reads_images,
    stderr,
    usage_error,
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
    settings = configured(settings, trust_anchors=_text(trust_anchors))
    expanded = gather_inputs(inputs)
    raise emit_rows(
        run(MetaTask(c2pa=c2pa, thumbnail=thumbnail), expanded, settings=settings, workers=workers),
        total=len(expanded.files) + len(expanded.missing),
        description="reading metadata",
        json_output=json_output,
        render=_print_meta_row,
    )


credentials_app = typer.Typer(
    name="credentials",
    help="Sign and verify C2PA Content Credentials (needs the 'c2pa' extra).",
    no_args_is_help=True,
)


@credentials_app.command("sign")
def sign(
    source: Annotated[
        Path, typer.Argument(help="Image to sign.", metavar="IN", show_default=False)
    ],
    cert: Annotated[
        Path,
        typer.Option(
            "--cert", help="PEM certificate chain: signing certificate first.", show_default=False
        ),
    ],
    key: Annotated[
        Path,
        typer.Option(
            "--key", help="PEM private key (PKCS#8) of the signing certificate.", show_default=False
        ),
    ],
    output: Annotated[
        Path,
        typer.Option("--output", "-o", help="Where to write the signed copy.", show_default=False),
    ],
    generator: Annotated[
        str | None, typer.Option("--generator", help="Software that made the content.")
    ] = None,
    digital_source_type: Annotated[
        str | None,
        typer.Option(
            "--digital-source-type",
            help="IPTC digital source type, e.g. trainedAlgorithmicMedia or digitalCapture.",
        ),
    ] = None,
    title: Annotated[str | None, typer.Option("--title", help="Manifest title.")] = None,
    alg: Annotated[
        str, typer.Option("--alg", help="Signature algorithm (es256, ps256, ed25519...).")
    ] = "es256",
) -> None:
    """Attach a signed C2PA manifest to a copy of IN (the source is not modified)."""
    for path, what in ((source, "IN"), (cert, "--cert"), (key, "--key")):
        if not path.is_file():
            raise usage_error(f"{what}: no such file: {path}")
    try:
        size = sign_image(
            source,
            output,
            cert_chain=cert,
            private_key=key,
            generator=generator,
            digital_source_type=digital_source_type,
            title=title,
            algorithm=alg,
        )
    except ValueError as exc:
        raise usage_error(str(exc)) from None
    except ImportError as exc:
        stderr.print(f"Error: {exc}", markup=False)
        raise typer.Exit(EXIT_SOME_FAILED) from None
    except Exception as exc:  # c2pa.C2paError and I/O errors: report, no traceback
        stderr.print(f"Error: signing failed ({type(exc).__name__}: {exc})", markup=False)
        raise typer.Exit(EXIT_SOME_FAILED) from None
    stderr.print(f"signed {source} -> {output} ({size} bytes of Content Credentials)", markup=False)
    raise typer.Exit(EXIT_OK)


@credentials_app.command("verify")
@reads_images
def verify(
    inputs: Inputs,
    json_output: JsonFlag = False,
    trust_anchors: TrustAnchors = None,
    *,
    settings: Settings,
    workers: int,
) -> None:
    """Validate Content Credentials: integrity, signer trust and claims, separately.

    Exits with status 1 when an input failed or a manifest is broken (its integrity
    does not hold), so that scripts can trust status 0.
    """
    settings = configured(settings, trust_anchors=_text(trust_anchors))
    expanded = gather_inputs(inputs)
    raise emit_rows(
        run(VerifyTask(), expanded, settings=settings, workers=workers),
        total=len(expanded.files) + len(expanded.missing),
        description="verifying",
        json_output=json_output,
        render=_print_c2pa_row,
        failed=lambda row: row.result is None or row.result.broken,
    )


def _text(option: Path | None) -> str | None:
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


def _print_c2pa_row(result_row: Row[Any]) -> None:
    if result_row.result is None:
        print_error_row(result_row)
        return
    row = result_row.to_dict()
    c2pa = row["c2pa"]
    stdout.print(Text(str(row["path"]), style="bold"))
    stdout.print(Text(f"  {c2pa['summary']}"))
    if c2pa.get("status") != "present":
        return
    stdout.print(
        Text(f"  integrity    {c2pa['integrity']['status']}: {c2pa['integrity']['explanation']}")
    )
    trust = c2pa["trust"]
    stdout.print(
        Text(
            f"  signer       {trust['status']} "
            f"(list: {trust.get('trust_list')}, at {trust['validated_at']})"
        )
    )
    for status in c2pa.get("validation_status", []):
        stdout.print(
            Text(
                f"  code         {status.get('code')}: {status.get('explanation')}", style="yellow"
            )
        )
