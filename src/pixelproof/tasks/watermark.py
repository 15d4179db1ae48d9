"""``pixelproof watermark embed|detect``: add pixelproof's mark, or read marks back.

Embedding encodes the marked file in the worker and writes it on the driver, one file
at a time: two inputs that would write the same file are caught (``name_collision``),
and an input is never overwritten (``output_error``).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, ClassVar, NotRequired

from typing_extensions import TypedDict

from ..io import LoadedImage, UnsafeOutputError
from ..runner import ErrorType, JsonRowHead, Row, write_side_file
from ..settings import Settings


class MarkedImageDict(TypedDict):
    """The JSON form of :class:`MarkedImage`: a ``watermark embed`` row's own fields."""

    output: str
    message: str
    method: str
    format: str


class EmbedJsonRow(JsonRowHead, MarkedImageDict):
    """A ``watermark embed`` row with a result (else
    :class:`~pixelproof.runner.ErrorJsonRow`)."""


@dataclass(frozen=True)
class MarkedImage:
    """A marked copy of one input: where it goes and (until written) its bytes."""

    output: str
    message: str
    method: str
    format: str
    data: bytes = field(default=b"", repr=False)

    def to_dict(self) -> MarkedImageDict:
        return {
            "output": self.output,
            "message": self.message,
            "method": self.method,
            "format": self.format,
        }


@dataclass(frozen=True)
class EmbedTask:
    """Mark each image with ``message`` and encode it for ``out_dir``."""

    command: ClassVar[str] = "watermark embed"
    out_dir: str
    message: str
    strength: float = 1.0
    format: str = "png"
    quality: int = 95

    def process(self, image: LoadedImage, path: str, settings: Settings) -> MarkedImage:
        from ..watermark import METHOD, extension_for, marked_file_bytes, output_format

        fmt = output_format(self.format, Path(path), image.format)
        target = Path(self.out_dir) / (Path(path).stem + extension_for(fmt))
        data = marked_file_bytes(
            image,
            self.message,
            key=settings.key,
            strength=self.strength,
            fmt=fmt,
            quality=self.quality,
        )
        return MarkedImage(str(target), self.message, str(METHOD), fmt, data)


def write_marked(rows: Iterable[Row[MarkedImage]], inputs: list[str]) -> Iterator[Row[Any]]:
    """Write each marked image safely, in input order; a clash becomes an error row."""
    written: set[str] = set()
    for row in rows:
        if row.result is None:
            yield row
            continue
        target = row.result.output
        if target in written:
            yield Row.failed(
                row.path,
                ErrorType.NAME_COLLISION,
                f"another input was already written to {target}",
            )
            continue
        try:
            Path(target).parent.mkdir(parents=True, exist_ok=True)
            write_side_file(Path(target), row.result.data, protect=inputs)
        except UnsafeOutputError as exc:
            yield Row.failed(row.path, ErrorType.UNSAFE_OUTPUT, str(exc))
            continue
        except OSError as exc:
            yield Row.failed(row.path, ErrorType.OUTPUT_ERROR, f"cannot write {target}: {exc}")
            continue
        written.add(target)
        yield replace(row, result=replace(row.result, data=b""))


class StableDiffusionReadingDict(TypedDict):
    """What the Stable Diffusion mark reader found (``--stable-diffusion``)."""

    detected: bool
    variant: str | None
    p_value: float


class MarkReadingDict(TypedDict):
    """The JSON form of :class:`MarkReading`: a ``watermark detect`` row's own fields."""

    detected: bool
    message: str | None
    p_value: float
    method: str
    bit_confidence: float
    bit_confidences: list[float]
    stable_diffusion: NotRequired[StableDiffusionReadingDict]


class DetectJsonRow(JsonRowHead, MarkReadingDict):
    """A ``watermark detect`` row with a result (else
    :class:`~pixelproof.runner.ErrorJsonRow`)."""


@dataclass(frozen=True)
class MarkReading:
    """What the watermark detector read from one image."""

    detected: bool
    message: str | None
    p_value: float
    method: str
    bit_confidences: tuple[float, ...]
    stable_diffusion: StableDiffusionReadingDict | None = None

    def to_dict(self) -> MarkReadingDict:
        row: MarkReadingDict = {
            "detected": self.detected,
            "message": self.message,
            "p_value": _finite(self.p_value),
            "method": self.method,
            "bit_confidence": _finite(min(self.bit_confidences, default=0.5)),
            "bit_confidences": [_finite(c) for c in self.bit_confidences],
        }
        if self.stable_diffusion is not None:
            row["stable_diffusion"] = self.stable_diffusion
        return row


@dataclass(frozen=True)
class DetectTask:
    """Look for pixelproof's mark (with the settings' key), and optionally SD's."""

    command: ClassVar[str] = "watermark detect"
    threshold: float = 1e-6
    stable_diffusion: bool = False

    def process(self, image: LoadedImage, path: str, settings: Settings) -> MarkReading:
        from ..watermark import detect, read_stable_diffusion_mark

        found = detect(image, key=settings.key, threshold=self.threshold)
        sd: StableDiffusionReadingDict | None = None
        if self.stable_diffusion:
            mark = read_stable_diffusion_mark(image, threshold=self.threshold)
            sd = {
                "detected": mark.detected,
                "variant": mark.message,
                "p_value": _finite(mark.p_value),
            }
        return MarkReading(
            detected=found.detected,
            message=found.message,
            p_value=found.p_value,
            method=found.method,
            bit_confidences=tuple(float(c) for c in found.bit_confidences),
            stable_diffusion=sd,
        )


def _finite(value: float) -> float:
    return float(value) if math.isfinite(value) else 1.0
