"""``KIND:PATH``, the command line's way of naming a published checkpoint file."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ._kinds import CHECKPOINT_KINDS

if TYPE_CHECKING:
    from ._load import CheckpointDetector


@dataclass(frozen=True)
class CheckpointSpec:
    """A checkpoint kind and the file that holds its weights (not read yet)."""

    kind: str
    path: Path

    def __str__(self) -> str:
        return f"{self.kind}:{self.path}"

    def load(self, *, crop: int | None = None) -> CheckpointDetector:
        """The detector of this kind and file, read once per process while unchanged.

        See :func:`shared_checkpoint`; errors are those of :func:`load_checkpoint`.
        """
        from ._load import shared_checkpoint

        return shared_checkpoint(self.kind, self.path, crop=crop)


def parse_checkpoint_spec(text: str) -> CheckpointSpec:
    """Split ``KIND:PATH`` (``cnndetection:~/weights/blur_jpg_prob0.5.pth``) at the first colon.

    The path may itself hold colons; ``~`` is expanded. The file is not opened here.

    Raises
    ------
    ValueError
        When there is no colon or no path (the message shows the form and the kinds),
        or (an :class:`~pixelproof.registry.UnknownNameError`) when the kind is unknown.

    >>> parse_checkpoint_spec("npr:/models/NPR.pth")
    CheckpointSpec(kind='npr', path=PosixPath('/models/NPR.pth'))
    """
    kind, colon, path = text.partition(":")
    kind = kind.strip().lower()
    if not colon or not kind or not path.strip():
        raise ValueError(
            f"expected KIND:PATH such as cnndetection:/path/blur_jpg_prob0.5.pth, got {text!r} "
            f"(kinds: {CHECKPOINT_KINDS.known()})"
        )
    CHECKPOINT_KINDS.get(kind)
    return CheckpointSpec(kind, Path(path).expanduser())
