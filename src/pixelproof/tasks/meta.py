"""``pixelproof meta`` and ``pixelproof credentials verify``: what the file says.

Metadata is read even from files whose pixels cannot be decoded (a damaged JPEG still
carries its EXIF): those rows say so in ``warnings``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from typing_extensions import TypedDict

from ..io import ImageLoadError, LoadedImage
from ..metadata import (
    C2paReport,
    C2paReportDict,
    MetadataReport,
    MetadataReportDict,
    read_c2pa,
    read_metadata,
)
from ..runner import JsonRowHead
from ..settings import Settings


class MetaJsonRow(JsonRowHead, MetadataReportDict):
    """A ``meta`` row with a result (else :class:`~pixelproof.runner.ErrorJsonRow`)."""


@dataclass(frozen=True)
class MetaTask:
    """EXIF, XMP, IPTC, ICC, generator traces, consistency findings and C2PA."""

    command: ClassVar[str] = "meta"
    c2pa: bool = True
    thumbnail: bool = True

    def process(self, image: LoadedImage, path: str, settings: Settings) -> MetadataReport:
        return self._read(image, settings)

    def process_undecodable(
        self, path: str, error: ImageLoadError, settings: Settings
    ) -> MetadataReport:
        """The metadata of a file whose pixels could not be decoded."""
        return self._read(path, settings)

    def _read(self, source: str | LoadedImage, settings: Settings) -> MetadataReport:
        return read_metadata(
            source,
            limits=settings.limits,
            c2pa=self.c2pa,
            trust_anchors=settings.trust_anchors,
            check_thumbnail=self.thumbnail,
        )


class CredentialsCheckDict(TypedDict):
    """The JSON form of :class:`CredentialsCheck`: a ``credentials verify`` row's own
    fields."""

    c2pa: C2paReportDict


class CredentialsJsonRow(JsonRowHead, CredentialsCheckDict):
    """A ``credentials verify`` row with a result (else
    :class:`~pixelproof.runner.ErrorJsonRow`)."""


@dataclass(frozen=True)
class CredentialsCheck:
    """The Content Credentials of one file: integrity, signer trust and claims apart."""

    c2pa: C2paReport

    @property
    def broken(self) -> bool:
        """A manifest is present but does not hold (a script must not trust the file)."""
        return self.c2pa.status == "present" and self.c2pa.integrity.get("status") == "broken"

    def to_dict(self) -> CredentialsCheckDict:
        return {"c2pa": self.c2pa.to_dict()}


@dataclass(frozen=True)
class VerifyTask:
    """Validate the C2PA manifest store of each file, offline."""

    command: ClassVar[str] = "credentials verify"

    def process(self, image: LoadedImage, path: str, settings: Settings) -> CredentialsCheck:
        return CredentialsCheck(read_c2pa(image.data, trust_anchors=settings.trust_anchors))

    def process_undecodable(
        self, path: str, error: ImageLoadError, settings: Settings
    ) -> CredentialsCheck:
        """Credentials live in the container, so damaged pixels do not stop the check."""
        return CredentialsCheck(read_c2pa(path, trust_anchors=settings.trust_anchors))
