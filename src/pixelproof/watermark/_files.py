"""File helpers: mark an image file keeping its format and metadata, or check one."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from PIL import Image, PngImagePlugin

from ..io import LoadedImage, LoadLimits, load_image
from ._api import DEFAULT_KEY, DEFAULT_THRESHOLD, WatermarkResult, detect, embed
from ._message import Message

_EXTENSIONS = {
    ".png": "PNG",
    ".jpg": "JPEG",
    ".jpeg": "JPEG",
    ".webp": "WEBP",
    ".tif": "TIFF",
    ".tiff": "TIFF",
}
OUTPUT_FORMATS = ("PNG", "JPEG", "WEBP", "TIFF")
_ORIENTATION_TAG = 0x0112


def output_format(requested: str | None, destination: Path, source_format: str) -> str:
    """The format to write: as requested, else from the extension, else PNG.

    ``requested`` may be ``"auto"`` (keep the source's format when it can be written,
    else PNG) or a format name.
    """
    if requested is not None and requested.lower() != "auto":
        name = requested.upper().replace("JPG", "JPEG")
        if name not in OUTPUT_FORMATS:
            raise ValueError(f"format must be one of {', '.join(OUTPUT_FORMATS)} or auto")
        return name
    if requested is None and destination.suffix.lower() in _EXTENSIONS:
        return _EXTENSIONS[destination.suffix.lower()]
    if requested is not None and source_format in OUTPUT_FORMATS:
        return source_format
    return "PNG"


def extension_for(fmt: str) -> str:
    return {"PNG": ".png", "JPEG": ".jpg", "WEBP": ".webp", "TIFF": ".tif"}[fmt]


def embed_file(
    source: str | Path | bytes,
    destination: str | Path,
    message: Message,
    *,
    key: str | bytes = DEFAULT_KEY,
    strength: float = 1.0,
    format: str | None = None,
    quality: int = 95,
    limits: LoadLimits | None = None,
) -> Path:
    """Mark an image file and write the result, keeping its metadata.

    Parameters
    ----------
    source : path or bytes
        The image to mark (any format :func:`pixelproof.io.load_image` reads).
    destination : path
        Where to write. Its extension picks the format unless ``format`` is given.
    message, key, strength
        As for :func:`pixelproof.watermark.embed`.
    format : str, optional
        ``"PNG"`` (lossless, the default), ``"JPEG"``, ``"WEBP"``, ``"TIFF"``, or
        ``"auto"`` to keep the source's format.
    quality : int, optional
        JPEG/WebP quality, 1-100 (95 by default).
    limits : LoadLimits, optional
        Decoding limits for the source.

    Returns
    -------
    Path
        The file written.

    Notes
    -----
    EXIF (with the orientation reset, since the pixels are stored upright), the ICC
    profile, XMP, DPI and PNG text chunks are copied. Grey images stay grey;
    transparency is kept untouched (JPEG cannot store it, so it is refused there).
    """
    loaded = load_image(source, limits=limits)
    target = Path(destination)
    fmt = output_format(format, target, loaded.format)
    data = marked_file_bytes(loaded, message, key=key, strength=strength, fmt=fmt, quality=quality)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    return target


def marked_file_bytes(
    loaded: LoadedImage,
    message: Message,
    *,
    key: str | bytes = DEFAULT_KEY,
    strength: float = 1.0,
    fmt: str = "PNG",
    quality: int = 95,
) -> bytes:
    """The marked image encoded as a file of format ``fmt``, metadata kept.

    See :func:`embed_file` for what is copied; this is its in-memory core, for callers
    that decode once and write the file themselves.
    """
    if not 1 <= int(quality) <= 100:
        raise ValueError(f"quality must be in [1, 100], got {quality}")
    if fmt == "JPEG" and loaded.alpha is not None:
        raise ValueError("the image has transparency, which JPEG cannot store: use PNG or WEBP")
    marked = embed(loaded, message, key=key, strength=strength)
    picture = _to_pil(marked, grey=_is_grey(loaded))
    buffer = io.BytesIO()
    picture.save(buffer, format=fmt, **_save_options(loaded, fmt, int(quality)))
    return buffer.getvalue()


def detect_file(
    path: str | Path | bytes,
    *,
    key: str | bytes = DEFAULT_KEY,
    threshold: float = DEFAULT_THRESHOLD,
    limits: LoadLimits | None = None,
) -> WatermarkResult:
    """:func:`pixelproof.watermark.detect` on a file, decoded safely."""
    return detect(load_image(path, limits=limits), key=key, threshold=threshold)


def _is_grey(loaded: LoadedImage) -> bool:
    return loaded.mode in ("1", "L", "LA", "La", "I", "I;16", "I;16B", "I;16L", "F")


def _to_pil(marked: NDArray[Any], *, grey: bool) -> Image.Image:
    if grey:
        if marked.shape[2] == 4:
            return Image.fromarray(np.ascontiguousarray(marked[..., [0, 3]]), "LA")
        return Image.fromarray(np.ascontiguousarray(marked[..., 0]), "L")
    mode = "RGBA" if marked.shape[2] == 4 else "RGB"
    return Image.fromarray(np.ascontiguousarray(marked), mode)


def _save_options(loaded: LoadedImage, fmt: str, quality: int) -> dict[str, Any]:
    options: dict[str, Any] = {}
    if loaded.icc_profile:
        options["icc_profile"] = loaded.icc_profile
    exif = _upright_exif(loaded.exif)
    if exif:
        options["exif"] = exif
    if loaded.xmp and fmt in ("JPEG", "PNG", "WEBP"):
        options["xmp"] = loaded.xmp
    dpi = loaded.info.get("dpi")
    if isinstance(dpi, tuple) and len(dpi) == 2 and fmt in ("PNG", "JPEG", "TIFF"):
        options["dpi"] = tuple(round(float(v)) for v in dpi)
    if fmt == "JPEG" or fmt == "WEBP":
        options["quality"] = quality
    elif fmt == "PNG":
        text = PngImagePlugin.PngInfo()
        added = False
        for name, value in loaded.info.items():
            if isinstance(value, str) and name.isprintable() and len(name) < 80:
                text.add_text(name, value)
                added = True
        if added:
            options["pnginfo"] = text
    return options


def _upright_exif(blob: bytes | None) -> bytes | None:
    """The EXIF block with its orientation set to 1 (pixels are written upright)."""
    if not blob:
        return None
    try:
        exif = Image.Exif()
        exif.load(blob)
        if exif.get(_ORIENTATION_TAG, 1) != 1:
            exif[_ORIENTATION_TAG] = 1
        return bytes(exif.tobytes())
    except Exception:  # unreadable EXIF is dropped rather than copied half-parsed
        return None
