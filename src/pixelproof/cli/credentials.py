"""``pixelproof credentials sign|verify|recover``: C2PA Content Credentials.

``sign --durable --repo REPO`` makes credentials that survive metadata stripping (see
:mod:`pixelproof.credentials`); ``recover`` finds them again from the pixels.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.text import Text

from ..credentials import ManifestRepository, SigningIdentity, sign_durable
from ..io import ImageLoadError, UnsafeOutputError, load_image, write_output
from ..metadata import sign_image
from ..runner import Row, run
from ..settings import Settings
from ..tasks.credentials import RecoverTask
from ..tasks.meta import VerifyTask
from ._common import (
    EXIT_OK,
    EXIT_SOME_FAILED,
    ConfigFile,
    Inputs,
    JsonFlag,
    build_settings,
    check_repository,
    configured,
    emit_rows,
    gather_inputs,
    print_error_row,
    reads_images,
    stderr,
    usage_error,
)
from .meta import TrustAnchors, text_option

stdout = Console(highlight=False, soft_wrap=True)

credentials_app = typer.Typer(
    name="credentials",
    help="Sign, verify and recover C2PA Content Credentials (needs the 'c2pa' extra).",
    no_args_is_help=True,
)

RepoOption = Annotated[
    Path | None,
    typer.Option(
        "--repo",
        help="Manifest repository folder (default: credentials_repo from --config).",
        show_default=False,
    ),
]


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
        typer.Option(
            "--output",
            "--out",
            "-o",
            help="Where to write the signed copy (never the input).",
            show_default=False,
        ),
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
    durable: Annotated[
        bool,
        typer.Option(
            "--durable",
            help="Durable credentials: watermark a fresh identifier into the pixels, add "
            "c2pa.soft-binding assertions (watermark and fingerprint), sign, and store the "
            "manifest in --repo so it can be recovered from a stripped copy.",
        ),
    ] = False,
    repo: RepoOption = None,
    quality: Annotated[
        int, typer.Option("--quality", min=1, max=100, help="JPEG/WebP quality (--durable).")
    ] = 95,
    config: ConfigFile = None,
) -> None:
    """Attach a signed C2PA manifest to a copy of IN (the source is not modified).

    With --durable the watermark key comes from --config (watermark_key) or
    $PIXELPROOF_WATERMARK_KEY; recovering needs the same key.
    """
    for path, what in ((source, "IN"), (cert, "--cert"), (key, "--key")):
        if not path.is_file():
            raise usage_error(f"{what}: no such file: {path}")
    if output.resolve() == source.resolve():
        raise usage_error("--output must differ from IN (the source is never modified)")
    if durable:
        settings = configured(build_settings(config=config), credentials_repo=text_option(repo))
        _sign_durable(
            source,
            output,
            SigningIdentity(cert, key, alg),
            settings,
            title=title or source.name,
            generator=generator,
            digital_source_type=digital_source_type,
            quality=quality,
        )
    if repo is not None:
        raise usage_error("--repo needs --durable")
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


def _sign_durable(
    source: Path,
    output: Path,
    identity: SigningIdentity,
    settings: Settings,
    **options: Any,
) -> NoReturn:
    """``sign --durable``: never returns (raises the exit)."""
    from ..watermark import output_format

    if settings.credentials_repo is None:
        raise usage_error("--durable needs --repo (or credentials_repo in --config)")
    try:
        image = load_image(source, limits=settings.limits)
        fmt = output_format(None, output, image.format)
        with ManifestRepository(settings.credentials_repo, create=True) as repository:
            signed = sign_durable(
                image, repository, identity, watermark_key=settings.key, fmt=fmt, **options
            )
            write_output(output, signed.data, protect=[str(source)])
    except (ValueError, ImageLoadError, UnsafeOutputError) as exc:
        stderr.print(f"Error: {exc}", markup=False)
        raise typer.Exit(EXIT_SOME_FAILED) from None
    except ImportError as exc:
        stderr.print(f"Error: {exc}", markup=False)
        raise typer.Exit(EXIT_SOME_FAILED) from None
    except Exception as exc:  # c2pa.C2paError and I/O errors: report, no traceback
        stderr.print(f"Error: signing failed ({type(exc).__name__}: {exc})", markup=False)
        raise typer.Exit(EXIT_SOME_FAILED) from None
    stderr.print(
        f"signed {source} -> {output}: manifest {signed.manifest_id}, watermark identifier "
        f"{signed.identifier_hex}, stored in {settings.credentials_repo}",
        markup=False,
    )
    if settings.demo_key:
        stderr.print(
            "warning: marked with the public demo watermark key; set watermark_key in "
            "--config or $PIXELPROOF_WATERMARK_KEY for real use",
            markup=False,
        )
    if not signed.watermark_read_back:
        stderr.print(
            "warning: the watermark could not be read back from the output (image too "
            "small or too flat?): recovery will rely on the fingerprint",
            markup=False,
        )
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
    settings = configured(settings, trust_anchors=text_option(trust_anchors))
    expanded = gather_inputs(inputs)
    raise emit_rows(
        run(VerifyTask(), expanded, settings=settings, workers=workers),
        total=expanded.row_count,
        description="verifying",
        json_output=json_output,
        render=_print_c2pa_row,
        failed=lambda row: row.result is None or row.result.broken,
    )


@credentials_app.command("recover")
@reads_images
def recover(
    inputs: Inputs,
    repo: RepoOption = None,
    json_output: JsonFlag = False,
    trust_anchors: TrustAnchors = None,
    *,
    settings: Settings,
    workers: int,
) -> None:
    """Find each image's Content Credentials: embedded, else by watermark and fingerprint.

    ``found_by`` is embedded, watermark, fingerprint or both. Exits with status 1 when
    an input failed or an embedded manifest's hard binding fails (pixels edited).
    """
    settings = configured(
        settings, trust_anchors=text_option(trust_anchors), credentials_repo=text_option(repo)
    )
    if settings.credentials_repo is None:
        raise usage_error("--repo is required (or credentials_repo in --config)")
    check_repository(settings)
    expanded = gather_inputs(inputs)
    raise emit_rows(
        run(RecoverTask(), expanded, settings=settings, workers=workers),
        total=expanded.row_count,
        description="recovering",
        json_output=json_output,
        render=_print_recovery_row,
        failed=lambda row: row.result is None or row.result.hard_binding_broken,
    )


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


def _print_recovery_row(result_row: Row[Any]) -> None:
    if result_row.result is None:
        print_error_row(result_row)
        return
    row = result_row.to_dict()
    header = Text(str(row["path"]), style="bold")
    found_by = row["found_by"]
    header.append(f"  {found_by or 'not found'}", style="green" if found_by else "dim")
    stdout.print(header)
    stdout.print(Text(f"  {row['summary']}"))
    manifest = row.get("manifest")
    if manifest:
        stdout.print(
            Text(
                f"  manifest     {manifest['manifest_id']}  {manifest.get('title') or ''}"
                f"  signer {manifest.get('signer')}  at {manifest.get('signed_at')}"
            )
        )
    mark = row["watermark"]
    stdout.print(
        Text(
            f"  watermark    {mark['identifier'] or 'none'} (p = {mark['p_value']:.2g}"
            f"{', in repository' if mark['in_repository'] else ''})"
        )
    )
    for match in row["fingerprint"]["matches"][:3]:
        stdout.print(Text(f"  fingerprint  {match['score']:.3f}  {match['manifest_id']}"))
