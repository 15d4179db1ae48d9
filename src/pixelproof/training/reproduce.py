"""``python -m pixelproof.training reproduce`` (``make reproduce``): regenerate every
shipped constant file in place and compare it with the committed one.

Each file under ``src/pixelproof/**/_data`` is an output of a :data:`RECIPES` entry (a
training command, run with its default, documented arguments on data the repository
can name: ``../shared/data`` and the calibration photos of
:mod:`pixelproof.training.match_photos`). The test suite fails when a file is not, so
a new constant file needs a recipe.

The recipes run in order (the fusion is fitted on the appearance head just written),
each as ``python -m pixelproof.training COMMAND --out FOLDER``, writing into the source
tree; then every output is compared with ``git show HEAD:PATH``: identical bytes, equal
within the tolerance (every number of a JSON file or array of an ``.npz`` file within
``atol + rtol * |committed|``), or different, with the largest difference and where.
``git diff`` shows the rest; ``git checkout -- src/pixelproof`` undoes it.
"""

from __future__ import annotations

import io
import json
import math
import subprocess
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

PACKAGE = Path(__file__).resolve().parents[1]  # src/pixelproof


@dataclass(frozen=True)
class Recipe:
    """A training command and the files (relative to the package) it writes."""

    command: str
    outputs: tuple[str, ...]
    # Extra arguments; "{match_photos}" is the gathered calibration photo folder.
    arguments: tuple[str, ...] = ()

    @property
    def folder(self) -> str:
        (folder,) = {str(Path(p).parent) for p in self.outputs}
        return folder


RECIPES: tuple[Recipe, ...] = (
    Recipe("appearance", ("forensics/_data/appearance_head.npz",)),
    Recipe("forensics-fusion", ("forensics/_data/fusion.json",)),
    Recipe(
        "match-calibration",
        (
            "match/_data/effnet_lite0_v2.npz",
            "match/_data/effnet_lite0_v2_bank.npz",
            "match/_data/calibration.json",
        ),
        ("{match_photos}",),
    ),
    Recipe("synthetic", ("synthetic/_data/model.json", "synthetic/_data/probe.npz")),
)


def shipped_files() -> list[str]:
    """Every file under the package's ``_data`` folders, relative to the package."""
    return sorted(
        str(p.relative_to(PACKAGE))
        for p in PACKAGE.glob("**/_data/*")
        if p.is_file() and "__pycache__" not in p.parts
    )


@dataclass(frozen=True)
class Comparison:
    """How a regenerated file compares with the committed one."""

    path: str
    identical: bool
    within: bool
    worst: float = 0.0  # largest absolute difference of a number
    where: str = ""  # the key (JSON path or array name) where it is

    def line(self) -> str:
        if self.identical:
            return f"{self.path}: identical"
        if self.within:
            return f"{self.path}: equal within tolerance (largest difference {self.worst:.3g})"
        return f"{self.path}: DIFFERS ({self.where}: largest difference {self.worst:.3g})"


def compare(
    path: str, committed: bytes, regenerated: bytes, *, rtol: float, atol: float
) -> Comparison:
    """Compare two versions of a constant file (JSON or ``.npz``) number by number."""
    if committed == regenerated:
        return Comparison(path, True, True)
    if path.endswith(".json"):
        pairs = _json_pairs(json.loads(committed), json.loads(regenerated), "")
    elif path.endswith(".npz"):
        pairs = _npz_pairs(committed, regenerated)
    else:
        return Comparison(path, False, False, math.inf, "bytes")
    worst, where, within = 0.0, "", True
    for key, old, new in pairs:
        if old is None or new is None:
            return Comparison(path, False, False, math.inf, key)
        difference = np.abs(new - old)
        allowed = atol + rtol * np.abs(old)
        if difference.size and float(difference.max()) >= worst:
            worst, where = float(difference.max()), key
        within = within and bool(np.all(difference <= allowed))
    return Comparison(path, False, within, worst, where)


Pair = tuple[str, "np.ndarray[Any, Any] | None", "np.ndarray[Any, Any] | None"]


def _json_pairs(old: Any, new: Any, key: str) -> Iterator[Pair]:
    """(key, committed, regenerated) for every number; None for a structural change."""
    if isinstance(old, dict) and isinstance(new, dict):
        if set(old) != set(new):
            yield key or "/", None, None
        for name in sorted(set(old) & set(new)):
            yield from _json_pairs(old[name], new[name], f"{key}/{name}")
    elif isinstance(old, list) and isinstance(new, list):
        if len(old) != len(new):
            yield key, None, None
        for i, (a, b) in enumerate(zip(old, new, strict=False)):
            yield from _json_pairs(a, b, f"{key}[{i}]")
    elif _is_number(old) and _is_number(new):
        yield key, np.array(float(old)), np.array(float(new))
    elif old != new:
        yield key, None, None


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _npz_pairs(committed: bytes, regenerated: bytes) -> Iterator[Pair]:
    with np.load(io.BytesIO(committed)) as old, np.load(io.BytesIO(regenerated)) as new:
        if set(old.files) != set(new.files):
            yield "arrays", None, None
        for name in sorted(set(old.files) & set(new.files)):
            a, b = old[name], new[name]
            if a.shape != b.shape:
                yield name, None, None
            elif np.issubdtype(a.dtype, np.number) and np.issubdtype(b.dtype, np.number):
                yield name, a.astype(np.float64), b.astype(np.float64)
            elif not np.array_equal(a, b):
                yield name, None, None


def source_checkout() -> Path | None:
    """The git checkout the package is imported from (an editable install), or None."""
    try:
        done = subprocess.run(
            ["git", "rev-parse", "--show-toplevel"], cwd=PACKAGE, capture_output=True, text=True
        )
    except OSError:
        return None
    top = Path(done.stdout.strip()).resolve() if done.returncode == 0 else None
    return top if top is not None and PACKAGE.is_relative_to(top) else None


def committed_bytes(path: str) -> bytes:
    """The committed (``HEAD``) version of a file of the package."""
    top = source_checkout()
    if top is None:
        raise FileNotFoundError(f"{PACKAGE} is not in a git checkout")
    relative = (PACKAGE / path).relative_to(top).as_posix()
    return subprocess.run(
        ["git", "show", f"HEAD:{relative}"], cwd=top, capture_output=True, check=True
    ).stdout


def run_recipes(recipes: Sequence[Recipe], *, match_photos: Path | None) -> None:
    """Run each recipe's training command, writing into the package's ``_data``."""
    for recipe in recipes:
        arguments = [a.replace("{match_photos}", str(match_photos)) for a in recipe.arguments]
        command = [sys.executable, "-m", "pixelproof.training", recipe.command]
        command += ["--out", str(PACKAGE / recipe.folder), *arguments]
        print("$ " + " ".join(command), file=sys.stderr, flush=True)
        subprocess.run(command, check=True)


def outputs(recipes: Sequence[Recipe]) -> list[str]:
    """The files the chosen recipes write."""
    return [p for r in recipes for p in r.outputs]


def check(paths: Sequence[str], *, rtol: float, atol: float) -> list[Comparison]:
    """Compare every file of ``paths`` (relative to the package) with its committed one."""
    return [
        compare(p, committed_bytes(p), (PACKAGE / p).read_bytes(), rtol=rtol, atol=atol)
        for p in paths
    ]
