"""Recognize image containers from their first bytes, independent of file names."""

from __future__ import annotations

from pathlib import Path

from ._files import read_head

# Format names follow Pillow's ``Image.format`` so the two can be compared directly.
_EXTENSION_FORMATS: dict[str, str] = {
    ".jpg": "JPEG",
    ".jpeg": "JPEG",
    ".jpe": "JPEG",
    ".jfif": "JPEG",
    ".png": "PNG",
    ".apng": "PNG",
    ".webp": "WEBP",
    ".tif": "TIFF",
    ".tiff": "TIFF",
    ".bmp": "BMP",
    ".dib": "BMP",
    ".gif": "GIF",
    ".heic": "HEIF",
    ".heif": "HEIF",
    ".hif": "HEIF",
    ".avif": "AVIF",
}

IMAGE_EXTENSIONS = frozenset(_EXTENSION_FORMATS)

_HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1"}
_AVIF_BRANDS = {b"avif", b"avis"}


def sniff_format(head: bytes) -> str | None:
    """Return the container format that ``head`` (the first 32+ bytes) starts, or None."""
    if head.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WEBP"
    if head[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"):
        return "TIFF"
    if head.startswith(b"BM"):
        return "BMP"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "GIF"
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in _AVIF_BRANDS:
            return "AVIF"
        if brand in _HEIF_BRANDS:
            return "HEIF"
    return None


def format_from_extension(path: str | Path) -> str | None:
    """Return the format a file name claims, or None for unknown extensions."""
    return _EXTENSION_FORMATS.get(Path(path).suffix.lower())


def looks_like_image(path: Path) -> bool:
    """True when a file is worth offering to the loader: known extension or image magic.

    Used when expanding folders, so that READMEs are skipped but a PNG saved as
    ``photo.txt`` is still examined.
    """
    if path.suffix.lower() in IMAGE_EXTENSIONS:
        return True
    head = read_head(path, 32)  # None for FIFOs and devices, which are never opened
    return head is not None and sniff_format(head) is not None
