"""Small helpers shared by the match modules."""

from __future__ import annotations

_EXTRA_HINT = "pip install 'pixelproof[match]'"


def missing_extra(package: str) -> ImportError:
    """The error raised when an optional dependency of ``pixelproof.match`` is missing."""
    return ImportError(f"pixelproof.match needs {package}: {_EXTRA_HINT}")
