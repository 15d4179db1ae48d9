"""One image prepared for the analyses, with the work they share computed once."""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from ._common import Float32Array, block_std, colour_counts, luma

if TYPE_CHECKING:
    from ..io import DctCoefficients, JpegInfo, LoadedImage

# A flat graphic (see ImageContext.flat_graphic): a block is flat below this luma
# standard deviation; an image is a graphic when at least _GRAPHIC_FLAT of its blocks
# are flat, its 8 most common colours cover at least _GRAPHIC_COLOURS of it and its one
# most common exact colour (a fill: page, background) at least _GRAPHIC_FILL of it.
_FLAT_BLOCK_STD = 0.5
_GRAPHIC_FLAT = 0.45
_GRAPHIC_COLOURS = 0.7
_GRAPHIC_FILL = 0.25

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
    def flat_graphic(self) -> tuple[bool, float, float, float]:
        """Whether the image is a flat graphic (a drawing, chart, screenshot of a page,
        a flat render) rather than a photo, with the three measures behind it: the
        share of 8x8 blocks that are flat to within JPEG noise, the share of the pixels
        the 8 most common colours (16 levels per channel) cover, and the share of the
        one most common exact colour (both 0.0, not measured, when too few blocks are
        flat for a graphic).

        A photo, even of a clear sky or a defocused background, keeps some noise and
        gradation in most blocks and spreads over many colours; a graphic is mostly
        areas of one exact colour. A low-texture photo (fog, snow, a grey sea) saved
        as JPEG can also be mostly flat blocks within few coarse colours, but its flat
        areas are a gradient, a staircase of many exact levels, where a graphic's are
        one fill: the fill test tells them apart. Set on the ``fit`` photo split
        (:func:`pixelproof.forensics.photo_split`) and the publishing chains and
        forgeries made from it: the graphics there (Picoawards, Rudless, Set14's
        slide) have a fill of 0.33-0.97, the foggy pier ColdRipple and Kodak 20 at
        most 0.17 (with up to 0.49 flat blocks and 0.93 colour share); checked on the
        other splits (BlueSquare, Tless0, Jobagent at 0.59-0.95; the BSDS snowfield
        167062 at most 0.17). A photo whose highlights are blown out over more than a
        quarter of the frame and half its blocks is taken as a graphic too: there is
        little left there to analyse.
        """
        if min(self.size) < 8:
            return False, 0.0, 0.0, 0.0
        flat = flat_block_share(self.luma)
        if flat < _GRAPHIC_FLAT:  # the usual photo: no need to count colours
            return False, flat, 0.0, 0.0
        pixel_count = self.pixels.shape[0] * self.pixels.shape[1]
        top = float(np.sort(colour_counts(self.pixels, 4))[-8:].sum() / pixel_count)
        fill = float(colour_counts(self.pixels, 8).max() / pixel_count)
        graphic = top >= _GRAPHIC_COLOURS and fill >= _GRAPHIC_FILL
        return graphic, flat, top, fill

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
    deviations = block_std(luma, 8)  # a band at a time: no full-size temporaries
    if deviations.size == 0:
        return 0.0
    return float(np.count_nonzero(deviations < _FLAT_BLOCK_STD) / deviations.size)


def as_context(image: ImageInput) -> ImageContext:
    """Accept a path, bytes, a PIL image, an RGB array, a LoadedImage or a context."""
    if isinstance(image, ImageContext):
        return image
    from ..io import LoadedImage, as_decoded, as_rgb

    decoded = as_decoded(image)
    if isinstance(decoded, LoadedImage):
        return ImageContext.from_loaded(decoded)
    return ImageContext(as_rgb(decoded))
