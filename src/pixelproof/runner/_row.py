"""One result envelope for every row of every command.

A row says which input it is about and either what the command found or why it could
not look. Its JSON form is the same for every command::

    {"schema_version": "1.0", "path": "a.jpg", "sha256": "…",
     "image": {"format": "JPEG", "width": 768, ...}, "warnings": [...],
     ...the command's own fields...}

or, for an input that failed, ``{"schema_version", "path", "error", "error_type"}`` with
``error_type`` from :class:`~pixelproof.runner.ErrorType`.

The JSON form has types: :class:`JsonRowHead` (the envelope), to which each command's
row type adds its result's fields, and :class:`ErrorJsonRow`; the JSON Schemas of
:mod:`pixelproof.schemas` are generated from them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Generic, NotRequired, Protocol, TypeVar

# typing_extensions' TypedDict: pydantic (the JSON Schemas, the HTTP service's response
# models) reads only that one on Python < 3.12.
from typing_extensions import TypedDict

from ..evidence import SCHEMA_VERSION, ImageFacts, ImageFactsDict
from ..io import LoadedImage
from ._errors import ErrorType


class Result(Protocol):
    """What a task returns for one image: anything with a JSON form."""

    def to_dict(self) -> Mapping[str, Any]:
        """The command's own fields."""
        ...


class JsonRowBase(TypedDict):
    """The envelope's fields of a row with a result, but ``sha256``: for results that
    carry their own (the match commands'); see :class:`JsonRowHead`."""

    schema_version: str
    path: str
    image: NotRequired[ImageFactsDict]
    warnings: list[str]


class JsonRowHead(JsonRowBase):
    """The envelope's fields of a row with a result; each command's row type (a
    ``*JsonRow`` beside its task) adds the command's own fields to these.

    ``sha256`` and ``image`` are absent when the file's pixels could not be decoded
    (``meta`` and ``credentials verify`` still read such files).
    """

    sha256: NotRequired[str]


class ErrorJsonRow(TypedDict):
    """The row of an input that has no result, the same for every command."""

    schema_version: str
    path: str
    error: str
    error_type: ErrorType


R = TypeVar("R", bound=Result)


@dataclass(frozen=True)
class Row(Generic[R]):
    """The envelope: one input, and either its result or its error.

    Attributes
    ----------
    path : str
        The input as given (a path, a pattern, or a name for uploaded bytes).
    sha256 : str or None
        Of the file's bytes, when it could be read.
    image : ImageFacts or None
        What was decoded.
    warnings : tuple of str
        Problems that did not prevent the analysis (wrong extension, damaged EXIF...).
    result : Result or None
        The command's result.
    error, error_type : str or None
        Why there is no result.
    """

    path: str
    sha256: str | None = None
    image: ImageFacts | None = None
    warnings: tuple[str, ...] = ()
    result: R | None = None
    error: str | None = None
    error_type: ErrorType | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    @classmethod
    def failed(cls, path: str, error_type: ErrorType, message: str) -> Row[Any]:
        return Row(path=path, error=message, error_type=ErrorType(error_type))

    @classmethod
    def of(cls, image: LoadedImage, path: str, result: R) -> Row[R]:
        return Row(
            path=path,
            sha256=image.sha256,
            image=facts_of(image),
            warnings=tuple(image.warnings),
            result=result,
        )

    def to_dict(self) -> dict[str, Any]:
        """The documented JSON form (see the module docstring): a command's row type
        (its ``*JsonRow``, see :mod:`pixelproof.schemas`) or :class:`ErrorJsonRow`."""
        head: dict[str, Any] = {"schema_version": SCHEMA_VERSION, "path": self.path}
        if self.error is not None or self.result is None:
            head.update(error=self.error or "no result", error_type=str(self.error_type))
            return head
        own = dict(self.result.to_dict())
        if self.sha256 is not None:
            head["sha256"] = self.sha256
        if self.image is not None:
            head["image"] = self.image.to_dict()
        warnings = list(dict.fromkeys([*self.warnings, *own.pop("warnings", [])]))
        own.pop("path", None)
        return {**head, **own, "warnings": warnings}


def facts_of(image: LoadedImage) -> ImageFacts:
    """The decoded image's summary carried by every row."""
    width, height = image.native_size  # a reduced decode says so in normalization
    return ImageFacts(
        format=image.format,
        width=width,
        height=height,
        mode=image.mode,
        bit_depth=image.bit_depth,
        has_alpha=image.has_alpha,
        orientation=image.orientation,
        normalization=tuple(image.normalization),
    )
