"""The one vocabulary of errors that every command's rows use.

Each failure becomes an ``error_type`` from :class:`ErrorType` and a plain-language
``error`` message. The loader's own codes (:mod:`pixelproof.io`) are members too, so a
row's ``error_type`` says the same thing whichever command printed it.
"""

from __future__ import annotations

from enum import StrEnum

from ..io import ImageLoadError, UnsafeOutputError


class ErrorType(StrEnum):
    """Why an input has no result (the ``error_type`` of a JSON row)."""

    NOT_FOUND = "not_found"
    """No such file, or a glob pattern that matched nothing."""
    NOT_A_FILE = "not_a_file"
    """A folder where a file was expected."""
    NOT_A_REGULAR_FILE = "not_a_regular_file"
    """A FIFO, device or socket: never read."""
    PERMISSION_DENIED = "permission_denied"
    READ_ERROR = "read_error"
    """The operating system could not read the file."""
    EMPTY_FILE = "empty_file"
    FILE_TOO_LARGE = "file_too_large"
    TOO_MANY_PIXELS = "too_many_pixels"
    """Declared dimensions above the pixel limit (decompression-bomb guard)."""
    UNSUPPORTED_FORMAT = "unsupported_format"
    """Not an image format pixelproof reads."""
    MISSING_DECODER = "missing_decoder"
    """A recognised format whose optional decoder is not installed."""
    CORRUPT_IMAGE = "corrupt_image"
    """Truncated or damaged compressed data."""
    TIMEOUT = "timeout"
    """The input took longer than the per-input time limit."""
    TOO_LARGE = "too_large"
    """The input needed more memory than the per-worker limit."""
    WORKER_CRASHED = "worker_crashed"
    """The process analysing the input died (a decoder crash)."""
    ANALYSIS_ERROR = "analysis_error"
    """The image was read, but the analysis failed on it."""
    OUTPUT_ERROR = "output_error"
    """A result file (marked image, heat-map) could not be written."""
    UNSAFE_OUTPUT = "unsafe_output"
    """A result file would replace an input or write through a symbolic link: refused."""
    NAME_COLLISION = "name_collision"
    """Two inputs would write the same output file."""
    NOT_IN_INDEX = "not_in_index"
    """``index remove``: nothing in the index matches."""


def classify(exc: BaseException) -> tuple[ErrorType, str]:
    """The error type and message of an exception raised while handling one input."""
    if isinstance(exc, ImageLoadError):
        return _loader_type(exc.code), exc.message
    if isinstance(exc, UnsafeOutputError):
        return ErrorType.UNSAFE_OUTPUT, str(exc)
    if isinstance(exc, FileNotFoundError):
        return ErrorType.NOT_FOUND, "no such file"
    if isinstance(exc, IsADirectoryError):
        return ErrorType.NOT_A_FILE, "is a folder, not a file"
    if isinstance(exc, PermissionError):
        return ErrorType.PERMISSION_DENIED, "permission denied"
    if isinstance(exc, OSError):
        return ErrorType.READ_ERROR, f"cannot read file: {exc.strerror or exc}"
    if isinstance(exc, MemoryError):
        return ErrorType.TOO_LARGE, "ran out of memory on this input"
    return ErrorType.ANALYSIS_ERROR, f"{type(exc).__name__}: {exc}"


def _loader_type(code: str) -> ErrorType:
    try:
        return ErrorType(code)
    except ValueError:  # a loader error added without its member here: still one vocabulary
        return ErrorType.CORRUPT_IMAGE
