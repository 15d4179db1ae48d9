"""``pixelproof credentials recover``: find each image's Content Credentials again.

Each worker opens the manifest repository read-only once and recovers the manifest of
its images (:func:`pixelproof.credentials.recover`): embedded when it holds, else
through the watermark's identifier and the fingerprint.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from ..credentials import Recovery, RecoveryDict, open_readonly, recover
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
