"""Lossy re-encoding: JPEG (three encoders) and WebP."""

from __future__ import annotations

import importlib
import io
from typing import Annotated, Any, Literal

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from ._core import Range, RngLike, Transform, TransformResult, check_image, make_result, register

JpegEncoder = Literal["pillow", "opencv", "simplejpeg"]
Subsampling = Literal["420", "422", "444"]

_PILLOW_SUBSAMPLING = {"444": 0, "422": 1, "420": 2}


def _decode(data: bytes) -> NDArray[np.uint8]:
    with Image.open(io.BytesIO(data)) as decoded:
        return np.asarray(decoded.convert("RGB"), dtype=np.uint8).copy()


def _opencv() -> Any:
    try:
        return importlib.import_module("cv2")
    except ImportError as exc:
        raise ImportError(
            "the OpenCV JPEG encoder needs opencv-python-headless: pip install 'pixelproof[bench]'"
        ) from exc


def _encode_jpeg(image: NDArray[np.uint8], q: int, encoder: str, subsampling: str) -> bytes:
    if encoder == "pillow":
        buffer = io.BytesIO()
        Image.fromarray(image, "RGB").save(
            buffer, format="JPEG", quality=q, subsampling=_PILLOW_SUBSAMPLING[subsampling]
        )
        return buffer.getvalue()
    if encoder == "opencv":
        cv2 = _opencv()
        factor = getattr(cv2, f"IMWRITE_JPEG_SAMPLING_FACTOR_{subsampling}")
        params = [cv2.IMWRITE_JPEG_QUALITY, q, cv2.IMWRITE_JPEG_SAMPLING_FACTOR, factor]
        ok, encoded = cv2.imencode(".jpg", np.ascontiguousarray(image[:, :, ::-1]), params)
        if not ok:
            raise RuntimeError("OpenCV failed to encode the image as JPEG")
        return bytes(encoded.tobytes())
    import simplejpeg  # a core dependency (libjpeg-turbo)

    data: bytes = simplejpeg.encode_jpeg(
        np.ascontiguousarray(image), quality=q, colorspace="RGB", colorsubsampling=subsampling
    )
    return data


def jpeg(
    image: NDArray[np.uint8],
    *,
    q: int = 75,
    encoder: JpegEncoder = "pillow",
    subsampling: Subsampling = "420",
    rng: RngLike = None,
) -> TransformResult:
    """Re-encode as JPEG and decode again.

    Parameters
    ----------
    image : (H, W, 3) uint8 ndarray
        RGB input; not modified.
    q : int
        Quality, 1-100 (the libjpeg scale used by all three encoders).
    encoder : {"pillow", "opencv", "simplejpeg"}
        Library that encodes. ``"opencv"`` needs the ``bench`` extra. Decoding always
        uses Pillow, so differences between encoders come from the encoder alone.
    subsampling : {"420", "422", "444"}
        Chroma subsampling: 4:2:0 (most cameras and web services), 4:2:2 or 4:4:4.
    rng : int, Generator or None
        Unused (the transform is deterministic); accepted for a uniform signature.

    Returns
    -------
    TransformResult
        Same size as the input. Intensity is ``100 - q``.

    Examples
    --------
    >>> import numpy as np
    >>> from pixelproof.bench.transforms import jpeg
    >>> out = jpeg(np.zeros((16, 16, 3), np.uint8), q=50)
    >>> out.record.spec, out.record.intensity
    ('jpeg:q=50,encoder=pillow,subsampling=420', 50.0)
    """
    check_image(image)
    p = Jpeg(q=q, encoder=encoder, subsampling=subsampling)
    decoded = _decode(_encode_jpeg(image, p.q, p.encoder, p.subsampling))
    return make_result(p, image, decoded, 100.0 - p.q)


@register(jpeg)
class Jpeg(Transform):
    """JPEG re-encoding (see :func:`jpeg`); spec ``jpeg:q=75,encoder=opencv,subsampling=444``."""

    q: Annotated[int, Range(1, 100)] = 75
    encoder: JpegEncoder = "pillow"
    subsampling: Subsampling = "420"


def webp(image: NDArray[np.uint8], *, q: int = 80, rng: RngLike = None) -> TransformResult:
    """Re-encode as lossy WebP (Pillow's libwebp) and decode again.

    Parameters
    ----------
    image : (H, W, 3) uint8 ndarray
        RGB input; not modified.
    q : int
        Quality, 0-100.
    rng : int, Generator or None
        Unused (deterministic).

    Returns
    -------
    TransformResult
        Same size as the input. Intensity is ``100 - q``.
    """
    check_image(image)
    p = Webp(q=q)
    buffer = io.BytesIO()
    Image.fromarray(image, "RGB").save(buffer, format="WEBP", quality=p.q, method=4)
    return make_result(p, image, _decode(buffer.getvalue()), 100.0 - p.q)


@register(webp)
class Webp(Transform):
    """Lossy WebP re-encoding (see :func:`webp`); spec ``webp:q=50``."""

    q: Annotated[int, Range(0, 100)] = 80
