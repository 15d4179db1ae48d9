"""``pixelproof bench``: measure detectors, matchers and watermarks under one suite."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

from ..bench._systems import MATCH_SYSTEMS, WATERMARK_SYSTEMS, baseline_names
from ..forensics import ANALYSES
from ..registry import Registry
from ._common import Workers, progress_bar, stderr, usage_error

app = typer.Typer(
    help="Measure pixelproof and baseline systems under a suite of transformations.",
    no_args_is_help=True,
)

Data = Annotated[Path, typer.Option("--data", help="Folder of images to build the test from.")]
Out = Annotated[Path, typer.Option("--out", help="Folder for CSV, JSON, plots and summary.md.")]
Limit = Annotated[int | None, typer.Option(min=1, help="Use at most this many images.")]
Size = Annotated[int, typer.Option(min=64, help="Shrink larger images to this longest side first.")]
ExactSize = Annotated[
    int, typer.Option(min=64, help="Resize every image (up or down) to this longest side first.")
]
Seed = Annotated[int, typer.Option(help="Seed for every random choice (runs are reproducible).")]


def _baselines_option(systems: Registry[Any]) -> Any:
    return typer.Option(
        help="Comma-separated baseline systems to run beside pixelproof: "
        f"{baseline_names(systems)}."
    )


def _suite_option(default: str) -> Any:
    return typer.Option(help=f"Suite: a shipped name or a TOML file [default: {default}].")


@app.command("watermark")
def watermark(
    data: Data,
    out: Out,
    suite: Annotated[str, _suite_option("watermark")] = "watermark",
    baselines: Annotated[str | None, _baselines_option(WATERMARK_SYSTEMS)] = None,
    limit: Limit = None,
    size: ExactSize = 512,
    seed: Seed = 0,
    workers: Workers = 1,
) -> None:
    """Embed, attack and decode: bit accuracy, detection rate, PSNR/SSIM and speed."""
    from ..bench.runner import run_watermark_bench, watermark_systems

    systems = _systems(baselines, watermark_systems)
    loaded, images = _prepare(suite, data, limit)
    with progress_bar(len(images), "watermark bench") as advance:
        result = run_watermark_bench(
            images,
            systems=systems,
            suite=loaded,
            suite_ref=suite,
            longest_side=size,
            seed=seed,
            workers=workers,
            progress=advance,
        )
    _finish(result, out)


@app.command("match")
def match(
    data: Data,
    out: Out,
    suite: Annotated[str, _suite_option("default")] = "default",
    baselines: Annotated[str | None, _baselines_option(MATCH_SYSTEMS)] = None,
    limit: Limit = None,
    size: Size = 512,
    seed: Seed = 0,
    queries_per_image: Annotated[
        int | None,
        typer.Option(min=1, help="Edited queries per image [default: every edit of the suite]."),
    ] = None,
) -> None:
    """Copy detection on edited copies and distractors: micro-AP and recall@k."""
    from ..bench.runner import build_queries, match_systems, run_match_bench

    systems = _systems(baselines, match_systems)
    loaded, images = _prepare(suite, data, limit)
    try:
        _, queries = build_queries(images, loaded, seed=seed, queries_per_image=queries_per_image)
    except ValueError as exc:
        raise usage_error(str(exc)) from None
    with progress_bar(len(queries), "match bench") as advance:
        result = run_match_bench(
            images,
            systems=systems,
            suite=loaded,
            suite_ref=suite,
            max_side=size,
            seed=seed,
            queries_per_image=queries_per_image,
            progress=advance,
        )
    _finish(result, out)


@app.command("detect")
def detect(
    data: Annotated[
        Path, typer.Option("--data", help="Folder with real/ and synthetic/ sub-folders.")
    ],
    out: Out,
    suite: Annotated[str, _suite_option("default")] = "default",
    parity: Annotated[
        bool, typer.Option(help="Also re-encode both classes identically and compare.")
    ] = False,
    limit: Limit = None,
    seed: Seed = 0,
    checkpoint: Annotated[
        str | None,
        typer.Option(
            "--checkpoint",
            "--model",
            metavar="PATH",
            help="Measure this pixel detector instead of the shipped one: a folder from "
            "'pixelproof train detect' or a published checkpoint as KIND:PATH.",
        ),
    ] = None,
) -> None:
    """Synthetic-image detectors: ROC-AUC, AP, TPR at low FPR, calibration.

    Every installed analyzer of the ``synthetic`` capability is measured.
    """
    from ..bench.runner import (
        NO_DETECTOR,
        labelled_images,
        run_detect_bench,
        synthetic_detectors,
    )
    from ..settings import Settings
    from .detect import checked_model_setting

    model = None if checkpoint is None else checked_model_setting(checkpoint)
    detectors = synthetic_detectors(Settings(synthetic_model=model))
    if not detectors:
        raise usage_error(NO_DETECTOR + ".")
    loaded = _load_suite(suite)
    try:
        count = len(labelled_images(data, limit=limit))
    except (ValueError, OSError) as exc:
        raise usage_error(str(exc)) from None
    with progress_bar(count, "detect bench") as advance:
        try:
            result = run_detect_bench(
                data,
                suite=loaded,
                suite_ref=suite,
                parity=parity,
                limit=limit,
                seed=seed,
                analyzers=detectors,
                progress=advance,
            )
        except ValueError as exc:
            raise usage_error(str(exc)) from None
    _finish(result, out)


@app.command("forensics")
def forensics(
    data: Annotated[Path, typer.Option("--data", help="Folder of real photos to forge.")],
    out: Out,
    cases: Annotated[
        int, typer.Option("--cases", min=4, help="Forgeries and authentic controls to make.")
    ] = 200,
    analyses: Annotated[
        str | None,
        typer.Option(help=f"Comma-separated analyses to run [default: all]: {ANALYSES.known()}."),
    ] = None,
    limit: Limit = None,
    seed: Seed = 0,
) -> None:
    """Forge photos with exact masks, then score every analysis and the fused result."""
    from ..bench.runner import run_forensics_bench

    _, photos = _prepare("default", data, limit)
    names = [n.strip() for n in (analyses or "").split(",") if n.strip()] or None
    with progress_bar(cases, "forensics bench") as advance:
        try:
            result = run_forensics_bench(
                photos,
                work_dir=out / "cases",
                n=cases,
                seed=seed,
                analyses=names,
                progress=advance,
            )
        except ValueError as exc:
            raise usage_error(str(exc)) from None
    _finish(result, out)


def _systems(baselines: str | None, available: Callable[[], dict[str, Any]]) -> list[str]:
    try:
        known = available()
    except ImportError as exc:
        raise usage_error(str(exc)) from None
    systems = ["pixelproof"] if "pixelproof" in known else []
    for name in (baselines or "").split(","):
        name = name.strip()
        if not name:
            continue
        if name not in known or name == "pixelproof":
            choices = ", ".join(n for n in known if n != "pixelproof")
            raise usage_error(f"--baselines: unknown system {name!r} (known: {choices})")
        systems.append(name)
    if not systems:
        raise usage_error("nothing to run: pass --baselines (pixelproof's own is not installed)")
    return systems


def _load_suite(suite: str) -> Any:
    from ..bench import load_suite

    try:
        return load_suite(suite)
    except (ValueError, OSError, KeyError) as exc:
        raise usage_error(f"--suite: {exc}") from None


def _prepare(suite: str, data: Path, limit: int | None) -> tuple[Any, list[Path]]:
    from ..bench.runner._data import list_images

    loaded = _load_suite(suite)
    try:
        return loaded, list_images(data, limit=limit)
    except ValueError as exc:
        raise usage_error(str(exc)) from None


def _finish(result: Any, out: Path) -> None:
    from ..bench.runner import write_outputs

    written = write_outputs(result, out)
    typer.echo(result.markdown())
    for label, path in written.items():
        stderr.print(f"{label}: {path}", markup=False)
