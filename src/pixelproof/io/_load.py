"""Safe decoding of untrusted image files into RGB pixels plus their forensic context."""

from __future__ import annotations

import hashlib
import io
import os
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageCms, ImageFile, UnidentifiedImageError

from ._errors import (
    CorruptImageError,
    EmptyFileError,
    FileTooLargeError,
    ImageLoadError,
    MissingDecoderError,
    TooManyPixelsError,
    UnsupportedFormatError,
)
from ._files import read_regular_file
from ._integrity import png_damage
from ._jpeg import JpegInfo, jpeg_info
from ._sniff import format_from_extension, sniff_format

DEFAULT_MAX_PIXELS = 100_000_000
DEFAULT_MAX_FILE_BYTES = 512 * 1024 * 1024

ImageSource = str | Path | bytes

# Only these decoders are ever offered untrusted bytes: Pillow's other plug-ins (EPS
# through Ghostscript, for one) are attack surface pixelproof does not need.
_PILLOW_FORMATS = ("JPEG", "MPO", "PNG", "WEBP", "TIFF", "BMP", "DIB", "GIF", "HEIF", "AVIF")
# Pillow's decompression-bomb limit and truncated-image switch are process-wide; the
# loader changes them only while holding this lock, and restores them.
_PILLOW_LOCK = threading.RLock()
# What decoders raise for damaged data: almost any type. Pillow's plug-ins and
# pillow-heif raise OSError and ValueError, but also IndexError (a GIF cut inside its
# second frame), TypeError (a TIFF whose strip offsets are text), RuntimeError
# (libheif's errors and security limits)... While they parse or decode the untrusted
# file, any exception means that it cannot be decoded.
_DECODE_ERRORS = (Exception,)
_DECODER_PACKAGES = (f"{os.sep}PIL{os.sep}", f"{os.sep}pillow_heif{os.sep}")
# What Pillow's warnings say when the file itself is malformed (its EXIF/TIFF directory
# parser, APNG and ICO readers); other warnings (palette transparency...) are not damage.
_DAMAGE_SIGNS = (
    "corrupt",
    "larger than file",
    "offset too large",
    "too many entries",
    "invalid apng",
    "not the expected size",
    "truncated",
)


@dataclass(frozen=True)
class LoadLimits:
    """Resource limits enforced before an image is decoded, and the damage policy.

    Parameters
    ----------
    max_pixels : int
        Largest accepted width x height (default 100 megapixels).
    max_file_bytes : int
        Largest accepted file size (default 512 MiB), counted in bytes actually read.
    allow_damaged : bool
        Load what can be decoded from a file whose integrity checks fail or whose
        decoder reports damage, instead of raising ``CorruptImageError`` (the
        default). The result says so in ``LoadedImage.damage`` and in a warning
        starting with ``"damaged:"``. Files that cannot be decoded at all are still
        refused.
    """

    max_pixels: int = DEFAULT_MAX_PIXELS
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES
    allow_damaged: bool = False

    def __post_init__(self) -> None:
        if self.max_pixels <= 0:
            raise ValueError(f"max_pixels must be positive, got {self.max_pixels}")
        if self.max_file_bytes <= 0:
            raise ValueError(f"max_file_bytes must be positive, got {self.max_file_bytes}")


@dataclass
class LoadedImage:
    """Decoded pixels of one image and what forensic analyses need from its file.

    Attributes
    ----------
    pixels : (H, W, 3) uint8 ndarray
        RGB pixels, EXIF orientation applied. Alpha is not composited: see ``alpha``.
    source : str
        The path it came from, or ``"<bytes>"``.
    data : bytes
        The file's raw bytes, untouched.
    format : str
        Container format detected from the content (``"JPEG"``, ``"PNG"``, ...).
    stored_width, stored_height : int
        Dimensions as stored in the file, before orientation.
    mode : str
        Pillow mode of the decoded file before normalization (``"CMYK"``, ``"I;16"``...).
    bit_depth : int
        Bits per sample in the file (8 for most images, 16 for 16-bit PNG/TIFF).
    alpha : (H, W) uint8 ndarray or None
        The transparency channel, oriented like ``pixels``, when the file has one.
    orientation : int
        EXIF orientation tag that was applied (1 = none).
    exif, xmp, icc_profile : bytes or None
        Raw metadata blobs as found in the file.
    info : dict
        Other container-level metadata Pillow exposes (PNG text chunks, DPI, ...).
    jpeg : JpegInfo or None
        Quantization tables, subsampling and lazy DCT coefficients for JPEG files.
    normalization : list of str
        Every conversion applied to reach 8-bit RGB, in plain words.
    warnings : list of str
        Problems that did not prevent loading (wrong extension, unreadable EXIF, ...).
        With ``allow_damaged``, one of them starts with ``"damaged:"``.
    damage : str or None
        What the integrity checks or the decoder found wrong, when the file was
        loaded despite damage (``LoadLimits(allow_damaged=True)``); None for an
        intact file. Pixels of a damaged file may be partly invented by the decoder.
    """

    pixels: NDArray[np.uint8]
    source: str
    data: bytes = field(repr=False)
    format: str
    stored_width: int
    stored_height: int
    mode: str
    bit_depth: int
    alpha: NDArray[np.uint8] | None = field(repr=False)
    orientation: int
    exif: bytes | None = field(repr=False)
    xmp: bytes | None = field(repr=False)
    icc_profile: bytes | None = field(repr=False)
    info: dict[str, Any] = field(repr=False)
    jpeg: JpegInfo | None = field(repr=False)
    normalization: list[str]
    warnings: list[str]
    damage: str | None = None

    @property
    def damaged(self) -> bool:
        """Whether the file failed an integrity check but was loaded anyway."""
        return self.damage is not None

    @property
    def height(self) -> int:
        """Height of ``pixels`` (after orientation)."""
        return int(self.pixels.shape[0])

    @property
    def width(self) -> int:
        """Width of ``pixels`` (after orientation)."""
        return int(self.pixels.shape[1])

    @property
    def has_alpha(self) -> bool:
        return self.alpha is not None

    @cached_property
    def sha256(self) -> str:
        """SHA-256 of the file's bytes, hex."""
        return hashlib.sha256(self.data).hexdigest()

    def to_pil(self) -> Image.Image:
        """The RGB pixels as a Pillow image (a copy)."""
        return Image.fromarray(self.pixels, "RGB")


def load_image(source: ImageSource, *, limits: LoadLimits | None = None) -> LoadedImage:
    """Decode an untrusted image file safely.

    Parameters
    ----------
    source : str, Path or bytes
        A file path or the file's bytes. Only regular files are read (a link to one
        is followed); FIFOs, devices and sockets are refused without being opened.
    limits : LoadLimits, optional
        Pixel-count and file-size limits, checked before decoding, and whether a
        damaged file may be loaded anyway (``allow_damaged``).

    Returns
    -------
    LoadedImage

    Raises
    ------
    ImageLoadError
        A subclass naming what is wrong: ``EmptyFileError``, ``FileTooLargeError``,
        ``TooManyPixelsError``, ``UnsupportedFormatError``, ``MissingDecoderError``,
        ``NotARegularFileError`` or ``CorruptImageError`` (integrity check failed or
        the decoder reported damage). ``IsADirectoryError`` for a folder, and other
        ``OSError`` when a path cannot be read.
    """
    limits = limits or LoadLimits()
    data, name = _read_source(source, limits)
    warns: list[str] = []
    damage: list[str] = []

    sniffed = sniff_format(data[:32])
    if sniffed in ("HEIF", "AVIF"):
        _register_heif()
    with _decoder_warnings(warns):
        image = _open(data, limits)
        try:
            fmt = image.format or sniffed or "unknown"
            if fmt == "MPO":  # multi-picture JPEG (e.g. stereo or depth): the first picture
                fmt = "JPEG"
            claimed = format_from_extension(name) if name != "<bytes>" else None
            if claimed and claimed != fmt:
                suffix = Path(name).suffix
                warns.append(
                    f"file extension {suffix!r} suggests {claimed}, but the content is {fmt}"
                )
            stored_w, stored_h = image.size
            mode = image.mode
            bit_depth = _bit_depth(image, data)

            # Integrity first, then the pixels, then the metadata: Pillow reads some
            # metadata (PNG eXIf after the image data) by decoding the whole image, and
            # must not get the chance to swallow a decoding error there.
            if fmt == "PNG":
                _note_damage(damage, _png_integrity(data), limits)
            jpeg_pixels: NDArray[np.uint8] | None = None
            if fmt == "JPEG":
                fast = mode in ("RGB", "L")  # decoded by libjpeg-turbo directly
                decoded, complaint = _decode_jpeg(data, "RGB" if fast else "CMYK", limits)
                _note_damage(damage, complaint, limits)
                jpeg_pixels = decoded if fast else None
            if jpeg_pixels is None:
                image, complaint = _load_with_pillow(image, data, limits)
                _note_damage(damage, complaint, limits)

            notes: list[str] = []
            exif_blob, orientation = _exif_and_orientation(image, fmt, warns)
            xmp = _xmp(image)
            icc = image.info.get("icc_profile") or None
            blobs = ("exif", "icc_profile", "xmp")
            info = {str(k): v for k, v in image.info.items() if k not in blobs}
            jpeg = jpeg_info(image, data) if fmt == "JPEG" else None

            if jpeg_pixels is not None:
                rgb, alpha = jpeg_pixels, None
            else:
                rgb, alpha = _pillow_to_rgb(image, bit_depth, icc, notes)
            stored_w, stored_h = _decoded_size(rgb, (stored_w, stored_h), damage, limits)
            # Last: finding out seeks to the second frame, which may be damaged.
            animated, complaint = _is_animated(image)
            _note_damage(damage, complaint, limits)
            if animated:
                notes.insert(0, "animated image: the first frame was used")
        finally:
            image.close()

    rgb, alpha = _orient(rgb, orientation), _orient(alpha, orientation)
    if orientation != 1:
        notes.append(f"EXIF orientation {orientation} applied")
    if damage:
        warns.append(
            "damaged: loaded despite damage, some pixels may be invented by the decoder ("
            + "; ".join(damage)
            + ")"
        )
    return LoadedImage(
        pixels=np.ascontiguousarray(rgb),
        source=name,
        data=data,
        format=fmt,
        stored_width=stored_w,
        stored_height=stored_h,
        mode=mode,
        bit_depth=bit_depth,
        alpha=None if alpha is None else np.ascontiguousarray(alpha),
        orientation=orientation,
        exif=exif_blob,
        xmp=xmp,
        icc_profile=icc,
        info=info,
        jpeg=jpeg,
        normalization=notes,
        warnings=warns,
        damage="; ".join(damage) if damage else None,
    )


@contextmanager
def _decoder_warnings(warns: list[str]) -> Iterator[None]:
    """Turn what Pillow warns about the file (corrupt EXIF data...) into image warnings.

    Those warnings describe the untrusted file, so they belong in its result, not on
    stderr; warnings from anywhere else are passed on unchanged.
    """
    records: list[warnings.WarningMessage] = []
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                yield
            finally:
                records = list(caught)
    finally:
        for item in records:
            if any(part in item.filename for part in _DECODER_PACKAGES):
                message = _decoder_warning(str(item.message))
                if message not in warns:
                    warns.append(message)
            else:
                warnings.warn_explicit(item.message, item.category, item.filename, item.lineno)


def _decoder_warning(message: str) -> str:
    """The image warning for what Pillow warned: ``damaged:`` when it reports a
    malformed file (corrupt EXIF, a tag beyond the end of the file), so that every
    row of a file whose decoder reported damage says so, else ``decoder warning:``."""
    lowered = message.lower()
    if any(sign in lowered for sign in _DAMAGE_SIGNS):
        return f"damaged: malformed metadata or container, skipped by the decoder: {message}"
    return f"decoder warning: {message}"


def _note_damage(damage: list[str], complaint: str | None, limits: LoadLimits) -> None:
    """Refuse a damaged file, or record the damage when the caller allows it."""
    if complaint is None:
        return
    if not limits.allow_damaged:
        raise CorruptImageError(complaint)
    if complaint not in damage:
        damage.append(complaint)


def _png_integrity(data: bytes) -> str | None:
    problem = png_damage(data)
    return None if problem is None else f"PNG integrity check failed: {problem}"


def _read_source(source: ImageSource, limits: LoadLimits) -> tuple[bytes, str]:
    if isinstance(source, bytes | bytearray | memoryview):
        data, name = bytes(source), "<bytes>"
    else:
        data, name = read_regular_file(source, limits.max_file_bytes), str(source)
    if not data:
        raise EmptyFileError("file is empty (0 bytes)")
    if len(data) > limits.max_file_bytes:
        raise FileTooLargeError(
            f"data is {len(data) / 2**20:.1f} MiB, above the limit of "
            f"{limits.max_file_bytes / 2**20:.1f} MiB"
        )
    return data, name


def _register_heif() -> None:
    try:
        import pillow_heif
    except ImportError as exc:
        raise MissingDecoderError(
            "HEIC/HEIF/AVIF image, but no decoder is installed: pip install 'pixelproof[heif]'"
        ) from exc
    pillow_heif.register_heif_opener()


@contextmanager
def _pillow_settings(*, load_truncated: bool = False) -> Iterator[None]:
    """Pillow's process-wide settings for one step of the loader, under a lock.

    The loader's own pixel limit, checked from the header in :func:`_open`, replaces
    Pillow's fixed one (so ``max_pixels`` can be raised as well as lowered, and Pillow's
    ``DecompressionBombWarning``, which some plug-ins raise while decoding, never
    reaches stderr). ``load_truncated`` lets Pillow keep what it decoded of a damaged
    file, for ``allow_damaged`` only.
    """
    with _PILLOW_LOCK:
        saved = Image.MAX_IMAGE_PIXELS, ImageFile.LOAD_TRUNCATED_IMAGES
        Image.MAX_IMAGE_PIXELS, ImageFile.LOAD_TRUNCATED_IMAGES = None, load_truncated
        try:
            yield
        finally:
            Image.MAX_IMAGE_PIXELS, ImageFile.LOAD_TRUNCATED_IMAGES = saved


def _open(data: bytes, limits: LoadLimits) -> Image.Image:
    """Parse the header only, and refuse oversized images before any decoding."""
    try:
        with _pillow_settings():
            image = Image.open(io.BytesIO(data), formats=_registered_formats())
    except UnidentifiedImageError as exc:
        kind = sniff_format(data[:32])
        if kind is None:
            raise UnsupportedFormatError("not a recognized image format") from exc
        raise CorruptImageError(f"{kind} header is damaged and cannot be parsed") from exc
    except _DECODE_ERRORS as exc:
        raise CorruptImageError(f"image header cannot be parsed: {exc}") from exc
    width, height = image.size
    if width <= 0 or height <= 0:
        image.close()
        raise CorruptImageError(f"image declares invalid dimensions {width}x{height}")
    if width * height > limits.max_pixels:
        image.close()
        raise TooManyPixelsError(
            f"image is {width}x{height} = {width * height / 1e6:.1f} megapixels, above the "
            f"limit of {limits.max_pixels / 1e6:.1f} (raise it with --max-pixels if intended)"
        )
    return image


def open_with_pixel_limit(
    data: bytes, max_pixels: int, *, formats: list[str] | tuple[str, ...] | None = None
) -> Image.Image:
    """``Image.open`` of bytes pixelproof derived itself, under an explicit pixel limit.

    For decoding steps after the loader (pixels re-encoded by an analysis, an embedded
    EXIF thumbnail): Pillow's own decompression-bomb limit is replaced by
    ``max_pixels``, checked from the header, so Pillow's ``DecompressionBombWarning``
    never reaches stderr and an image the loader accepted is not refused by Pillow.
    Untrusted files go through :func:`load_image`.

    Raises
    ------
    TooManyPixelsError
        Width x height is above ``max_pixels``.
    OSError, SyntaxError, ValueError
        What ``Image.open`` raises for unreadable data.
    """
    with _pillow_settings():
        image = Image.open(io.BytesIO(data), formats=formats)
    width, height = image.size
    if width * height > max_pixels:
        image.close()
        raise TooManyPixelsError(
            f"image is {width}x{height}, above the limit of {max_pixels} pixels here"
        )
    return image


def _registered_formats() -> list[str]:
    Image.init()  # registers Pillow's plug-ins; HEIF/AVIF come from pillow-heif
    return [name for name in _PILLOW_FORMATS if name in Image.OPEN]


def _bit_depth(image: Image.Image, data: bytes) -> int:
    if image.format == "PNG" and len(data) > 24:
        return int(data[24])  # IHDR bit depth: the only place PNG states it
    if image.mode in ("I;16", "I;16B", "I;16L", "I;16N"):
        return 16
    if image.mode in ("I", "F"):
        return 32
    if image.mode == "1":
        return 1
    bits = image.info.get("bits")
    return int(bits) if isinstance(bits, int) else 8


def _exif_and_orientation(
    image: Image.Image, fmt: str, warns: list[str]
) -> tuple[bytes | None, int]:
    blob = image.info.get("exif")
    exif_blob = bytes(blob) if isinstance(blob, bytes | bytearray) and blob else None
    try:
        orientation = image.getexif().get(0x0112, 1)
    except Exception as exc:  # Pillow raises many types on malformed EXIF
        warns.append(f"EXIF could not be parsed ({type(exc).__name__}: {exc}); orientation ignored")
        return exif_blob, 1
    # HEIF stores rotation in the container (irot/imir), which the decoder already applied.
    if fmt in ("HEIF", "AVIF"):
        return exif_blob, 1
    if not isinstance(orientation, int) or not 1 <= orientation <= 8:
        warns.append(f"EXIF orientation {orientation!r} is not a valid value (1-8); ignored")
        return exif_blob, 1
    return exif_blob, orientation


def _decoded_size(
    rgb: NDArray[np.uint8], declared: tuple[int, int], damage: list[str], limits: LoadLimits
) -> tuple[int, int]:
    """The size of the decoded pixels, which must be the one the header declared.

    A file whose coded data disagree with its header (a HEIF whose image is smaller or
    larger than its declared extent, for one) is damaged; with ``allow_damaged`` the
    stored size becomes what was decoded, still within the pixel limit.
    """
    height, width = rgb.shape[:2]
    if (width, height) == declared:
        return declared
    _note_damage(
        damage,
        f"decoded size {width}x{height} differs from the {declared[0]}x{declared[1]} "
        "the header declares",
        limits,
    )
    if width * height > limits.max_pixels:
        raise TooManyPixelsError(
            f"image decodes to {width}x{height}, above the limit of {limits.max_pixels} pixels"
        )
    return width, height


def _is_animated(image: Image.Image) -> tuple[bool, str | None]:
    """Whether the file has more frames, and the decoder's complaint about the next one.

    Pillow reads the second frame's header to know (GIF, for one), and raises what its
    parser meets there (an ``IndexError`` for a GIF cut inside it, ...).
    """
    try:
        with _pillow_settings():
            return bool(getattr(image, "is_animated", False)), None
    except _DECODE_ERRORS as exc:
        return False, f"image data is truncated or damaged after the first frame: {exc!r}"


def _xmp(image: Image.Image) -> bytes | None:
    value = image.info.get("xmp") or image.info.get("XML:com.adobe.xmp")
    if isinstance(value, str):
        return value.encode("utf-8")
    return bytes(value) if value else None


_JPEG_CORRUPTION = ("corrupt", "premature", "truncated", "bogus", "invalid", "unexpected")


def _decode_jpeg(
    data: bytes, colorspace: str, limits: LoadLimits
) -> tuple[NDArray[np.uint8], str | None]:
    """Decode with libjpeg-turbo, treating its "recoverable" data warnings as damage.

    libjpeg warns, and invents pixels, for damaged entropy-coded data ("Corrupt JPEG
    data: N extraneous bytes before marker", "premature end of data segment"). Every
    such warning counts as damage: the files in the shared test photos, malformed
    EXIF included, decode without one, so the rule costs no real photo. Returns the
    pixels and the complaint, which is None for an intact file; with
    ``allow_damaged`` the pixels are what libjpeg recovered.
    """
    try:
        return _simplejpeg(data, colorspace, strict=True), None
    except ValueError as exc:
        message = str(exc)
        if any(word in message.lower() for word in _JPEG_CORRUPTION):
            complaint = f"damaged JPEG data: {message}"
        else:
            complaint = f"JPEG cannot be decoded: {message}"
    if not limits.allow_damaged:
        raise CorruptImageError(complaint)
    try:
        return _simplejpeg(data, colorspace, strict=False), complaint
    except ValueError as exc:
        raise CorruptImageError(f"{complaint} (nothing could be recovered)") from exc


def _simplejpeg(data: bytes, colorspace: str, *, strict: bool) -> NDArray[np.uint8]:
    import simplejpeg

    target = "GRAY" if colorspace == "RGB" and _is_gray_jpeg(data) else colorspace
    pixels = np.asarray(simplejpeg.decode_jpeg(data, colorspace=target, strict=strict))
    if pixels.ndim == 3 and pixels.shape[2] == 1:
        pixels = np.repeat(pixels, 3, axis=2)
    return pixels


def _is_gray_jpeg(data: bytes) -> bool:
    import simplejpeg

    return bool(simplejpeg.decode_jpeg_header(data)[2] == "Gray")


def _load_with_pillow(
    image: Image.Image, data: bytes, limits: LoadLimits
) -> tuple[Image.Image, str | None]:
    """Decode the first frame; return the loaded image and the decoder's complaint.

    Without ``allow_damaged`` a decoding error raises ``CorruptImageError``. With it,
    the file is opened again and decoded with Pillow's truncated-image tolerance, and
    the complaint is returned with whatever could be decoded.
    """
    try:
        with _pillow_settings():
            image.seek(0)
            image.load()
        return image, None
    except ImageLoadError:
        raise
    except _DECODE_ERRORS as exc:
        complaint = f"image data is truncated or damaged: {exc}"
    if not limits.allow_damaged:
        raise CorruptImageError(complaint)
    image.close()
    image = _open(data, limits)
    try:
        with _pillow_settings(load_truncated=True):
            image.seek(0)
            image.load()
    except _DECODE_ERRORS as exc:
        image.close()
        raise CorruptImageError(f"{complaint} (nothing could be recovered)") from exc
    return image, complaint


def _pillow_to_rgb(
    image: Image.Image, bit_depth: int, icc: bytes | None, notes: list[str]
) -> tuple[NDArray[np.uint8], NDArray[np.uint8] | None]:
    mode = image.mode
    alpha: NDArray[np.uint8] | None = None
    if mode == "P":
        palette_mode = image.palette.mode if image.palette is not None else ""
        has_transparency = "transparency" in image.info or palette_mode == "RGBA"
        try:
            image = image.convert("RGBA" if has_transparency else "RGB")
        except ValueError as exc:  # e.g. a tRNS chunk longer than the palette
            raise CorruptImageError(f"the palette cannot be applied: {exc}") from exc
        notes.append("palette expanded to RGB" + (" with alpha" if has_transparency else ""))
        mode = image.mode
    if mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        alpha = np.asarray(image.getchannel("A"), dtype=np.uint8)
        notes.append("alpha channel kept separately; colour used as stored, not composited")
    if mode in ("1", "L", "LA", "La"):
        rgb = np.asarray(image.convert("L"), dtype=np.uint8)
        notes.append("grayscale replicated to RGB" if mode != "1" else "1-bit expanded to RGB")
        return np.repeat(rgb[:, :, None], 3, axis=2), alpha
    if mode.startswith("I") or mode == "F":
        return _high_depth_gray(image, bit_depth, notes), alpha
    if mode in ("CMYK", "YCbCr", "LAB", "HSV"):
        return _to_rgb_colour_managed(image, icc, notes), alpha
    if mode == "RGB" and bit_depth > 8:
        notes.append(f"{bit_depth}-bit RGB reduced to 8 bits per channel")
    # An RGB image is read as it is: converting would copy it (4 bytes a pixel) first.
    rgb_image = image if mode == "RGB" else image.convert("RGB")
    return np.asarray(rgb_image, dtype=np.uint8), alpha


def _high_depth_gray(image: Image.Image, bit_depth: int, notes: list[str]) -> NDArray[np.uint8]:
    values = np.asarray(image).astype(np.float64)
    if image.mode == "F":
        low, high = float(np.nanmin(values)), float(np.nanmax(values))
        scaled = (values - low) / (high - low or 1.0) * 255.0
        notes.append(f"floating-point image stretched from [{low:g}, {high:g}] to 8 bits")
    else:
        depth = bit_depth if bit_depth in (16, 32) else 16
        scaled = values / float(2**depth - 1) * 255.0
        notes.append(f"{depth}-bit grayscale reduced to 8 bits and replicated to RGB")
    gray = np.clip(np.rint(np.nan_to_num(scaled)), 0, 255).astype(np.uint8)
    return np.repeat(gray[:, :, None], 3, axis=2)


def _to_rgb_colour_managed(
    image: Image.Image, icc: bytes | None, notes: list[str]
) -> NDArray[np.uint8]:
    if icc:
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            converted = ImageCms.profileToProfile(
                image, source, ImageCms.createProfile("sRGB"), outputMode="RGB"
            )
            if converted is not None:
                notes.append(f"{image.mode} converted to sRGB with the embedded ICC profile")
                return np.asarray(converted, dtype=np.uint8)
        except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
            notes.append("embedded ICC profile unusable")
    notes.append(f"{image.mode} converted to RGB without colour management")
    return np.asarray(image.convert("RGB"), dtype=np.uint8)


def _orient(array: Any, orientation: int) -> Any:
    """Apply an EXIF orientation (1-8) to an (H, W[, C]) array, as viewers display it."""
    if array is None or orientation == 1:
        return array
    swapped = np.swapaxes(array, 0, 1)
    return {
        2: lambda a: a[:, ::-1],
        3: lambda a: a[::-1, ::-1],
        4: lambda a: a[::-1, :],
        5: lambda a: swapped,
        6: lambda a: swapped[:, ::-1],
        7: lambda a: swapped[::-1, ::-1],
        8: lambda a: swapped[::-1, :],
    }[orientation](array)
