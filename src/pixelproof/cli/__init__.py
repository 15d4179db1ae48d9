"""The ``pixelproof`` command line: one Typer sub-app or command per capability."""

from __future__ import annotations

import sys

import typer

from .. import __version__
from .bench import app as bench_app
from .detect import detect
from .forensics import forensics
from .match import dedup, index_app, match
from .meta import credentials_app, meta
from .scan import scan
from .schema import schema
from .serve import keys_app, serve
from .train import app as train_app
from .watermark import app as watermark_app

app = typer.Typer(
    name="pixelproof",
    help="Where an image came from and whether it can be trusted, offline.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)
app.command("scan")(scan)
app.command("forensics")(forensics)
app.command("detect")(detect)
app.add_typer(train_app, name="train")
app.add_typer(bench_app, name="bench")
app.command("meta")(meta)
app.add_typer(credentials_app, name="credentials")
app.add_typer(index_app, name="index")
app.command("match")(match)
app.command("dedup")(dedup)
app.add_typer(watermark_app, name="watermark")
app.command("schema")(schema)
app.command("serve")(serve)
app.add_typer(keys_app, name="keys")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"pixelproof {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """pixelproof: provenance, watermarks, forensics, AI-image detection and metadata, offline."""


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        sys.exit(130)
    except BrokenPipeError:
        # Output piped into `head` and closed early: not an error of ours.
        sys.exit(0)
