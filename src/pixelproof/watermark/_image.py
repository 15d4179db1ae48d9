"""Turn the accepted image inputs into colour (or grey) pixels plus an optional alpha."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from ..io import ImageInput, LoadedImage, as_decoded, as_rgb


@dataclass(frozen=True)
class Pixels:
    """Pixels split into what the mark changes and what it leaves alone.

    ``colour`` is (H, W, 3) RGB or (H, W) grey uint8; ``alpha`` is the caller's alpha
    channel exactly as given (any dtype) or None; ``dtype`` is the caller's array dtype
    (uint8, or a float type with values in [0, 1]).
    """

    colour: NDArray[np.uint8]
    alpha: NDArray[Any] | None
    dtype: np.dtype[Any]
    channel_axis_grey: bool = False  # input was (H, W, 1)

    @property
    def shape(self) -> tuple[int, int]:
        return int(self.colour.shape[0]), int(self.colour.shape[1])

    def rebuild(self, colour: NDArray[np.uint8]) -> NDArray[Any]:
        """The caller's layout and dtype around new colour pixels (alpha untouched)."""
        out: NDArray[Any] = colour if self.dtype == np.uint8 else colour.astype(self.dtype) / 255
        if self.alpha is not None:
            grey = out[..., None] if out.ndim == 2 else out
            return np.concatenate([grey, self.alpha[..., None].astype(out.dtype)], axis=2)
        if self.channel_axis_grey:
            return out[..., None]
        return out


def to_pixels(image: ImageInput) -> Pixels:
    """Accept a path, file bytes, a Pillow image, a LoadedImage or an array.

    Unlike :func:`pixelproof.io.as_rgb`, grey stays grey, alpha is kept aside and
    float arrays in [0, 1] are accepted, so that the marked image can be handed back
    in the caller's own layout.
    """
    decoded = as_decoded(image)
    if isinstance(decoded, LoadedImage):
        return Pixels(colour=decoded.pixels, alpha=decoded.alpha, dtype=np.dtype(np.uint8))
    if isinstance(decoded, Image.Image):
        return _from_pil(decoded)
    return _from_array(decoded)


def _from_pil(image: Image.Image) -> Pixels:
    mode = image.mode
    if mode in ("L", "LA"):
        grey = np.asarray(image.getchannel("L"), dtype=np.uint8)
        alpha = np.asarray(image.getchannel("A"), dtype=np.uint8) if mode == "LA" else None
        return Pixels(colour=grey, alpha=alpha, dtype=np.dtype(np.uint8))
    if mode in ("RGBA", "PA", "La") or "transparency" in image.info:
        array = np.asarray(image.convert("RGBA"), dtype=np.uint8)
        return Pixels(
            colour=np.ascontiguousarray(array[..., :3]),
            alpha=np.ascontiguousarray(array[..., 3]),
            dtype=np.dtype(np.uint8),
        )
    return Pixels(colour=as_rgb(image), alpha=None, dtype=np.dtype(np.uint8))


def _from_array(array: NDArray[Any]) -> Pixels:
    dtype = array.dtype
    if dtype == np.uint8:
        data = array
    elif np.issubdtype(dtype, np.floating):
        if array.size and (np.nanmin(array) < 0.0 or np.nanmax(array) > 1.0):
            raise ValueError("float images must have values in [0, 1]")
        data = np.rint(np.nan_to_num(array) * 255.0).astype(np.uint8)
    else:
        raise TypeError(f"image arrays must be uint8 or float in [0, 1], got dtype {dtype}")
    if data.ndim == 2:
        return Pixels(colour=data, alpha=None, dtype=dtype)
    if data.ndim == 3 and data.shape[2] == 1:
        return Pixels(colour=data[..., 0], alpha=None, dtype=dtype, channel_axis_grey=True)
    if data.ndim == 3 and data.shape[2] == 2:
        return Pixels(colour=data[..., 0], alpha=array[..., 1].copy(), dtype=dtype)
    if data.ndim == 3 and data.shape[2] == 3:
        return Pixels(colour=np.ascontiguousarray(data), alpha=None, dtype=dtype)
    if data.ndim == 3 and data.shape[2] == 4:
        return Pixels(
            colour=np.ascontiguousarray(data[..., :3]),
            alpha=array[..., 3].copy(),
            dtype=dtype,
        )
    raise ValueError(
        f"image array must be (H, W), (H, W, 1), (H, W, 2), (H, W, 3) or (H, W, 4); "
        f"got shape {array.shape}"
    )
