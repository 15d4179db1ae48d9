"""Typed errors for images that cannot be loaded safely.

Every error carries a stable machine-readable ``code`` (it becomes ``error_type`` in
JSON rows) and a plain-language message meant for the person reading the output.
"""

from __future__ import annotations


class ImageLoadError(Exception):
    """Base class: the input could not be turned into trustworthy pixels."""

    code = "load_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class EmptyFileError(ImageLoadError):
    """The file has zero bytes."""

    code = "empty_file"


class FileTooLargeError(ImageLoadError):
    """The file is larger than the configured byte limit."""

    code = "file_too_large"


class TooManyPixelsError(ImageLoadError):
    """The declared dimensions exceed the pixel limit (decompression-bomb guard).

    Raised from the header alone, before any pixel is decoded.
    """

    code = "too_many_pixels"


class UnsupportedFormatError(ImageLoadError):
    """The bytes are not an image format pixelproof can read."""

    code = "unsupported_format"


class MissingDecoderError(ImageLoadError):
    """The format is recognized but its optional decoder is not installed."""

    code = "missing_decoder"


class CorruptImageError(ImageLoadError):
    """The file is truncated or its compressed data is damaged.

    Decoders can often "recover" from such damage by inventing pixels; pixelproof
    refuses, because forensic analyses of invented pixels would be misleading.
    """

    code = "corrupt_image"
