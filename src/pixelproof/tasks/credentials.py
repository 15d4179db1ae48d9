"""``pixelproof credentials recover`` (and the service's ``/matches/byContent``).

Each worker opens the manifest repository read-only once and recovers the manifest of
its images (:func:`pixelproof.credentials.recover`): embedded when it holds, else
through the watermark's identifier and the fingerprint.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from typing_extensions import TypedDict

from ..credentials import (
    ContentMatch,
    Recovery,
    RecoveryDict,
    content_matches,
    open_readonly,
    recover,
)
from ..io import LoadedImage
from ..runner import JsonRowHead
from ..settings import Settings


class RecoverJsonRow(JsonRowHead, RecoveryDict):
    """A ``credentials recover`` row with a result (else
    :class:`~pixelproof.runner.ErrorJsonRow`)."""


@dataclass(frozen=True)
class RecoverTask:
    """Recover the Content Credentials of each image through the settings' repository."""

    command: ClassVar[str] = "credentials recover"

    def process(self, image: LoadedImage, path: str, settings: Settings) -> Recovery:
        if settings.credentials_repo is None:
            raise ValueError("no manifest repository configured (credentials_repo)")
        return recover(
            image,
            open_readonly(settings.credentials_repo),
            watermark_key=settings.key,
            trust_anchors=settings.trust_anchors,
        )


class ContentMatchDict(TypedDict):
    """One match of the Soft Binding Resolution API (``/matches/byContent``)."""

    manifestId: str
    similarityScore: int


class ContentMatchesDict(TypedDict):
    """The API's answer: ``{"matches": [...]}``, best first."""

    matches: list[ContentMatchDict]


@dataclass(frozen=True)
class ContentMatches:
    """The manifests an image's pixels lead to, in the API's words."""

    matches: tuple[ContentMatch, ...]

    def to_dict(self) -> ContentMatchesDict:
        return {
            "matches": [
                {"manifestId": m.manifest_id, "similarityScore": m.similarity_score}
                for m in self.matches
            ]
        }


@dataclass(frozen=True)
class ContentMatchTask:
    """Look an image up by its content: watermark identifier and fingerprint."""

    command: ClassVar[str] = "matches by content"
    alg: str | None = None
    max_results: int = 10

    def process(self, image: LoadedImage, path: str, settings: Settings) -> ContentMatches:
        if settings.credentials_repo is None:
            raise ValueError("no manifest repository configured (credentials_repo)")
        found = content_matches(
            image,
            open_readonly(settings.credentials_repo),
            watermark_key=settings.key,
            alg=self.alg,
            max_results=self.max_results,
        )
        return ContentMatches(tuple(found))
