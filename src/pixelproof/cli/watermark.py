"""``pixelproof watermark embed|detect``: add or look for an invisible, keyed watermark."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from ..runner import Row, run
from ..settings import Settings, read_key_file
from ..tasks.watermark import DetectTask, EmbedTask, MarkedImage, write_marked
from ._common import (
    Inputs,
    JsonFlag,
    configured,
    emit_rows,
    gather_inputs,
    print_error_row,
    reads_images,
    usage_error,
)

app = typer.Typer(
    name="watermark",
    help="Add pixelproof's invisible watermark (a 32-bit message, keyed) or read it back.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

KeyOption = Annotated[
    str | None,
    typer.Option(
        "--key",
        help="Secret key (text). Default: the --config key, else $PIXELPROOF_WATERMARK_KEY, "
        "else the public demo key.",
        show_default=False,
    ),
]
KeyFileOption = Annotated[
    Path | None,
    typer.Option(
        "--key-file",
        help="Read the key from this file (raw bytes, one trailing newline removed).",
        show_default=False,
    ),
]


def _key(key: str | None, key_file: Path | None) -> str | bytes | None:
    """The key given by option, or None (the configured or the demo key)."""
    if key is not None and key_file is not None:
        raise usage_error("give --key or --key-file, not both")
    if key_file is not None:
        try:
            return read_key_file(key_file)
        except OSError as exc:
            raise usage_error(f"cannot read --key-file {key_file}: {exc.strerror or exc}") from None
        except ValueError as exc:
            raise usage_error(f"--key-file: {exc}") from None
    if key is not None and not key:
        raise usage_error("--key must not be empty")
    return key


def _check_installed() -> None:
    try:
        import pixelproof.watermark._files  # noqa: F401
    except ImportError as exc:
        raise usage_error(str(exc)) from None


def _print_row(row: Row[Any]) -> None:
    from ._text import stdout

    result = row.result
    if result is None:
        print_error_row(row)
    elif isinstance(result, MarkedImage):
        stdout.print(f"{row.path}  -> {result.output}  message {result.message}", markup=False)
    elif result.detected:
        stdout.print(
            f"{row.path}  watermark found: message {result.message} (p = {result.p_value:.1e})",
            markup=False,
            style="bold cyan",
        )
    else:
        stdout.print(f"{row.path}  no watermark (p = {result.p_value:.2g})", markup=False)


@app.command("embed")
@reads_images
def embed(
    inputs: Inputs,
    out_dir: Annotated[
        Path, typer.Option("--out-dir", help="Folder for the marked images (same file stem).")
    ],
    message: Annotated[
        str, typer.Option("--message", help="The 32-bit payload: up to 8 hexadecimal digits.")
    ],
    key: KeyOption = None,
    key_file: KeyFileOption = None,
    strength: Annotated[
        float, typer.Option(min=0.1, max=4.0, help="Mark strength (1 = about 40-41 dB PSNR).")
    ] = 1.0,
    output_format: Annotated[
        str,
        typer.Option(
            "--format",
            help="png (lossless, default), jpeg, webp, tiff, or auto (keep the input's format).",
        ),
    ] = "png",
    quality: Annotated[int, typer.Option(min=1, max=100, help="JPEG/WebP quality.")] = 95,
    json_output: JsonFlag = False,
    *,
    settings: Settings,
    workers: int,
) -> None:
    """Write a watermarked copy of each image into --out-dir."""
    _check_installed()
    from ..watermark._message import bits_to_hex, message_bits

    try:
        hex_message = bits_to_hex(message_bits(message))
    except (TypeError, ValueError) as exc:
        raise usage_error(f"--message: {exc}") from None
    fmt_name = output_format.strip().lower()
    if fmt_name not in ("png", "jpeg", "jpg", "webp", "tiff", "tif", "auto"):
        raise usage_error("--format must be png, jpeg, webp, tiff or auto")
    settings = configured(settings, watermark_key=_key(key, key_file))
    expanded = gather_inputs(inputs)
    task = EmbedTask(str(out_dir), hex_message, strength, fmt_name, quality)
    rows = run(task, expanded, settings=settings, workers=workers)
    raise emit_rows(
        write_marked(rows, expanded.files),
        total=expanded.row_count,
        description="embedding",
        json_output=json_output,
        render=_print_row,
    )


@app.command("detect")
@reads_images
def detect(
    inputs: Inputs,
    key: KeyOption = None,
    key_file: KeyFileOption = None,
    threshold: Annotated[
        float, typer.Option(help="Largest p-value reported as a detection (false-positive rate).")
    ] = 1e-6,
    stable_diffusion: Annotated[
        bool,
        typer.Option(
            "--stable-diffusion",
            help="Also read the invisible mark of Stable Diffusion's reference pipelines.",
        ),
    ] = False,
    json_output: JsonFlag = False,
    *,
    settings: Settings,
    workers: int,
) -> None:
    """Look for a watermark made with the key in each image; print what it says."""
    _check_installed()
    if not (0.0 < threshold < 1.0):
        raise usage_error("--threshold must be between 0 and 1")
    settings = configured(settings, watermark_key=_key(key, key_file))
    expanded = gather_inputs(inputs)
    task = DetectTask(threshold=threshold, stable_diffusion=stable_diffusion)
    raise emit_rows(
        run(task, expanded, settings=settings, workers=workers),
        total=expanded.row_count,
        description="detecting",
        json_output=json_output,
        render=_print_row,
    )


__all__ = ["app"]
