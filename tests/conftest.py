"""Shared fixtures.

Tests generate their own images with numpy and Pillow. The few that read real files
from ``../shared/data`` (next to the repository, never copied into it) ask for the
``shared_data`` fixture, which skips them cleanly when the folder is absent.
"""

from __future__ import annotations

import importlib
import json
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"


def shared_path(*parts: str) -> Path:
    """A path inside ``../shared/data``; skips the calling test when it is absent."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"shared data not available: {path}")
    return path


@pytest.fixture
def shared_data() -> Callable[..., Path]:
    """Resolve paths inside ``../shared/data``; skips when the folder is absent.

    ``shared_data("photos", "kodak24")`` gives that folder, or skips the test.
    """
    shared_path()
    return shared_path


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Tests that use the fixture carry the marker, so `-m "not shared_data"` works.
    for item in items:
        if "shared_data" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.shared_data)


# -- every JSON row a test produces must match its command's shipped JSON Schema ---------


class RowSchemaChecker:
    """Validates rows against the shipped schemas; remembers what failed and counts."""

    def __init__(self) -> None:
        from jsonschema import Draft202012Validator

        from pixelproof.schemas import COMMANDS, load_schema

        self.validators = {c: Draft202012Validator(load_schema(c)) for c in COMMANDS}
        error_schema = load_schema("scan")
        error_schema.pop("anyOf")
        error_schema["$ref"] = "#/$defs/ErrorJsonRow"
        self.validators["error"] = Draft202012Validator(error_schema)
        self.checked: dict[str, int] = {}
        self.unchecked: dict[str, int] = {}
        self.failures: list[str] = []

    def check(self, command: str, row: Any) -> list[str]:
        """Validate ``row`` (as printed: a JSON round trip) against ``command``'s schema;
        return the problems found (also remembered in ``failures``)."""
        self.checked[command] = self.checked.get(command, 0) + 1
        try:
            printed = json.loads(json.dumps(row, ensure_ascii=False, allow_nan=False))
        except (TypeError, ValueError) as exc:
            problems = [f"{command} row is not JSON ({exc}): {row!r:.300}"]
        else:
            problems = [
                f"{command} row at /{'/'.join(map(str, e.absolute_path))}: {e.message:.300}"
                for error in self.validators[command].iter_errors(printed)
                for e in _closest(error)
            ]
            if problems:
                problems.append(f"  the row: {json.dumps(printed)[:600]}")
        self.failures.extend(problems)
        return problems

    def check_row(self, row: Any, produced: dict[str, Any]) -> None:
        """A :class:`pixelproof.runner.Row` and what its ``to_dict`` returned."""
        from pixelproof.schemas import command_of

        if row.error is not None or row.result is None:
            self.check("error", produced)
            return
        command = command_of(row.result)
        if command is None:
            name = type(row.result).__name__
            self.unchecked[name] = self.unchecked.get(name, 0) + 1
            return
        self.check(command, produced)


def _closest(error: Any) -> list[Any]:
    """The errors of the ``anyOf`` variant (a row type) that the row comes closest to."""
    if not error.context:
        return [error]
    variants: dict[Any, list[Any]] = {}
    for sub in error.context:
        variants.setdefault(sub.relative_schema_path[0], []).append(sub)
    return [leaf for sub in min(variants.values(), key=len) for leaf in _closest(sub)]


# The commands that print rows without a Row, by the name of the function printing them.
_PRINTED_BY = {
    "index_remove": "index remove",
    "index_stats": "index stats",
    "index_export": "index export",
}
_CHECKERS: list[RowSchemaChecker] = []


@pytest.fixture(scope="session", autouse=True)
def row_schema_checker() -> Iterator[RowSchemaChecker]:
    """Wrap ``Row.to_dict`` (and the rows ``index remove/stats/export`` print directly)
    for the whole session, so that every row produced in this process is validated."""
    from pixelproof.runner import Row

    # ``pixelproof.cli.match`` is also the name of the ``match`` command's function.
    cli_match = importlib.import_module("pixelproof.cli.match")

    checker = RowSchemaChecker()
    to_dict, print_json = Row.to_dict, cli_match.print_json

    def checked_to_dict(self: Any) -> dict[str, Any]:
        produced = to_dict(self)
        checker.check_row(self, produced)
        return produced

    def checked_print_json(row: dict[str, Any]) -> None:
        command = _PRINTED_BY.get(sys._getframe(1).f_code.co_name)
        if command is None:
            checker.unchecked["print_json"] = checker.unchecked.get("print_json", 0) + 1
        else:
            checker.check(command, row)
        print_json(row)

    checked_to_dict.schema_checked = True  # type: ignore[attr-defined]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Row, "to_dict", checked_to_dict)
        patch.setattr(cli_match, "print_json", checked_print_json)
        _CHECKERS.append(checker)
        yield checker


@pytest.fixture(autouse=True)
def _rows_of_this_test_match_their_schemas(
    row_schema_checker: RowSchemaChecker,
) -> Iterator[None]:
    """Fail the test (at teardown) that produced a row its command's schema rejects."""
    before = len(row_schema_checker.failures)
    yield
    failures = row_schema_checker.failures[before:]
    if failures:
        pytest.fail(
            "JSON rows that do not match their command's schema (src/pixelproof/schemas):\n"
            + "\n".join(failures),
            pytrace=False,
        )


def pytest_terminal_summary(terminalreporter: Any) -> None:
    for checker in _CHECKERS:
        counts = ", ".join(f"{k}: {v}" for k, v in sorted(checker.checked.items()))
        terminalreporter.write_line(
            f"JSON rows validated against their schemas: {sum(checker.checked.values())}"
            f" ({counts or 'none'})"
        )
        if checker.unchecked:
            skipped = ", ".join(f"{k}: {v}" for k, v in sorted(checker.unchecked.items()))
            terminalreporter.write_line(f"rows of no command (not validated): {skipped}")
        if checker.failures:
            terminalreporter.write_line(
                f"{len(checker.failures)} schema problems (see the failed tests)", red=True
            )
