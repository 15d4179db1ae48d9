"""Package layering: the capabilities stand without the benchmark harness.

A capability may use the harness's metrics (:mod:`pixelproof.bench.metrics`, a leaf)
but nothing else of :mod:`pixelproof.bench`, nor :mod:`pixelproof.inputs`; fitting
their models is :mod:`pixelproof.training`'s job. Benchmark scripts use public names
only.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SRC = REPO / "src" / "pixelproof"
CAPABILITIES = (
    "forensics",
    "match",
    "metadata",
    "watermark",
    "nets",
    "io",
    "evidence",
    "report",
    "credentials",
)


def imported_modules(path: Path) -> Iterator[tuple[int, str]]:
    """Absolute names of the modules (and ``module.name`` for from-imports) ``path``
    imports, relative imports resolved against its package."""
    package = ""
    if path.is_relative_to(SRC):
        package = ".".join(path.relative_to(SRC.parent).with_suffix("").parts)
        if path.name != "__init__.py":
            package = package.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                anchor = ".".join(parts[: len(parts) - node.level + 1])
                base = f"{anchor}.{base}" if base else anchor
            for alias in node.names:
                yield node.lineno, f"{base}.{alias.name}"


def forbidden_for_capabilities(name: str) -> bool:
    if name == "pixelproof.inputs" or name.startswith("pixelproof.inputs."):
        return True
    if name == "pixelproof.bench" or name.startswith("pixelproof.bench."):
        return not name.startswith("pixelproof.bench.metrics")
    return False


@pytest.mark.parametrize("capability", CAPABILITIES)
def test_capabilities_import_neither_the_harness_nor_inputs(capability: str) -> None:
    offending = [
        f"{path.relative_to(REPO)}:{line}: {name}"
        for path in sorted((SRC / capability).rglob("*.py"))
        for line, name in imported_modules(path)
        if forbidden_for_capabilities(name)
    ]
    assert offending == []


def test_the_checker_resolves_relative_imports() -> None:
    names = [name for _, name in imported_modules(SRC / "forensics" / "_evaluate.py")]
    assert "pixelproof.bench.metrics.roc_auc" in names
    assert forbidden_for_capabilities("pixelproof.bench.transforms.crop")
    assert forbidden_for_capabilities("pixelproof.bench.load_suite")
    assert forbidden_for_capabilities("pixelproof.inputs.expand_inputs")
    assert not forbidden_for_capabilities("pixelproof.bench.metrics.roc_auc")


def test_benchmark_scripts_use_public_names_only() -> None:
    offending = [
        f"{path.name}:{line}: {name}"
        for path in sorted((REPO / "benchmarks").glob("*.py"))
        for line, name in imported_modules(path)
        if name != "__future__.annotations"
        and any(part.startswith("_") for part in name.split("."))
    ]
    assert offending == []


def test_the_metrics_import_nothing_else_of_the_harness() -> None:
    code = (
        "import json, sys, pixelproof.bench.metrics\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith('pixelproof.'))))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    loaded = json.loads(done.stdout)
    assert loaded
    assert all(m == "pixelproof.bench" or m.startswith("pixelproof.bench.metrics") for m in loaded)


def test_the_harness_names_are_still_importable_from_bench() -> None:
    import pixelproof.bench as bench
    from pixelproof.bench import transforms

    assert set(transforms.__all__) <= set(bench.__all__)
    for name in bench.__all__:
        assert getattr(bench, name) is not None
    from pixelproof.bench import Compose, load_suite, roc_auc

    assert Compose is transforms.Compose and callable(load_suite) and callable(roc_auc)
    with pytest.raises(AttributeError):
        bench.no_such_name  # noqa: B018


@pytest.mark.parametrize("capability", [c for c in CAPABILITIES if c != "report"])
def test_capabilities_do_not_reach_up_into_the_runner_or_the_command_line(
    capability: str,
) -> None:
    upward = ("pixelproof.runner", "pixelproof.tasks", "pixelproof.cli")
    offending = [
        f"{path.relative_to(REPO)}:{line}: {name}"
        for path in sorted((SRC / capability).rglob("*.py"))
        for line, name in imported_modules(path)
        if name.startswith(upward)
    ]
    assert offending == []


def test_nothing_below_the_command_line_reads_the_environment() -> None:
    offending = [
        str(path.relative_to(REPO))
        for path in sorted(SRC.rglob("*.py"))
        if "cli" not in path.relative_to(SRC).parts
        and any(word in path.read_text(encoding="utf-8") for word in ("os.environ", "getenv"))
    ]
    assert offending == []
