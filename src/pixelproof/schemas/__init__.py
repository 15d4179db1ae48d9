"""JSON Schemas of every command's JSON rows, generated from the row types.

Each command's rows have a type (a ``TypedDict``: the runner's envelope,
:class:`~pixelproof.runner.JsonRowHead`, plus the fields of the command's result, or
:class:`~pixelproof.runner.ErrorJsonRow` for an input that failed). The HTTP service
uses the same types as response models (:func:`row_type`), and
``src/pixelproof/schemas/<command>.schema.json`` (JSON Schema draft 2020-12, shipped
with the package) are generated from them::

    python -m pixelproof.schemas              # regenerate the shipped files
    python -m pixelproof.schemas --check      # exit 1 when they are out of date

Generating needs pydantic (the ``dev`` extra); reading the shipped files does not:

>>> from pixelproof.schemas import load_schema
>>> load_schema("watermark detect")["title"]
'pixelproof watermark detect row'
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"

COMMANDS: tuple[str, ...] = (
    "scan",
    "forensics",
    "detect",
    "meta",
    "credentials verify",
    "credentials recover",
    "watermark embed",
    "watermark detect",
    "index add",
    "index remove",
    "index stats",
    "index export",
    "match",
    "dedup",
)
"""Every command with JSON rows, as typed after ``pixelproof``."""


def schema_file_name(command: str) -> str:
    """``"watermark detect"`` -> ``"watermark-detect.schema.json"``."""
    if command not in COMMANDS:
        raise ValueError(f"no JSON rows for {command!r}; commands: {', '.join(COMMANDS)}")
    return command.replace(" ", "-") + ".schema.json"


@cache
def _schema_text(command: str) -> str:
    return resources.files(__name__).joinpath(schema_file_name(command)).read_text("utf-8")


def load_schema(command: str) -> dict[str, Any]:
    """The shipped JSON Schema of ``command``'s rows (a fresh copy)."""
    schema: dict[str, Any] = json.loads(_schema_text(command))
    return schema


def row_variants(command: str) -> tuple[Any, ...]:
    """The types a row of ``command`` can have, the error row last (where one exists)."""
    from ..runner import ErrorJsonRow
    from ..tasks.credentials import RecoverJsonRow
    from ..tasks.detect import SyntheticJsonRow
    from ..tasks.forensics import ForensicsJsonRow
    from ..tasks.match import (
        DedupJsonRow,
        FailedResultJsonRow,
        IndexAddJsonRow,
        IndexRecordJsonRow,
        IndexRemovedJsonRow,
        IndexStatsJsonRow,
        MatchJsonRow,
    )
    from ..tasks.meta import CredentialsJsonRow, MetaJsonRow
    from ..tasks.scan import ScanJsonRow
    from ..tasks.watermark import DetectJsonRow, EmbedJsonRow

    variants: dict[str, tuple[Any, ...]] = {
        "scan": (ScanJsonRow, ErrorJsonRow),
        "forensics": (ForensicsJsonRow, ErrorJsonRow),
        "detect": (SyntheticJsonRow, ErrorJsonRow),
        "meta": (MetaJsonRow, ErrorJsonRow),
        "credentials verify": (CredentialsJsonRow, ErrorJsonRow),
        "credentials recover": (RecoverJsonRow, ErrorJsonRow),
        "watermark embed": (EmbedJsonRow, ErrorJsonRow),
        "watermark detect": (DetectJsonRow, ErrorJsonRow),
        "index add": (IndexAddJsonRow, FailedResultJsonRow, ErrorJsonRow),
        "index remove": (IndexRemovedJsonRow, ErrorJsonRow),
        "index stats": (IndexStatsJsonRow,),
        "index export": (IndexRecordJsonRow,),
        "match": (MatchJsonRow, FailedResultJsonRow, ErrorJsonRow),
        "dedup": (DedupJsonRow, FailedResultJsonRow, ErrorJsonRow),
    }
    schema_file_name(command)
    return variants[command]


def row_type(command: str) -> Any:
    """The type of ``command``'s rows: the union of :func:`row_variants` (for use as
    a response model)."""
    variants = row_variants(command)
    union = variants[0]
    for variant in variants[1:]:
        union = union | variant
    return union


def command_of(result: object) -> str | None:
    """The command whose rows carry ``result`` (a :class:`~pixelproof.runner.Row`'s
    ``result``), or None for results no command prints (the matching features)."""
    from ..credentials import Recovery
    from ..match import AddResult, DedupRow, QueryResult
    from ..metadata import MetadataReport
    from ..tasks.detect import SyntheticFindings
    from ..tasks.forensics import ForensicsFindings
    from ..tasks.meta import CredentialsCheck
    from ..tasks.scan import ScanFindings
    from ..tasks.watermark import MarkedImage, MarkReading

    commands: dict[type, str] = {
        ScanFindings: "scan",
        ForensicsFindings: "forensics",
        SyntheticFindings: "detect",
        MetadataReport: "meta",
        CredentialsCheck: "credentials verify",
        Recovery: "credentials recover",
        MarkedImage: "watermark embed",
        MarkReading: "watermark detect",
        AddResult: "index add",
        QueryResult: "match",
        DedupRow: "dedup",
    }
    return commands.get(type(result))


__all__ = [
    "COMMANDS",
    "SCHEMA_DIALECT",
    "command_of",
    "load_schema",
    "row_type",
    "row_variants",
    "schema_file_name",
]
