"""Generate the JSON Schemas of the commands' rows from their types (needs pydantic).

``python -m pixelproof.schemas [--out FOLDER] [--check]``: writes (or, with
``--check``, compares) one ``<command>.schema.json`` per command; ``FOLDER`` is this
package's folder by default (``src/pixelproof/schemas`` in a checkout).

The row types are ``TypedDict``: an object whose keys are all declared is closed
(``"additionalProperties": false``), so that a key added to a row without its type
fails the schema tests. :data:`OPEN_OBJECTS` lists the few whose further keys are
documented as free-form.
"""

from __future__ import annotations

import argparse
import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from . import COMMANDS, SCHEMA_DIALECT, row_type, row_variants, schema_file_name

OPEN_OBJECTS: frozenset[str] = frozenset({"FindingDict"})
"""Types whose objects carry further keys: a metadata finding's details."""

_ROLE = re.compile(r":[a-z]+:`~?([^`]+)`")


def generate(command: str) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of ``command``'s rows."""
    from pydantic import TypeAdapter
    from pydantic.json_schema import GenerateJsonSchema

    class _Generator(GenerateJsonSchema):
        def field_title_should_be_set(self, schema: Any) -> bool:
            return False

    body = TypeAdapter(row_type(command)).json_schema(schema_generator=_Generator)
    variants = ", ".join(v.__name__ for v in row_variants(command))
    schema: dict[str, Any] = {
        "$schema": SCHEMA_DIALECT,
        "title": f"pixelproof {command} row",
        "description": (
            f"One JSON line of `pixelproof {command} --json`"
            if command != "index export"
            else f"One JSON line of `pixelproof {command}`"
        )
        + f" (schema_version 1.0); generated from the types {variants}.",
    }
    schema.update((k, v) for k, v in body.items() if k not in ("title", "description"))
    _tidy(schema)
    return schema


def _tidy(node: Any) -> None:
    """Close the objects, and make descriptions plain text."""
    if isinstance(node, list):
        for item in node:
            _tidy(item)
        return
    if not isinstance(node, dict):
        return
    if "properties" in node and "additionalProperties" not in node:
        node["additionalProperties"] = node.get("title") in OPEN_OBJECTS
    if isinstance(node.get("description"), str):
        node["description"] = _plain(node["description"])
    for value in node.values():
        _tidy(value)


def _plain(text: str) -> str:
    """Docstrings as one-paragraph-per-line text: roles and reST literals unwrapped."""
    text = _ROLE.sub(lambda m: m.group(1).rsplit(".", 1)[-1], text)
    text = text.replace("``", "`")
    paragraphs = [" ".join(p.split()) for p in text.strip().split("\n\n")]
    return "\n\n".join(p for p in paragraphs if p)


def render(schema: dict[str, Any]) -> str:
    """The text of a schema file."""
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m pixelproof.schemas",
        description="Write the JSON Schema of every command's rows, generated from the types.",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=Path(__file__).resolve().parent,
        help="folder for the <command>.schema.json files (default: this package's folder)",
    )
    parser.add_argument(
        "--check", action="store_true", help="write nothing; exit 1 when a file differs"
    )
    args = parser.parse_args(argv)
    stale = []
    for command in COMMANDS:
        target = args.out / schema_file_name(command)
        text = render(generate(command))
        current = target.read_text(encoding="utf-8") if target.exists() else None
        if current == text:
            continue
        stale.append(str(target))
        if not args.check:
            args.out.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
    verb = "out of date" if args.check else "written"
    for path in stale:
        print(f"{verb}: {path}")
    return 1 if args.check and stale else 0
