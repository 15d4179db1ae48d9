"""``pixelproof train detect``: fit the synthetic-image detector on your own images."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from ._common import usage_error

app = typer.Typer(
    help="Train pixelproof's detectors on your own data.",
    no_args_is_help=True,
    add_completion=False,
)


@app.command("detect")
def train_detect(
    root: Annotated[
        Path | None,
        typer.Argument(
            help="A folder in CNNDetection's layout: every '0_real' and '1_fake' folder "
            "below it is used (instead of --real/--fake).",
            show_default=False,
        ),
    ] = None,
    real: Annotated[
        list[Path] | None, typer.Option("--real", help="Folder of real images (repeatable).")
    ] = None,
    fake: Annotated[
        list[Path] | None,
        typer.Option("--fake", help="Folder of AI-generated images (repeatable)."),
    ] = None,
    out: Annotated[Path, typer.Option("--out", help="Folder the model is written to.")] = Path(
        "model"
    ),
    no_parity: Annotated[
        bool,
        typer.Option(
            "--no-parity",
            help="Do not re-encode both classes identically (only when they already share "
            "their whole processing history: otherwise the model learns file formats).",
        ),
    ] = False,
    copies: Annotated[
        int, typer.Option("--copies", min=1, max=16, help="Parity copies per training image.")
    ] = 2,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the split and the copies.")] = 0,
) -> None:
    """Fit a detector on real and fake folders; use it with 'pixelproof detect --model'."""
    from ..synthetic._train import image_files, labelled_folders, train_model

    real_folders, fake_folders = list(real or []), list(fake or [])
    if root is not None:
        if not root.is_dir():
            raise usage_error(f"{root} is not a folder")
        found_real, found_fake = labelled_folders(root)
        real_folders += found_real
        fake_folders += found_fake
    for folder in real_folders + fake_folders:
        if not folder.is_dir():
            raise usage_error(f"{folder} is not a folder")
    real_files, fake_files = image_files(real_folders), image_files(fake_folders)
    if len(real_files) < 2 or len(fake_files) < 2:
        raise usage_error(
            f"need at least 2 real and 2 fake images (found {len(real_files)} real in "
            f"{len(real_folders)} folder(s), {len(fake_files)} fake in {len(fake_folders)}); "
            "give --real and --fake, or a folder with 0_real/1_fake sub-folders"
        )
    if out.exists() and not out.is_dir():
        raise usage_error(f"--out: {out} is not a folder")

    def progress(name: str, done: int, total: int) -> None:
        if done % 25 == 0 or done == total:
            typer.echo(f"  {name}: {done}/{total}", err=True)

    try:
        model, summary = train_model(
            real_files,
            fake_files,
            parity=not no_parity,
            copies=copies,
            seed=seed,
            progress=progress,
        )
    except ValueError as exc:
        raise usage_error(str(exc)) from None
    for path in model.save(out):
        typer.echo(f"wrote {path}")
    typer.echo(json.dumps(summary, sort_keys=True))
