"""The README against the code and against itself: vocabularies, options, scripts and
the claims drawn from its own tables."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from pixelproof.cli import app
from pixelproof.runner import ErrorType

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_every_error_type_is_documented() -> None:
    table = README[README.index("| `error_type` | meaning |") :]
    table = table[: table.index("\n\n")]
    for error in ErrorType:
        assert f"`{error.value}`" in table, error


def test_every_error_type_of_the_service_is_documented() -> None:
    source = "\n".join(
        p.read_text(encoding="utf-8") for p in (ROOT / "src/pixelproof/service").glob("*.py")
    )
    patterns = (
        r"(?:ApiError|UploadError)\(\s*\d+,\s*\"(\w+)\"",
        r"_refusal\(request, \d+, \"(\w+)\"",
        r"_error_body\(request_id, \"(\w+)\"",
        r"\{404: \"(\w+)\", 405: \"(\w+)\"\}\.get\(exc\.status_code, \"(\w+)\"\)",
    )
    found = {name for p in patterns for m in re.findall(p, source) for name in _flat(m)}
    assert {"unauthorized", "invalid_upload", "busy", "internal_error", "http"} <= found
    table = README[README.index("| `error_type` | status | meaning |") :]
    table = table[: table.index("\n\n")]
    for name in found:
        assert f"`{name}`" in table, name


def _flat(match: str | tuple[str, ...]) -> tuple[str, ...]:
    return (match,) if isinstance(match, str) else match


@pytest.mark.parametrize(
    "command",
    [
        "scan",
        "detect",
        "meta",
        "credentials verify",
        "credentials recover",
        "forensics",
        "watermark embed",
        "watermark detect",
        "index add",
        "match",
        "dedup",
    ],
)
def test_commands_that_read_images_have_the_shared_options(command: str) -> None:
    # The README's "Every command that reads images ... follows the same conventions".
    assert f"`{command}`" in README[: README.index("follows the same\nconventions")]
    result = CliRunner().invoke(app, [*command.split(), "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    for option in ("--json", "--workers", "--config", "--time-limit", "--max-pixels"):
        assert option in result.output, (command, option)


def test_every_script_the_readme_names_exists() -> None:
    scripts = set(re.findall(r"benchmarks/(\w+\.py)", README))
    assert {"bomb_memory.py", "index_speed.py", "match_threshold.py"} <= scripts
    for script in scripts:
        assert (ROOT / "benchmarks" / script).is_file(), script


def _table(header: str) -> list[list[str]]:
    start = README.index(header)
    lines = README[start:].split("\n\n")[0].splitlines()
    return [[cell.strip() for cell in line.strip("|").split("|")] for line in lines[2:]]


def _pairs(cell: str) -> tuple[float, float]:
    bits, detection = cell.split(" / ")
    return float(bits), float(detection)


def test_the_watermark_claims_hold_in_the_66_photo_table() -> None:
    rows = _table("| attack | pixelproof 512 px | pixelproof 1024 px |")
    attacks = [row for row in rows if " / " in row[1]]
    assert len(attacks) == 26  # the watermark suite
    for row in attacks:
        for cell in row[1:3]:  # "every attack ... >= 0.98 bit accuracy / 0.97 detection"
            bits, detection = _pairs(cell)
            assert bits >= 0.98 and detection >= 0.97, row
        # "at or above RivaGAN's bit accuracy under every attack at 512 px"
        assert _pairs(row[1])[0] >= _pairs(row[5])[0], row
    psnr = next(row for row in rows if row[0] == "PSNR (dB)")
    assert float(psnr[1]) > float(psnr[5])  # "at a higher PSNR"
    claim = "every attack of the suite at >= 0.98 bit accuracy / 0.97 detection at 512 and 1024 px"
    assert claim in README


def test_the_suite_sizes_quoted_are_the_shipped_ones() -> None:
    from pixelproof.bench import load_suite

    for name in ("default", "watermark", "match"):
        count = len(load_suite(name))
        assert re.search(rf"`{name}` \({count}\b", README), (name, count)


# Tables that define names and formats, not measurements.
REFERENCE_TABLES = (
    "| `alg` | `value` | `name` |",
    "| `error_type` |",
    "| field |",
)
CAPABILITY_TABLE = "| capability | sub-package | status |"
# A command that prints a figure: a benchmark script, a module run with -m, or a bench run.
COMMAND = re.compile(
    r"`[^`]*(?:python [^`]*(?:benchmarks/\w+\.py|-m [\w.]+)|pixelproof bench \w+"
    r"|benchmarks/\w+\.py)[^`]*`"
)


def _tables() -> list[tuple[str, str, str]]:
    """(first line, the text since the section's heading, the table) of every table."""
    lines = README.splitlines()
    found, heading, i = [], 0, 0
    while i < len(lines):
        if lines[i].startswith("#"):
            heading = i
        if lines[i].startswith("|") and re.fullmatch(r"\|[\s\-:|]+\|", lines[i + 1].strip()):
            end = i
            while end < len(lines) and lines[end].startswith("|"):
                end += 1
            found.append((lines[i], "\n".join(lines[heading:i]), "\n".join(lines[i:end])))
            i = end
        else:
            i += 1
    return found


def test_every_table_of_figures_names_the_command_that_prints_them() -> None:
    tables = _tables()
    assert len(tables) > 15
    measured = [t for t in tables if not t[0].startswith((*REFERENCE_TABLES, CAPABILITY_TABLE))]
    assert len(measured) >= 14
    for first, before, table in measured:
        assert COMMAND.search(before + "\n" + table), f"no command beside the table {first!r}"


def test_the_capability_table_quotes_figures_shown_below() -> None:
    # The overview only summarises: each of its figures is measured (with its command)
    # in a section below, so a re-measured section cannot leave a stale overview.
    start = README.index(CAPABILITY_TABLE)
    end = README.index("\n\n", start)
    overview, rest = README[start:end], README[:start] + README[end:]
    figures = set(re.findall(r"\d+\.\d+%?|\d{1,3}(?:,\d{3})+|\d+ / \d+|\d+(?:\.\d+)?%", overview))
    assert {"0.992", "0.995", "348 / 348", "2,030"} <= figures
    for figure in figures:
        assert figure in rest, figure


def test_every_file_of_the_package_the_readme_names_exists() -> None:
    # A renamed or retired file (a constant file under _data, a module) leaves no stale
    # name behind: every `path` under one of the package's folders must be there.
    package = ROOT / "src" / "pixelproof"
    paths = re.findall(r"`(?:src/)?(?:pixelproof/)?(\w+/[\w/]*\.\w+)`", README)
    named = {p for p in paths if (package / p.split("/")[0]).is_dir()}
    assert {"match/_data/effnet_lite0_v2.npz", "training/match_photos.tsv"} <= named
    for name in named:
        assert (package / name).is_file(), name


def test_the_fingerprint_descriptor_quoted_is_the_default_one() -> None:
    from pixelproof.match import create_descriptor

    spec = create_descriptor("effnet").spec
    assert f"`pixelproof fingerprint, descriptor {spec}`" in README


# The documents that show commands: the README and the pages it links.
DOCUMENTS = ("README.md", "src/pixelproof/match/README.md", "docs/checkpoints.md")
# A command's name as written: `pixelproof index add`, `pixelproof bench watermark|match`.
PIXELPROOF_COMMAND = re.compile(
    r"(?<![\w./\[-])pixelproof ([a-z]+(?:\|[a-z]+)*(?: [a-z]+(?:\|[a-z]+)*)?)"
)
SCRIPT = re.compile(r"benchmarks/(\w+)\.py")
TRAINING = re.compile(r"-m pixelproof\.training ([a-z-]+)")
LONG_OPTION = re.compile(r"(?<![\w-])--[a-z][\w-]*")


def _written_commands(text: str) -> list[str]:
    """Each line of a fenced block (continuations joined, comments dropped) and each
    inline code span, as one line."""
    lines = []
    for block in re.findall(r"```[^\n]*\n(.*?)```", text, re.S):
        for line in block.replace("\\\n", " ").splitlines():
            lines.append(re.sub(r"\s#.*$", "", line))
    prose = re.sub(r"```.*?```", "", text, flags=re.S)
    lines += [span.replace("\n", " ") for span in re.findall(r"`([^`]+)`", prose)]
    return lines


def _cli_params() -> dict[str, dict[str, Any]]:
    """Every pixelproof command (`index add`, `scan`, ...): its long options' parameters."""
    from pixelproof.cli import COMMANDS, load_command

    found: dict[str, dict[str, Any]] = {}

    def walk(command: Any, name: str) -> None:  # Typer's own copy of Click's classes
        if hasattr(command, "commands"):
            for sub_name, sub in command.commands.items():
                walk(sub, f"{name} {sub_name}")
            return
        found[name] = {
            option: param
            for param in command.params
            for option in (*param.opts, *param.secondary_opts)
            if option.startswith("--")
        }

    for name in COMMANDS:
        walk(load_command(name), name)
    return found


def _cli_options() -> dict[str, set[str]]:
    return {name: {"--help", *params} for name, params in _cli_params().items()}


def _script_options(script: str) -> set[str]:
    source = (ROOT / "benchmarks" / f"{script}.py").read_text(encoding="utf-8")
    calls = re.findall(r"add_argument\(\s*((?:\"-[\w-]+\",\s*)*\"-[\w-]+\")", source)
    return {"--help", *(o for call in calls for o in re.findall(r"--[\w-]+", call))}


def _script_required(script: str) -> set[str]:
    source = (ROOT / "benchmarks" / f"{script}.py").read_text(encoding="utf-8")
    calls = re.findall(r"add_argument\(\s*\"(--[\w-]+)\"[^)]*required=True", source)
    return set(calls)


def _training_options() -> dict[str, set[str]]:
    import argparse

    from pixelproof.training.__main__ import build_parser

    actions = build_parser()._actions
    commands = next(a for a in actions if isinstance(a, argparse._SubParsersAction))
    return {
        name: {"--help", *(o for a in sub._actions for o in a.option_strings if o[:2] == "--")}
        for name, sub in commands.choices.items()
    }


def test_every_option_a_command_is_shown_with_exists() -> None:
    # A renamed or removed option (of the command line, a benchmark script or a training
    # recipe) must not survive in a command the documents tell the reader to run.
    cli, training = _cli_options(), _training_options()
    checked = 0
    for document in DOCUMENTS:
        for line in _written_commands((ROOT / document).read_text(encoding="utf-8")):
            starts = [
                (m.start(), m.end(), kind, m.group(1))
                for kind, pattern in (
                    ("cli", PIXELPROOF_COMMAND),
                    ("script", SCRIPT),
                    ("training", TRAINING),
                )
                for m in pattern.finditer(line)
            ]
            starts.sort()
            for i, (_, end, kind, name) in enumerate(starts):
                segment = line[end : starts[i + 1][0] if i + 1 < len(starts) else len(line)]
                options = set(LONG_OPTION.findall(segment))
                if kind == "script":
                    known = [_script_options(name)]
                    # a script shown with options is shown as it runs: with every
                    # required one (a bare mention in prose names the script only)
                    missing = _script_required(name) - options if options else set()
                    assert not missing, (document, line, sorted(missing))
                elif kind == "training":
                    known = [training[name]]
                else:
                    words = name.split(" ")
                    if words[0] not in {n.split(" ")[0] for n in cli}:
                        continue  # prose such as "pixelproof fingerprint"
                    alternatives = [
                        " ".join(p for p in (first, second) if p)
                        for first in words[0].split("|")
                        for second in (words[1].split("|") if len(words) > 1 else [""])
                    ]
                    # "pixelproof index add" names a command, "pixelproof scan photos/" a
                    # command and an input, "pixelproof watermark" a group (no options)
                    known = [
                        cli.get(a) or cli.get(a.split(" ")[0], {"--help"}) for a in alternatives
                    ]
                for allowed in known:
                    assert options <= allowed, (document, line, sorted(options - allowed))
                checked += 1
    assert checked > 60


def test_the_schemas_listed_are_the_shipped_ones() -> None:
    start = README.index("`pixelproof/schemas/<command>.schema.json` (")
    listed = set(re.findall(r"`([\w-]+)`", README[start : README.index(")", start)]))
    shipped = (ROOT / "src" / "pixelproof" / "schemas").glob("*.schema.json")
    assert listed == {p.name.removesuffix(".schema.json") for p in shipped}


def test_every_json_row_shown_has_the_envelope() -> None:
    # "`--json` prints JSON Lines ... always with "schema_version" and "path"".
    rows = [line for line in README.splitlines() if line.startswith('{"')]
    assert len(rows) >= 6
    for row in rows:
        assert row.startswith('{"schema_version": "1.0", "path": '), row


def test_every_extra_named_exists() -> None:
    import tomllib

    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    extras = set(pyproject["project"]["optional-dependencies"])
    text = " ".join(" ".join((ROOT / d).read_text(encoding="utf-8").split()) for d in DOCUMENTS)
    named = set(re.findall(r"`(\w+)` extra\b", text))
    named |= {n for group in re.findall(r"\[([\w,]+)\]'", text) for n in group.split(",")}
    quick = text[text.index("or pick extras:") : text.index("Nothing is downloaded at run time")]
    named |= set(re.findall(r"`(\w+)`(?!')", quick))  # not "`detect`'s"
    assert {"demo", "synthetic", "credentials", "service", "checkpoints"} <= named
    assert named <= extras, sorted(named - extras)


def test_the_defaults_quoted_are_the_commands_own() -> None:
    params = _cli_params()
    text = " ".join(README.split())
    # "`--max-pixels N` (default 100 000 000)": the shared image-reading options
    quoted = re.findall(r"`(--[\w-]+)[^`]*` \(default (\d[\d ]*\d|\d)\b", text)
    assert len(quoted) >= 4
    for option, value in quoted:
        assert float(params["scan"][option].default) == float(value.replace(" ", "")), option
    # "`pixelproof serve [--host 127.0.0.1] [--port 8000] ...`" (`[--db index.db]` is an example)
    start = text.index("`pixelproof serve [")
    serve = text[start : text.index("`", start + 1)]
    shown = re.findall(r"\[(--[\w-]+) (\d[\d.]*)", serve) + re.findall(r" (--burst) (\d+)\]", serve)
    assert len(shown) == 9
    for option, value in shown:
        default = params["serve"][option].default
        assert str(default) == value or float(default) == float(value), option


def test_every_python_name_the_documents_give_exists() -> None:
    # `pixelproof.runner.process_one`, `pixelproof.schemas.row_type(command)`: a renamed or
    # removed module, function or constant leaves no stale name (entry-point groups aside).
    import importlib

    text = " ".join((ROOT / d).read_text(encoding="utf-8") for d in DOCUMENTS)
    groups = set(re.findall(r"`(pixelproof\.\w+)` entry[- ]point", text))
    names = set(re.findall(r"`(pixelproof(?:\.\w+)+)(?:\([^`]*\))?`", text)) - groups
    assert {"pixelproof.runner.process_one", "pixelproof.schemas.row_type"} <= names
    for name in sorted(names):
        parts = name.split(".")
        for split in range(len(parts), 0, -1):
            try:
                found: Any = importlib.import_module(".".join(parts[:split]))
            except ModuleNotFoundError:
                continue
            for attribute in parts[split:]:
                assert hasattr(found, attribute), name
                found = getattr(found, attribute)
            break
