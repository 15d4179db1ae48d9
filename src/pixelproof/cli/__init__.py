"""The ``pixelproof`` command line: one Typer sub-app or command per capability.

A command's module is imported only when that command runs or shows its own help:
``pixelproof --help`` and the start of every command pay for what they use, not for
every capability's imports (see :data:`COMMANDS`).
"""

from __future__ import annotations

import importlib
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import typer
import typer.main
from typer.core import TyperCommand, TyperGroup

if TYPE_CHECKING:  # Typer's own copy of Click (typer >= 0.29); older ones use click's
    from typer._click.core import Command, Context
    from typer._click.formatting import HelpFormatter


@dataclass(frozen=True)
class CommandEntry:
    """Where a top-level command lives, and its line in ``pixelproof --help``.

    ``summary`` repeats the first line of the command's own help so that the root help
    needs no import; ``tests/cli/test_lazy_cli.py`` checks that the two agree.
    """

    module: str
    attribute: str
    summary: str


COMMANDS: dict[str, CommandEntry] = {
    "scan": CommandEntry(
        "scan", "scan", "Run every installed analyzer on each image and report the evidence."
    ),
    "forensics": CommandEntry(
        "forensics",
        "forensics",
        "Localize edits: run the forensic analyses on each image and fuse them.",
    ),
    "detect": CommandEntry(
        "detect",
        "detect",
        "Detect AI-generated images: calibrated score from pixels, marks and metadata.",
    ),
    "meta": CommandEntry(
        "meta",
        "meta",
        "Read what each file says about its origin: EXIF, XMP, IPTC, generators, C2PA.",
    ),
    "match": CommandEntry(
        "match",
        "match",
        "Find the indexed images each input is an edited copy of, best match first.",
    ),
    "dedup": CommandEntry(
        "match",
        "dedup",
        "Group exact duplicates, near-duplicates and edited copies (one row per image).",
    ),
    "schema": CommandEntry(
        "schema", "schema", "Print the JSON Schema (draft 2020-12) of a command's JSON rows."
    ),
    "serve": CommandEntry(
        "serve", "serve", "Run the HTTP service and its web page (needs the 'service' extra)."
    ),
    "bench": CommandEntry(
        "bench",
        "app",
        "Measure pixelproof and baseline systems under a suite of transformations.",
    ),
    "train": CommandEntry("train", "app", "Train pixelproof's detectors on your own data."),
    "credentials": CommandEntry(
        "credentials",
        "credentials_app",
        "Sign, verify and recover C2PA Content Credentials (needs the 'c2pa' extra).",
    ),
    "index": CommandEntry(
        "match", "index_app", "Build and maintain a provenance index of reference images."
    ),
    "watermark": CommandEntry(
        "watermark",
        "app",
        "Add pixelproof's invisible watermark (a 32-bit message, keyed) or read it back.",
    ),
    "keys": CommandEntry(
        "serve",
        "keys_app",
        "API keys of the HTTP service (stored hashed; a key is shown once, when created).",
    ),
}


def load_command(name: str) -> Command:
    """Import one top-level command's module and build its Click command."""
    entry = COMMANDS[name]
    module = importlib.import_module(f"{__name__}.{entry.module}")
    target: Any = getattr(module, entry.attribute)
    if isinstance(target, typer.Typer):
        command: Command = typer.main.get_group(target)
    else:
        single = typer.Typer(rich_markup_mode="rich", add_completion=False)
        single.command(name)(target)
        command = typer.main.get_command(single)
    command.name = name
    return command


class LazyCommands(TyperGroup):
    """The root group: lists :data:`COMMANDS` and imports one only when it is used."""

    _listing = False

    def list_commands(self, ctx: Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: Context, cmd_name: str) -> Command | None:
        entry = COMMANDS.get(cmd_name)
        if entry is None:
            return None
        if self._listing:  # the root help needs a name and a line, not the command
            return TyperCommand(cmd_name, help=entry.summary, short_help=entry.summary)
        return load_command(cmd_name)

    def format_help(self, ctx: Context, formatter: HelpFormatter) -> None:
        self._listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False


app = typer.Typer(
    name="pixelproof",
    cls=LazyCommands,
    help="Where an image came from and whether it can be trusted, offline.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)


def _version(value: bool) -> None:
    if value:
        from .. import __version__

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
