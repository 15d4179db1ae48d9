"""One image prepared for the analyses, with the work they share computed once."""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from ._common import Float32Array, luma

if TYPE_CHECKING:
    from ..io import DctCoefficients, JpegInfo, LoadedImage

# A flat graphic (see ImageContext.flat_graphic): a block is flat below this luma
# standard deviation; an image is a graphic when at least _GRAPHIC_FLAT of its blocks
# are flat and its 8 most common colours cover at least _GRAPHIC_COLOURS of it.
_FLAT_BLOCK_STD = 0.5
_GRAPHIC_FLAT = 0.45
_GRAPHIC_COLOURS = 0.7
_BAND_ROWS = 512  # pixel rows per step, so that a large image needs no full-size temporaries

ImageInput = Any  # str | Path | bytes | PIL.Image.Image | ndarray | LoadedImage | ImageContext


class ImageContext:
    """An RGB image plus its JPEG internals, and caches the analyses share.

    Parameters
    ----------
    pixels : (H, W, 3) uint8 ndarray
        The image as displayed (EXIF orientation applied). Not modified.
    jpeg : JpegInfo, optional
        JPEG internals when the file is a JPEG (quantization tables, DCT).
    orientation : int
        EXIF orientation that was applied to the stored pixels (1 = none).
    """

    def __init__(
        self, pixels: NDArray[np.uint8], *, jpeg: JpegInfo | None = None, orientation: int = 1
    ) -> None:
        array = np.asarray(pixels)
        if array.ndim != 3 or array.shape[2] != 3 or array.dtype != np.uint8:
            raise ValueError(
                f"pixels must be an (H, W, 3) uint8 array, got {array.dtype} {array.shape}"
            )
        self.pixels: NDArray[np.uint8] = array
        self.jpeg = jpeg
        self.orientation = orientation
        self._recompressed: dict[int, NDArray[np.uint8]] = {}
        self.cache: dict[str, Any] = {}

    @classmethod
    def from_loaded(cls, image: LoadedImage) -> ImageContext:
        return cls(image.pixels, jpeg=image.jpeg, orientation=image.orientation)

    @property
    def size(self) -> tuple[int, int]:
        """``(width, height)``."""
        return int(self.pixels.shape[1]), int(self.pixels.shape[0])

    @cached_property
    def luma(self) -> Float32Array:
        """JPEG luma (0..255) of the displayed pixels."""
        return luma(self.pixels)

    @cached_property
    def stored_luma(self) -> Float32Array:
        """Luma in the order the file stores it (orientation undone), for DCT work."""
        from ._common import unorient

        return np.ascontiguousarray(unorient(self.luma, self.orientation))

    def recompress(self, quality: int) -> NDArray[np.uint8]:
        """The image saved once more as JPEG (4:2:0) at ``quality`` and decoded."""
        cached = self._recompressed.get(quality)
        if cached is None:
            import simplejpeg

            data = simplejpeg.encode_jpeg(
                np.ascontiguousarray(self.pixels), quality=quality, colorsubsampling="420"
            )
            cached = np.asarray(simplejpeg.decode_jpeg(data), dtype=np.uint8)
            self._recompressed[quality] = cached
        return cached

    @cached_property
    def flat_graphic(self) -> tuple[bool, float, float]:
        """Whether the image is a flat graphic (a drawing, chart, screenshot of a page,
        a flat render) rather than a photo, with the two measures behind it: the
        share of 8x8 blocks that are flat to within JPEG noise and the share of the
        pixels the 8 most common colours (16 levels per channel) cover.

        A photo, even of a clear sky or a defocused background, keeps some noise and
        gradation in most blocks and spreads over many colours; a graphic is mostly
        areas of one exact colour. Measured on the shared photos, camera pictures stay
        below 0.36 flat blocks or 0.76 colour share, the drawings and flat graphics
        of ``exif-samples`` and the slide of Set14 above 0.45 and 0.7.
        """
        if min(self.size) < 8:
            return False, 0.0, 0.0
        flat = flat_block_share(self.luma)
        top = top_colour_share(self.pixels)
        return flat >= _GRAPHIC_FLAT and top >= _GRAPHIC_COLOURS, flat, top

    @cached_property
    def dct(self) -> DctCoefficients | None:
        """Quantized DCT coefficients of the file, or None (not a JPEG, no jpeglib)."""
        if self.jpeg is None:
            return None
        try:
            return self.jpeg.dct_coefficients()
        except ImportError:
            return None
        except Exception:  # a damaged or exotic JPEG: the DCT analyses just cannot look
            return None

    @cached_property
    def jpeg_quality(self) -> int | None:
        """Estimated IJG-equivalent quality of the last JPEG save (None if not a JPEG)."""
        if self.jpeg is None or 0 not in self.jpeg.quant_tables:
            return None
        from ._quality import estimate_quality

        return estimate_quality(self.jpeg.quant_tables)[0]


def flat_block_share(luma: Float32Array) -> float:
    """The share of the whole 8x8 blocks of ``luma`` that are flat to within JPEG noise."""
    height, width = luma.shape
    rows, cols = height // 8, width // 8
    if rows == 0 or cols == 0:
        return 0.0
    flat = 0
    for top in range(0, rows * 8, _BAND_ROWS):
        band = luma[top : min(top + _BAND_ROWS, rows * 8), : cols * 8]
        blocks = band.reshape(-1, 8, cols, 8)
        flat += int(np.count_nonzero(blocks.std(axis=(1, 3)) < _FLAT_BLOCK_STD))
    return float(flat / (rows * cols))


def top_colour_share(pixels: NDArray[np.uint8], colours: int = 8) -> float:
    """The share of the pixels that the ``colours`` most common colours cover, with
    16 levels per channel."""
    counts = np.zeros(4096, dtype=np.int64)
    for top in range(0, pixels.shape[0], _BAND_ROWS):
        band = pixels[top : top + _BAND_ROWS]
        codes = (band[..., 0] >> 4).astype(np.uint16) << 8
        codes |= (band[..., 1] >> 4).astype(np.uint16) << 4
        codes |= band[..., 2] >> 4
        counts += np.bincount(codes.ravel(), minlength=4096)
    pixel_count = pixels.shape[0] * pixels.shape[1]
    return float(np.sort(counts)[-colours:].sum() / pixel_count) if pixel_count else 0.0


def as_context(image: ImageInput) -> ImageContext:
    """Accept a path, bytes, a PIL image, an RGB array, a LoadedImage or a context."""
    if isinstance(image, ImageContext):
        return image
    from ..io import LoadedImage, as_decoded, as_rgb

    decoded = as_decoded(image)
    if isinstance(decoded, LoadedImage):
        return ImageContext.from_loaded(decoded)
    return ImageContext(as_rgb(decoded))
