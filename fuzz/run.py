"""Run the fuzz harnesses for a fixed time each; exit 1 when any of them finds something.

    python fuzz/run.py                      # every harness, 20 s each (the CI pass)
    python fuzz/run.py --seconds 600 --jobs 2            # the long local run
    python fuzz/run.py --seconds 600 loader metadata     # some harnesses only

The seed corpus is built first when ``fuzz/corpus/`` is missing (see ``make_corpus.py``);
inputs that find new coverage are added to it, so later runs start further on. A
finding (uncaught exception, crash, timeout, memory blow-up) is written to
``fuzz/artifacts/<harness>/`` with the fuzzer's log; replay it with
``python -m fuzz.fuzz_<harness> <file>``, fix it, and add the file to
``tests/fuzz_regressions/<harness>/``.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FUZZ = ROOT / "fuzz"
HARNESSES = tuple(sorted(p.stem.removeprefix("fuzz_") for p in FUZZ.glob("fuzz_*.py")))


@dataclass
class Outcome:
    harness: str
    returncode: int
    seconds: float
    execs: int
    coverage: int
    corpus: int
    log: Path

    @property
    def ok(self) -> bool:
        return self.returncode == 0


def run_one(name: str, args: argparse.Namespace) -> Outcome:
    corpus = args.corpus / name
    artifacts = args.artifacts / name
    corpus.mkdir(parents=True, exist_ok=True)
    artifacts.mkdir(parents=True, exist_ok=True)
    log = artifacts / "log.txt"
    command = [
        sys.executable,
        "-m",
        f"fuzz.fuzz_{name}",
        str(corpus),
        f"-max_total_time={args.seconds}",
        f"-timeout={args.timeout}",
        f"-rss_limit_mb={args.rss_limit_mb}",
        f"-max_len={args.max_len}",
        f"-artifact_prefix={artifacts}/",
        "-print_final_stats=1",
        *([f"-seed={args.seed}"] if args.seed else []),
    ]
    env = dict(os.environ)
    paths = [str(ROOT), str(ROOT / "src"), env.get("PYTHONPATH", "")]
    env["PYTHONPATH"] = os.pathsep.join(p for p in paths if p)
    start = time.monotonic()
    with log.open("w") as out:
        # A hung harness is killed well after libFuzzer's own -max_total_time.
        limit = args.seconds + args.timeout + 120
        try:
            code = subprocess.run(
                command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, timeout=limit
            ).returncode
        except subprocess.TimeoutExpired:
            out.write(f"\nrun.py: killed after {limit} s\n")
            code = 124
    text = log.read_text(errors="replace")
    return Outcome(
        harness=name,
        returncode=code,
        seconds=time.monotonic() - start,
        execs=_stat(text, "stat::number_of_executed_units"),
        coverage=_last(text, r"\bcov: (\d+)"),
        corpus=sum(1 for _ in corpus.iterdir()),
        log=log,
    )


def _stat(text: str, key: str) -> int:
    match = re.search(rf"{re.escape(key)}:\s*(\d+)", text)
    return int(match.group(1)) if match else 0


def _last(text: str, pattern: str) -> int:
    found = re.findall(pattern, text)
    return int(found[-1]) if found else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run pixelproof's fuzz harnesses.")
    parser.add_argument("harnesses", nargs="*", help=f"default: all ({', '.join(HARNESSES)})")
    parser.add_argument("--seconds", type=int, default=20, help="fuzzing time per harness")
    parser.add_argument("--jobs", type=int, default=1, help="harnesses run at once")
    parser.add_argument("--timeout", type=int, default=25, help="seconds for one input")
    parser.add_argument("--rss-limit-mb", type=int, default=3072)
    parser.add_argument("--max-len", type=int, default=256 * 1024, help="largest input")
    parser.add_argument(
        "--seed",
        type=int,
        default=0,
        help="libFuzzer's random seed (0: a new one each run); CI fixes it, so that a short "
        "pass explores the same inputs every time and fails only on a real regression",
    )
    parser.add_argument("--corpus", type=Path, default=FUZZ / "corpus")
    parser.add_argument("--artifacts", type=Path, default=FUZZ / "artifacts")
    args = parser.parse_args(argv)
    names = args.harnesses or list(HARNESSES)
    unknown = sorted(set(names) - set(HARNESSES))
    if unknown:
        parser.error(f"unknown harness {', '.join(unknown)} (known: {', '.join(HARNESSES)})")
    if not all((args.corpus / name).is_dir() for name in names):
        sys.path.insert(0, str(ROOT))
        from fuzz.make_corpus import DEFAULT_DATA, build

        build(DEFAULT_DATA, args.corpus)

    start = time.monotonic()
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        outcomes = list(pool.map(lambda name: run_one(name, args), names))
    print(f"{'harness':<12} {'result':<8} {'seconds':>8} {'execs':>9} {'execs/s':>8} {'cov':>6}")
    for o in outcomes:
        rate = o.execs / o.seconds if o.seconds else 0.0
        result = "ok" if o.ok else f"FAIL {o.returncode}"
        print(
            f"{o.harness:<12} {result:<8} {o.seconds:8.0f} {o.execs:9d} {rate:8.0f} {o.coverage:6d}"
        )
    print(f"total wall time {time.monotonic() - start:.0f} s")
    failed = [o for o in outcomes if not o.ok]
    for o in failed:
        print(f"\n--- {o.harness}: finding, see {o.log} ---", file=sys.stderr)
        print(o.log.read_text(errors="replace")[-4000:], file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
