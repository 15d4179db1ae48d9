"""JPEG internals that forensic analyses read from the original file."""

from __future__ import annotations

import os
import tempfile
import threading
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray


@dataclass(frozen=True)
class DctCoefficients:
    """Quantized DCT coefficients of every component, as stored in the file.

    Attributes
    ----------
    components : tuple of (rows, cols, 8, 8) int16 arrays
        Luma first, then chroma, in block order (not EXIF-oriented).
    quant_tables : tuple of (8, 8) uint16 arrays
        The table used by each component, in natural (row-major) order.
    """

    components: tuple[NDArray[np.int16], ...]
    quant_tables: tuple[NDArray[np.uint16], ...]


@dataclass
class JpegInfo:
    """What the JPEG container says about how the pixels were compressed.

    Attributes
    ----------
    quant_tables : dict of int to (8, 8) uint16 array
        Quantization tables by table id, natural (row-major) order.
    subsampling : str
        Chroma subsampling as ``"4:4:4"``, ``"4:2:2"``, ``"4:2:0"``, ``"4:1:1"``,
        ``"gray"`` or ``"other"``.
    progressive : bool
        Whether the file uses progressive scans.
    """

    quant_tables: dict[int, NDArray[np.uint16]]
    subsampling: str
    progressive: bool
    _data: bytes = field(repr=False)
    _dct: DctCoefficients | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def dct_coefficients(self) -> DctCoefficients:
        """Decode the quantized DCT coefficients (once; needs the ``jpeg`` extra)."""
        with self._lock:
            if self._dct is None:
                self._dct = _read_dct(self._data)
            return self._dct

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        del state["_lock"]
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()


_SUBSAMPLING_NAMES = {0: "4:4:4", 1: "4:2:2", 2: "4:2:0", 3: "4:1:1"}


def jpeg_info(image: Any, data: bytes) -> JpegInfo:
    """Collect JPEG internals from an opened Pillow JPEG image and its bytes."""
    from PIL import JpegImagePlugin

    tables = {
        int(index): np.asarray(table, dtype=np.uint16).reshape(8, 8)
        for index, table in (getattr(image, "quantization", None) or {}).items()
    }
    if image.mode == "L":
        subsampling = "gray"
    else:
        subsampling = _SUBSAMPLING_NAMES.get(JpegImagePlugin.get_sampling(image), "other")
    return JpegInfo(
        quant_tables=tables,
        subsampling=subsampling,
        progressive=bool(image.info.get("progressive") or image.info.get("progression")),
        _data=data,
    )


def _read_dct(data: bytes) -> DctCoefficients:
    try:
        import jpeglib
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "DCT coefficients need the 'jpeg' extra: pip install 'pixelproof[jpeg]'"
        ) from exc
    # jpeglib reads from a path only.
    handle, name = tempfile.mkstemp(suffix=".jpg")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        jpeg = jpeglib.read_dct(name)
        components = [np.asarray(jpeg.Y, dtype=np.int16)]
        if jpeg.has_chrominance:
            components += [np.asarray(jpeg.Cb, dtype=np.int16), np.asarray(jpeg.Cr, dtype=np.int16)]
        qt = np.asarray(jpeg.qt, dtype=np.uint16)
        table_ids = np.asarray(jpeg.quant_tbl_no, dtype=int)[: len(components)]
        return DctCoefficients(
            components=tuple(components),
            quant_tables=tuple(qt[i] for i in table_ids),
        )
    finally:
        os.unlink(name)
