"""Every input the fuzzers ever found a problem with, replayed through its harness.

``tests/fuzz_regressions/<harness>/`` holds the inputs of ``fuzz/fuzz_<harness>.py``
(gzip-compressed when they end in ``.gz``). Each must now pass the harness: only the
exceptions that harness accepts, no crash. The harnesses are imported without atheris.
"""

from __future__ import annotations

import gzip
import importlib
from pathlib import Path

import pytest

HERE = Path(__file__).parent
INPUTS = sorted(p for p in HERE.glob("*/*") if p.is_file() and p.parent.name != "__pycache__")


def _read(path: Path) -> bytes:
    data = path.read_bytes()
    return gzip.decompress(data) if path.suffix == ".gz" else data


def test_every_harness_has_a_folder_name_that_exists() -> None:
    for folder in {p.parent for p in INPUTS}:
        assert (HERE.parent.parent / "fuzz" / f"fuzz_{folder.name}.py").is_file(), folder


@pytest.mark.parametrize("path", INPUTS, ids=lambda p: f"{p.parent.name}/{p.name[:20]}")
def test_fuzz_finding_is_fixed(path: Path) -> None:
    harness = importlib.import_module(f"fuzz.fuzz_{path.parent.name}")
    harness.one_input(_read(path))
