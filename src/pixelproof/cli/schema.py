"""``pixelproof schema COMMAND``: the JSON Schema of a command's JSON rows."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from ._common import usage_error


def schema(
    command: Annotated[
        list[str],
        typer.Argument(
            help="A command with JSON rows, e.g. scan, meta or index add.",
            show_default=False,
            metavar="COMMAND",
        ),
    ],
) -> None:
    """Print the JSON Schema (draft 2020-12) of a command's JSON rows."""
    from ..schemas import COMMANDS, load_schema

    name = " ".join(word for part in command for word in part.replace("-", " ").split())
    if name not in COMMANDS:
        raise usage_error(f"no JSON rows for {name!r}; commands: {', '.join(COMMANDS)}")
    typer.echo(json.dumps(load_schema(name), indent=2, ensure_ascii=False))
