"""Safe image loading: decoded RGB pixels plus the file's forensic context.

>>> from pixelproof.io import load_image
>>> image = load_image("photo.jpg")            # doctest: +SKIP
>>> image.pixels.shape, image.format           # doctest: +SKIP
((512, 768, 3), 'JPEG')

Any accepted image input (path, bytes, Pillow image, array, LoadedImage) as RGB pixels:

>>> from PIL import Image
>>> from pixelproof.io import as_rgb
>>> as_rgb(Image.new("RGB", (3, 2), (255, 0, 0)))[0, 0].tolist()
[255, 0, 0]
"""

from ._convert import ImageInput, as_decoded, as_rgb
from ._errors import (
    CorruptImageError,
    EmptyFileError,
    FileTooLargeError,
    ImageLoadError,
    MissingDecoderError,
    NotARegularFileError,
    TooManyPixelsError,
    UnsafeOutputError,
    UnsupportedFormatError,
)
from ._jpeg import DctCoefficients, JpegInfo
from ._load import (
    DEFAULT_MAX_FILE_BYTES,
    DEFAULT_MAX_PIXELS,
    ImageSource,
    LoadedImage,
    LoadLimits,
    load_image,
    open_with_pixel_limit,
)
from ._sniff import IMAGE_EXTENSIONS, looks_like_image, sniff_format
from ._write import ProtectedFiles, check_output, write_output

__all__ = [
    "DEFAULT_MAX_FILE_BYTES",
    "DEFAULT_MAX_PIXELS",
    "IMAGE_EXTENSIONS",
    "CorruptImageError",
    "DctCoefficients",
    "EmptyFileError",
    "FileTooLargeError",
    "ImageInput",
    "ImageLoadError",
    "ImageSource",
    "JpegInfo",
    "LoadLimits",
    "LoadedImage",
    "MissingDecoderError",
    "NotARegularFileError",
    "ProtectedFiles",
    "TooManyPixelsError",
    "UnsafeOutputError",
    "UnsupportedFormatError",
    "as_decoded",
    "as_rgb",
    "check_output",
    "load_image",
    "looks_like_image",
    "open_with_pixel_limit",
    "sniff_format",
    "write_output",
]
