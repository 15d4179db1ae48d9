"""Run every pixelproof command on a photo folder, save the JSON rows, and diff two runs.

This is the check that a refactoring changed no answer: run it once on the old code and
once on the new, then compare. Rows are matched by command and input path; numbers must
agree to ``--tolerance`` (1e-9 by default); fields present only in the new run are
allowed (the JSON contract is add-only), fields missing or changed are reported.
Timings (``elapsed_ms``) and the output folder's own name are ignored.

Usage::

    # the old code, from a git worktree of the old commit (same virtual environment)
    git worktree add /tmp/pp-old <commit>
    PYTHONPATH=/tmp/pp-old/src python benchmarks/compare_outputs.py run /tmp/out-old
    python benchmarks/compare_outputs.py run /tmp/out-new
    python benchmarks/compare_outputs.py diff /tmp/out-old /tmp/out-new

``run`` uses ``python -m pixelproof`` of the interpreter that runs this script, so
``PYTHONPATH`` picks the code under test. ``forensics`` runs on the whole folder; ``scan``
skips the forensic analyzers there (they are the ``forensics`` command's own, and would
double the run time) and runs them in full on the Kodak photos only.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "photos"
IGNORED_KEYS = frozenset({"elapsed_ms"})
OUT_PLACEHOLDER = "<OUT>"


def commands(data: Path, out: Path) -> dict[str, list[str]]:
    """Command name -> arguments of ``pixelproof``, in the order they must run."""
    photos = str(data)
    kodak = str(data / "kodak24")
    db = str(out / "index.db")
    return {
        "meta": ["meta", photos, "--json", "--workers", "2"],
        "credentials-verify": ["credentials", "verify", photos, "--json"],
        "scan-no-forensics": ["scan", photos, "--json", "--workers", "2", "--skip", "forensics"],
        "scan-kodak": ["scan", kodak, "--json", "--workers", "2"],
        "forensics": [
            "forensics",
            photos,
            "--json",
            "--workers",
            "2",
            "--heatmap-dir",
            str(out / "heat"),
        ],
        "watermark-embed": [
            "watermark",
            "embed",
            kodak,
            "--out-dir",
            str(out / "marked"),
            "--message",
            "1a2b3c4d",
            "--json",
        ],
        "watermark-detect": [
            "watermark",
            "detect",
            str(out / "marked"),
            kodak,
            "--stable-diffusion",
            "--json",
        ],
        "index-add": ["index", "add", photos, "--db", db, "--json", "--workers", "2"],
        "match": ["match", str(out / "marked"), kodak, "--db", db, "--json"],
        "dedup": ["dedup", photos, str(out / "marked"), "--json", "--workers", "2"],
    }


def run(out: Path, data: Path) -> None:
    out.mkdir(parents=True, exist_ok=False)
    timings = {}
    for name, args in commands(data, out).items():
        started = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-m", "pixelproof", *args],
            capture_output=True,
            text=True,
            env={**os.environ, "OMP_NUM_THREADS": "1"},
            check=False,
        )
        timings[name] = round(time.perf_counter() - started, 1)
        (out / f"{name}.jsonl").write_text(proc.stdout, encoding="utf-8")
        (out / f"{name}.stderr").write_text(proc.stderr, encoding="utf-8")
        print(f"{name:<20} exit {proc.returncode}  {timings[name]:7.1f} s", flush=True)
    files = {}
    for folder in ("marked", "heat"):
        for path in sorted((out / folder).glob("*")):
            files[f"{folder}/{path.name}"] = hashlib.sha256(path.read_bytes()).hexdigest()
    (out / "files.json").write_text(json.dumps(files, indent=1), encoding="utf-8")


def _rows(path: Path, out: Path) -> dict[str, dict[str, Any]]:
    rows: dict[str, dict[str, Any]] = {}
    prefix = str(out)
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            text = line.replace(prefix, OUT_PLACEHOLDER)
            row = json.loads(text)
            rows[str(row.get("path"))] = row
    return rows


def differences(old: Any, new: Any, where: str, tolerance: float) -> list[str]:
    """Where ``new`` does not keep what ``old`` said (extra keys in ``new`` are fine)."""
    if isinstance(old, dict):
        if not isinstance(new, dict):
            return [f"{where}: was an object, now {type(new).__name__}"]
        found = []
        for key, value in old.items():
            if key in IGNORED_KEYS:
                continue
            if key not in new:
                found.append(f"{where}.{key}: missing")
            else:
                found += differences(value, new[key], f"{where}.{key}", tolerance)
        return found
    if isinstance(old, list):
        if not isinstance(new, list) or len(new) != len(old):
            return [f"{where}: list changed ({_short(old)} -> {_short(new)})"]
        found = []
        for i, (a, b) in enumerate(zip(old, new, strict=True)):
            found += differences(a, b, f"{where}[{i}]", tolerance)
        return found
    if isinstance(old, float) and isinstance(new, int | float) and not isinstance(new, bool):
        if math.isclose(old, new, rel_tol=0.0, abs_tol=tolerance):
            return []
        return [f"{where}: {old!r} -> {new!r}"]
    if old != new:
        return [f"{where}: {_short(old)} -> {_short(new)}"]
    return []


def _short(value: Any) -> str:
    text = json.dumps(value)
    return text if len(text) < 120 else text[:117] + "..."


def diff(old_out: Path, new_out: Path, tolerance: float) -> int:
    total = 0
    print(f"{'command':<20} {'rows':>5} {'differing':>9}  first difference")
    for name_file in sorted(old_out.glob("*.jsonl")):
        old_rows = _rows(name_file, old_out)
        new_file = new_out / name_file.name
        new_rows = _rows(new_file, new_out) if new_file.exists() else {}
        found: list[str] = []
        for path, row in old_rows.items():
            if path not in new_rows:
                found.append(f"{path}: row missing")
                continue
            found += differences(row, new_rows[path], path, tolerance)
        differing = len({line.split(":")[0] for line in found})
        first = found[0] if found else ""
        print(f"{name_file.stem:<20} {len(old_rows):5d} {differing:9d}  {first[:150]}")
        total += len(found)
    old_files = json.loads((old_out / "files.json").read_text())
    new_files = json.loads((new_out / "files.json").read_text())
    changed = [k for k, v in old_files.items() if new_files.get(k) != v]
    print(f"{'output files':<20} {len(old_files):5d} {len(changed):9d}  {' '.join(changed[:3])}")
    return 1 if total or changed else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="action", required=True)
    run_p = sub.add_parser("run", help="run every command, save rows into a new folder")
    run_p.add_argument("out", type=Path)
    run_p.add_argument("--data", type=Path, default=DATA.resolve())
    diff_p = sub.add_parser("diff", help="compare two saved runs")
    diff_p.add_argument("old", type=Path)
    diff_p.add_argument("new", type=Path)
    diff_p.add_argument("--tolerance", type=float, default=1e-9)
    args = parser.parse_args()
    if args.action == "run":
        run(args.out.resolve(), args.data)
        return 0
    return diff(args.old.resolve(), args.new.resolve(), args.tolerance)


if __name__ == "__main__":
    sys.exit(main())
