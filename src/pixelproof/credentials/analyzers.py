"""The ``credentials`` analyzer of ``pixelproof scan``: runs when a repository is set."""

from __future__ import annotations

from typing import ClassVar

from ..evidence import AnalyzerBase, Evidence, Label, SharedWork, register
from ..io import LoadedImage
from ..settings import Settings


@register
class DurableCredentialsAnalyzer(AnalyzerBase):
    """Content Credentials found again from the pixels, through a manifest repository."""

    name: ClassVar[str] = "credentials"
    capability: ClassVar[str] = "credentials"
    title: ClassVar[str] = "Durable Content Credentials"
    description: ClassVar[str] = (
        "Recovers the C2PA manifest of a stripped or re-encoded copy from its watermark "
        "and fingerprint, through the configured manifest repository (credentials_repo)."
    )

    @classmethod
    def enabled(cls, settings: Settings) -> bool:
        """Only with a repository: without one there is nothing to look up."""
        return settings.credentials_repo is not None

    def analyze(self, image: LoadedImage, shared: SharedWork) -> Evidence:
        from ._recover import recover
        from ._repository import open_readonly

        folder = self.settings.credentials_repo
        if folder is None:
            return Evidence(
                analyzer=self.name,
                capability=self.capability,
                label=Label.INFO,
                explanation="No manifest repository is configured (credentials_repo), "
                "so Content Credentials were not looked up from the pixels.",
                details={"skipped": True},
            )
        found = recover(
            image,
            open_readonly(folder),
            watermark_key=self.settings.key,
            trust_anchors=self.settings.trust_anchors,
        )
        details = dict(found.to_dict())
        if found.hard_binding_broken:
            label = Label.MANIPULATED
        elif found.found_by in ("watermark", "fingerprint", "both"):
            label = Label.MATCH
        else:
            label = Label.INFO
        return Evidence(
            analyzer=self.name,
            capability=self.capability,
            label=label,
            explanation=found.summary,
            details=details,
        )
