"""The examples in the docstrings run: every module of the package, public API first.

Examples that need files or large downloads are marked ``# doctest: +SKIP`` where they
stand; a module whose optional extra is not installed is skipped.
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil
from types import ModuleType

import pytest

import pixelproof


def _module_names() -> list[str]:
    names = ["pixelproof"]
    for info in pkgutil.walk_packages(pixelproof.__path__, "pixelproof."):
        if info.name.rsplit(".", 1)[-1] != "__main__":
            names.append(info.name)
    return sorted(names)


def _import(name: str) -> ModuleType:
    try:
        return importlib.import_module(name)
    except ImportError as exc:  # an optional extra
        pytest.skip(f"{name}: {exc}")


MODULES = _module_names()


def test_the_public_packages_have_runnable_examples() -> None:
    runnable = set()
    for name in MODULES:
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        for test in doctest.DocTestFinder().find(module):
            if any(not example.options.get(doctest.SKIP) for example in test.examples):
                runnable.add(name.split(".")[1] if "." in name else name)
    assert {"evidence", "forensics", "io", "match", "metadata", "watermark", "bench"} <= runnable


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    module = _import(name)
    finder = doctest.DocTestFinder()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    for test in finder.find(module):
        runner.run(test)
    results = runner.summarize(verbose=False)
    assert results.failed == 0, f"{results.failed} failing example(s) in {name}: see the output"
