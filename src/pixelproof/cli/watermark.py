"""``pixelproof watermark embed|detect``: add or look for an invisible, keyed watermark."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated, Any

import typer

from ..io import ImageLoadError
from ._common import (
    DEFAULT_MAX_FILE_MB,
    DEFAULT_PIXELS,
    Inputs,
    JsonFlag,
    MaxFileMb,
    MaxPixels,
    emit_rows,
    gather_inputs,
    limits_from,
    print_json,
    stderr,
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
        help="Secret key (text). Without --key or --key-file the public demo key is used.",
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


def _key(key: str | None, key_file: Path | None) -> str | bytes:
    from ..watermark import DEFAULT_KEY

    if key is not None and key_file is not None:
        raise usage_error("give --key or --key-file, not both")
    if key_file is not None:
        try:
            data = key_file.read_bytes()
        except OSError as exc:
            raise usage_error(f"cannot read --key-file {key_file}: {exc.strerror or exc}") from None
        data = data[:-1] if data.endswith(b"\n") else data
        data = data[:-1] if data.endswith(b"\r") else data
        if not data:
            raise usage_error(f"--key-file {key_file} is empty")
        return data
    if key is not None:
        if not key:
            raise usage_error("--key must not be empty")
        return key
    return DEFAULT_KEY


def _library() -> Any:
    try:
        import pixelproof.watermark._files as files
    except ImportError as exc:
        raise usage_error(str(exc)) from None
    return files


def _failure(path: str, exc: BaseException) -> dict[str, Any]:
    if isinstance(exc, ImageLoadError):
        return {"path": path, "error": exc.message, "error_type": exc.code}
    if isinstance(exc, FileNotFoundError):
        return {"path": path, "error": "no such file", "error_type": "not_found"}
    if isinstance(exc, IsADirectoryError):
        return {"path": path, "error": "is a folder, not a file", "error_type": "not_a_file"}
    if isinstance(exc, PermissionError):
        return {"path": path, "error": "permission denied", "error_type": "permission_denied"}
    if isinstance(exc, OSError):
        return {
            "path": path,
            "error": f"cannot read or write: {exc.strerror or exc}",
            "error_type": "io_error",
        }
    if isinstance(exc, ValueError):
        return {"path": path, "error": str(exc), "error_type": "invalid_image"}
    return {"path": path, "error": f"{type(exc).__name__}: {exc}", "error_type": "internal_error"}


def _emit(row: dict[str, Any], json_output: bool) -> None:
    if json_output:
        print_json(row)
        return
    from ._text import stdout

    path = row["path"]
    if "error" in row:
        stdout.print(
            f"{path}  error ({row['error_type']}): {row['error']}", markup=False, style="red"
        )
    elif "output" in row:
        stdout.print(f"{path}  -> {row['output']}  message {row['message']}", markup=False)
    elif row["detected"]:
        stdout.print(
            f"{path}  watermark found: message {row['message']} (p = {row['p_value']:.1e})",
            markup=False,
            style="bold cyan",
        )
    else:
        stdout.print(f"{path}  no watermark (p = {row['p_value']:.2g})", markup=False)


@app.command("embed")
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
    max_pixels: MaxPixels = DEFAULT_PIXELS,
    max_file_mb: MaxFileMb = DEFAULT_MAX_FILE_MB,
) -> None:
    """Write a watermarked copy of each image into --out-dir."""
    files = _library()
    from ..watermark._message import bits_to_hex, message_bits

    try:
        hex_message = bits_to_hex(message_bits(message))
    except (TypeError, ValueError) as exc:
        raise usage_error(f"--message: {exc}") from None
    fmt_name = output_format.strip().lower()
    if fmt_name not in ("png", "jpeg", "jpg", "webp", "tiff", "tif", "auto"):
        raise usage_error("--format must be png, jpeg, webp, tiff or auto")
    secret = _key(key, key_file)
    limits = limits_from(max_pixels, max_file_mb)
    expanded = gather_inputs(inputs)
    written: set[Path] = set()
    raise emit_rows(
        (
            _embed_one(
                files,
                path,
                out_dir,
                fmt_name,
                secret,
                hex_message,
                strength,
                quality,
                limits,
                written,
            )
            for path in expanded.files
        ),
        total=len(expanded.files),
        description="embedding",
        missing=expanded.missing,
        emit=lambda row: _emit(row, json_output),
    )


def _embed_one(
    files: Any,
    path: str,
    out_dir: Path,
    fmt_name: str,
    key: str | bytes,
    hex_message: str,
    strength: float,
    quality: int,
    limits: Any,
    written: set[Path],
) -> dict[str, Any]:
    from ..io import load_image

    try:
        loaded = load_image(path, limits=limits)
        fmt = files.output_format(fmt_name, Path(path), loaded.format)
        target = out_dir / (Path(path).stem + files.extension_for(fmt))
        if target in written:
            return {
                "path": path,
                "error": f"another input was already written to {target}",
                "error_type": "name_collision",
            }
        files.embed_file(
            loaded.data,
            target,
            hex_message,
            key=key,
            strength=strength,
            format=fmt,
            quality=quality,
            limits=limits,
        )
        written.add(target)
    except Exception as exc:  # reported as a row; never a traceback
        return _failure(path, exc)
    return {
        "path": path,
        "output": str(target),
        "message": hex_message,
        "method": _method(),
        "format": fmt,
    }


def _method() -> str:
    from ..watermark import METHOD

    return str(METHOD)


@app.command("detect")
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
    max_pixels: MaxPixels = DEFAULT_PIXELS,
    max_file_mb: MaxFileMb = DEFAULT_MAX_FILE_MB,
) -> None:
    """Look for a watermark made with the key in each image; print what it says."""
    files = _library()
    if not (0.0 < threshold < 1.0):
        raise usage_error("--threshold must be between 0 and 1")
    secret = _key(key, key_file)
    limits = limits_from(max_pixels, max_file_mb)
    expanded = gather_inputs(inputs)
    raise emit_rows(
        (
            _detect_one(files, path, secret, threshold, stable_diffusion, limits)
            for path in expanded.files
        ),
        total=len(expanded.files),
        description="detecting",
        missing=expanded.missing,
        emit=lambda row: _emit(row, json_output),
    )


def _detect_one(
    files: Any, path: str, key: str | bytes, threshold: float, sd: bool, limits: Any
) -> dict[str, Any]:
    from ..io import load_image

    try:
        loaded = load_image(path, limits=limits)
        result = files.detect(loaded, key=key, threshold=threshold)
        row: dict[str, Any] = {
            "path": path,
            "detected": result.detected,
            "message": result.message,
            "p_value": _finite(result.p_value),
            "method": result.method,
            "bit_confidence": _finite(min(result.bit_confidences, default=0.5)),
        }
        if sd:
            from ..watermark import read_stable_diffusion_mark

            mark = read_stable_diffusion_mark(loaded, threshold=threshold)
            row["stable_diffusion"] = {
                "detected": mark.detected,
                "variant": mark.message,
                "p_value": _finite(mark.p_value),
            }
    except Exception as exc:  # reported as a row; never a traceback
        return _failure(path, exc)
    return row


def _finite(value: float) -> float:
    return float(value) if math.isfinite(value) else 1.0


__all__ = ["app", "stderr"]
