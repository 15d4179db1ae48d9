"""The root command line imports a command's module only when that command is used."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from typer.core import TyperGroup

from pixelproof.cli import COMMANDS, load_command


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_the_root_help_line_is_the_command_s_own(name: str) -> None:
    command = load_command(name)
    own = " ".join((command.help or "").split("\n\n")[0].split())
    assert COMMANDS[name].summary == own
    assert command.name == name


def test_the_root_help_imports_no_capability() -> None:
    probe = (
        "import json, sys\n"
        "from typer.testing import CliRunner\n"
        "from pixelproof.cli import app\n"
        "result = CliRunner().invoke(app, ['--help'], env={'COLUMNS': '200'})\n"
        "print(json.dumps({'code': result.exit_code, 'output': result.output,\n"
        "                  'modules': sorted(sys.modules)}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    found = json.loads(done.stdout)
    assert found["code"] == 0
    for name, entry in COMMANDS.items():
        assert f"{name} " in found["output"] and entry.summary in found["output"]
    heavy = [m for m in found["modules"] if m == "numpy" or m.startswith("pixelproof.")]
    assert heavy == ["pixelproof.cli"]


def test_an_unknown_command_is_a_usage_error() -> None:
    from typer.testing import CliRunner

    from pixelproof.cli import app

    result = CliRunner().invoke(app, ["nosuch"])
    assert result.exit_code == 2
    assert "No such command 'nosuch'" in result.output
    assert isinstance(load_command("index"), TyperGroup)
