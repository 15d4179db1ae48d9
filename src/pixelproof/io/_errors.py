"""Typed errors for images that cannot be loaded or outputs that cannot be written safely.

Every error carries a stable machine-readable ``code`` (it becomes ``error_type`` in
JSON rows) and a plain-language message meant for the person reading the output.

Codes: ``empty_file``, ``file_too_large``, ``too_many_pixels``, ``unsupported_format``,
``missing_decoder``, ``corrupt_image``, ``not_a_regular_file`` (loading) and
``unsafe_output`` (writing). A folder given where a file is expected is not an
``ImageLoadError``: the loader raises ``IsADirectoryError``, which callers report as
``not_a_file``.
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
    """The file is larger than the configured byte limit.

    Judged by the bytes actually read (never more than the limit plus one), so a file
    whose reported size is wrong or that grows while it is read is still bounded.
    """

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


class NotARegularFileError(ImageLoadError):
    """The path names a named pipe (FIFO), a device or a socket, not a regular file.

    Refused from its file type alone, before any byte is read: a FIFO would block the
    reader forever and a device such as ``/dev/zero`` never ends.
    """

    code = "not_a_regular_file"


class CorruptImageError(ImageLoadError):
    """The file is truncated or its compressed data is damaged.

    Raised when the format's own integrity checks fail (PNG chunk CRCs, the zlib
    stream of PNG image data) or the decoder reports damage (libjpeg's "corrupt JPEG
    data" and "premature end" warnings, libwebp and Pillow decoder errors). Decoders
    can often "recover" from such damage by inventing pixels; pixelproof refuses,
    because forensic analyses of invented pixels would be misleading, unless the
    caller asks for ``LoadLimits(allow_damaged=True)``: then what can be decoded is
    loaded and ``LoadedImage.damage`` says what is wrong.
    """

    code = "corrupt_image"


class UnsafeOutputError(Exception):
    """An output file would be written somewhere it must not be.

    Raised by :func:`pixelproof.io.write_output` when the target is a symbolic link
    (writing would follow it), is one of the protected input files, or is not a
    regular file. Nothing has been written when it is raised.
    """

    code = "unsafe_output"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
