"""Evidence records, with their documented JSON form.

``pixelproof scan`` prints one row per input (the runner's envelope, ``schema_version``
"1.0") whose ``evidence`` list holds every analyzer's :class:`Evidence`::

    {
      "schema_version": "1.0",
      "path": "photos/a.jpg",
      "sha256": "…",                       # of the file's bytes
      "image": {"format": "JPEG", "width": 768, "height": 512, "mode": "RGB",
                "bit_depth": 8, "has_alpha": false, "orientation": 1,
                "normalization": ["EXIF orientation 6 applied"]},
      "warnings": ["file extension '.png' suggests PNG, but the content is JPEG"],
      "evidence": [
        {"analyzer": "ela", "capability": "forensics", "score": 0.12,
         "label": "inconclusive", "explanation": "…", "heatmap": "heat/a.ela.png",
         "details": {…}, "elapsed_ms": 41.0}
      ],
      "analyzer_errors": {"name": "message"}
    }

An input that could not be processed gives ``{"schema_version", "path", "error",
"error_type"}`` instead (see :mod:`pixelproof.runner`). ``score`` is in [0, 1] or null;
what it measures is stated by each analyzer (for forensic and synthetic-image analyzers,
higher means more suspicious).
``heatmap`` is a PNG path when heat-maps were written to disk, else null.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray
from typing_extensions import TypedDict

SCHEMA_VERSION = "1.0"
_BAND_ROWS = 512  # rows of a heat-map converted at a time

JsonValue = Any


class Label:
    """Vocabulary of evidence labels shared by every analyzer."""

    MANIPULATED = "manipulated"
    AUTHENTIC = "authentic"
    SYNTHETIC = "synthetic"
    REAL = "real"
    WATERMARKED = "watermarked"
    MATCH = "match"
    INCONCLUSIVE = "inconclusive"
    INFO = "info"


@dataclass(frozen=True)
class Heatmap:
    """A per-pixel map in [0, 1] (0 = nothing found, 1 = strongest evidence).

    The map may be computed at a lower resolution than the image; ``size`` is the
    image size it covers, and ``to_png`` resamples to it.

    Attributes
    ----------
    values : (h, w) uint8 ndarray
        The map scaled to 0..255 (stored as uint8 to keep reports small).
    size : (int, int)
        ``(width, height)`` of the image the map describes.
    """

    values: NDArray[np.uint8] = field(repr=False)
    size: tuple[int, int]

    @classmethod
    def from_float(cls, values: NDArray[Any], size: tuple[int, int]) -> Heatmap:
        """Build from a float map in [0, 1] (values outside are clipped, NaN -> 0)."""
        source = np.asarray(values)
        if source.ndim != 2:
            raise ValueError(f"heat-map must be 2-D, got shape {source.shape}")
        scaled = np.empty(source.shape, dtype=np.uint8)
        # A band of rows at a time: a full-size map of a large image would otherwise
        # need four float temporaries as large as itself.
        for top in range(0, source.shape[0], _BAND_ROWS):
            band = np.nan_to_num(source[top : top + _BAND_ROWS].astype(np.float32), nan=0.0)
            np.clip(band, 0.0, 1.0, out=band)
            band *= np.float32(255.0)
            scaled[top : top + _BAND_ROWS] = np.rint(band, out=band)
        return cls(values=scaled, size=(int(size[0]), int(size[1])))

    def as_float(self) -> NDArray[np.float32]:
        """The map in [0, 1] at its stored resolution."""
        return self.values.astype(np.float32) / 255.0

    def to_image(self, *, full_size: bool = True) -> Any:
        """The map as an 8-bit grayscale Pillow image, at the image's size by default."""
        from PIL import Image

        image = Image.fromarray(self.values, "L")
        if full_size and image.size != self.size:
            image = image.resize(self.size, Image.Resampling.BILINEAR)
        return image

    def to_png(self, *, full_size: bool = True) -> bytes:
        """PNG bytes: 0 = authentic, 255 = strongest evidence."""
        buffer = io.BytesIO()
        self.to_image(full_size=full_size).save(buffer, format="PNG")
        return buffer.getvalue()


class EvidenceDict(TypedDict):
    """The JSON form of one :class:`Evidence` (an item of a ``scan`` row's ``evidence``)."""

    analyzer: str
    capability: str
    score: float | None
    label: str
    explanation: str
    heatmap: str | None
    details: dict[str, Any]
    elapsed_ms: float


@dataclass(frozen=True)
class Evidence:
    """One finding of one analyzer about one image.

    Attributes
    ----------
    analyzer : str
        Registry name of the analyzer that produced it.
    capability : str
        The sub-package it belongs to (``"forensics"``, ``"metadata"``, ...).
    label : str
        A :class:`Label` value.
    explanation : str
        One or two plain-language sentences for the person reading the report.
    score : float or None
        In [0, 1]; meaning documented by the analyzer. None when it has no score.
    heatmap : Heatmap or None
        Where in the image the evidence lies.
    details : dict
        JSON-serialisable analyzer-specific data.
    elapsed_ms : float
        Time the analyzer took.
    """

    analyzer: str
    capability: str
    label: str
    explanation: str
    score: float | None = None
    heatmap: Heatmap | None = field(default=None, repr=False)
    details: dict[str, JsonValue] = field(default_factory=dict)
    elapsed_ms: float = 0.0

    def __post_init__(self) -> None:
        if self.score is not None and not (0.0 <= self.score <= 1.0):
            raise ValueError(f"{self.analyzer}: score must be in [0, 1], got {self.score}")

    def to_dict(self, *, heatmap_path: str | None = None) -> EvidenceDict:
        return {
            "analyzer": self.analyzer,
            "capability": self.capability,
            "score": None if self.score is None else round(float(self.score), 6),
            "label": self.label,
            "explanation": self.explanation,
            "heatmap": heatmap_path,
            "details": jsonable(self.details),
            "elapsed_ms": round(self.elapsed_ms, 1),
        }


class ImageFactsDict(TypedDict):
    """The JSON form of :class:`ImageFacts` (a row's ``image``)."""

    format: str
    width: int
    height: int
    mode: str
    bit_depth: int
    has_alpha: bool
    orientation: int
    normalization: list[str]


@dataclass(frozen=True)
class ImageFacts:
    """What was decoded: the summary of a :class:`pixelproof.io.LoadedImage`."""

    format: str
    width: int
    height: int
    mode: str
    bit_depth: int
    has_alpha: bool
    orientation: int
    normalization: tuple[str, ...] = ()

    def to_dict(self) -> ImageFactsDict:
        return {
            "format": self.format,
            "width": self.width,
            "height": self.height,
            "mode": self.mode,
            "bit_depth": self.bit_depth,
            "has_alpha": self.has_alpha,
            "orientation": self.orientation,
            "normalization": list(self.normalization),
        }


def jsonable(value: Any) -> JsonValue:
    """Convert numpy scalars/arrays, tuples and bytes into plain JSON values."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return jsonable(value.tolist())
    if isinstance(value, np.generic):
        return jsonable(value.item())
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, bytes):
        return value.hex()
    return value
