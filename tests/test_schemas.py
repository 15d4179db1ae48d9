"""The JSON Schemas of the commands' rows: shipped up to date, and enforced.

``tests/conftest.py`` validates every row the test suite produces in its own process
against the schema of the row's command; the tests here check that the shipped files
are what the types generate, and that the validation really runs and rejects.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from pixelproof.evidence import Evidence
from pixelproof.runner import ErrorType, Row
from pixelproof.schemas import COMMANDS, command_of, load_schema, schema_file_name
from pixelproof.tasks.scan import ScanFindings
from pixelproof.tasks.watermark import MarkReading

from .conftest import RowSchemaChecker

SCHEMAS = Path(__file__).resolve().parents[1] / "src" / "pixelproof" / "schemas"


def _scan_row() -> Row[ScanFindings]:
    evidence = Evidence("ela", "forensics", "inconclusive", "nothing stands out", score=0.1)
    return Row(path="a.jpg", sha256="0" * 64, result=ScanFindings(evidence=(evidence,)))


@pytest.mark.parametrize("command", COMMANDS)
def test_shipped_schema_is_what_the_types_generate(command: str) -> None:
    pytest.importorskip("pydantic")
    from pixelproof.schemas._generate import generate, render

    shipped = (SCHEMAS / schema_file_name(command)).read_text(encoding="utf-8")
    assert shipped == render(generate(command)), "run: python -m pixelproof.schemas"


def test_every_shipped_file_is_a_command_schema() -> None:
    assert sorted(p.name for p in SCHEMAS.glob("*.json")) == sorted(
        schema_file_name(c) for c in COMMANDS
    )


@pytest.mark.parametrize("command", COMMANDS)
def test_schemas_are_valid_draft_2020_12(command: str) -> None:
    schema = load_schema(command)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(schema)


def test_error_rows_are_in_every_schema_that_has_inputs() -> None:
    failed = Row.failed("missing.jpg", ErrorType.NOT_FOUND, "no such file").to_dict()
    for command in COMMANDS:
        accepted = Draft202012Validator(load_schema(command)).is_valid(failed)
        assert accepted == (command not in ("index stats", "index export")), command
    failed["error_type"] = "no_such_type"
    assert not Draft202012Validator(load_schema("scan")).is_valid(failed)


def test_a_row_validates_against_its_command_only() -> None:
    row = json.loads(json.dumps(_scan_row().to_dict()))
    assert command_of(_scan_row().result) == "scan"
    assert Draft202012Validator(load_schema("scan")).is_valid(row)
    assert not Draft202012Validator(load_schema("forensics")).is_valid(row)


def test_rows_are_closed_objects() -> None:
    validator = Draft202012Validator(load_schema("scan"))
    row = json.loads(json.dumps(_scan_row().to_dict()))
    assert validator.is_valid(row)
    row["surprise"] = 1
    assert not validator.is_valid(row)
    del row["surprise"]
    row["evidence"][0]["extra"] = True
    assert not validator.is_valid(row)
    del row["evidence"][0]["extra"]
    del row["warnings"]
    assert not validator.is_valid(row)


def test_the_session_hook_validates_rows(
    row_schema_checker: RowSchemaChecker, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert getattr(Row.to_dict, "schema_checked", False), "Row.to_dict is not wrapped"
    before = dict(row_schema_checker.checked)
    _scan_row().to_dict()
    assert row_schema_checker.checked["scan"] == before.get("scan", 0) + 1

    # A result whose JSON form drifted from its type is caught...
    reading = MarkReading(True, "hi", 1e-9, "pixelproof", (0.9, 0.8))
    drifted = reading.to_dict()
    monkeypatch.setattr(MarkReading, "to_dict", lambda self: {**drifted, "p_value": "low"})
    failures = len(row_schema_checker.failures)
    Row(path="b.png", sha256="1" * 64, result=reading).to_dict()
    caught = row_schema_checker.failures[failures:]
    # ...and would fail this test at teardown: take it back, the rejection was the point.
    del row_schema_checker.failures[failures:]
    assert caught and "watermark detect row at /p_value" in caught[0]


def test_the_checker_rejects_rows_that_are_not_json(row_schema_checker: RowSchemaChecker) -> None:
    checker = RowSchemaChecker()
    assert checker.check("index export", {"schema_version": "1.0"})
    assert checker.check("index stats", {"x": float("nan")})[0].startswith(
        "index stats row is not JSON"
    )
    assert checker.failures


def test_schema_command_prints_a_shipped_schema() -> None:
    from typer.testing import CliRunner

    from pixelproof.cli import app

    result = CliRunner().invoke(app, ["schema", "index", "add"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == load_schema("index add")
    assert json.loads(CliRunner().invoke(app, ["schema", "watermark-detect"]).output) == (
        load_schema("watermark detect")
    )
    assert CliRunner().invoke(app, ["schema", "bench"]).exit_code == 2
