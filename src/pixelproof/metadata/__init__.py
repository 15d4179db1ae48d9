"""Metadata and content credentials: what the file itself says about its origin."""

from ._summary import MetadataSummary, summarize_metadata

__all__ = ["MetadataSummary", "summarize_metadata"]
