"""What every harness shares: instrumentation, the accepted-exception guard, the entry point."""

from __future__ import annotations

import contextlib
import sys
import warnings
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

# Only pixelproof's own code and Pillow's Python plug-ins are instrumented for coverage:
# numpy and the standard library would slow every input down for no useful feedback.
INSTRUMENTED = ["pixelproof", "PIL"]


def instrumented(enabled: bool) -> AbstractContextManager[Any]:
    """``atheris.instrument_imports()`` when running as a fuzzer, else nothing.

    The regression tests import the harnesses without atheris (or without wanting its
    instrumentation), so they pass ``enabled=False``.
    """
    if not enabled:
        return contextlib.nullcontext()
    import atheris

    return atheris.instrument_imports(include=INSTRUMENTED)


def guarded(
    check: Callable[[bytes], None], acceptable: tuple[type[BaseException], ...]
) -> Callable[[bytes], None]:
    """The fuzz target: ``check(data)``, where only ``acceptable`` exceptions are expected."""

    def one_input(data: bytes) -> None:
        try:
            check(data)
        except acceptable:
            return

    return one_input


def main(one_input: Callable[[bytes], None]) -> None:
    """Run ``one_input`` under libFuzzer with the command line's options."""
    import atheris

    warnings.simplefilter("ignore")  # what a parser warns about a fuzz input is noise
    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()
