"""Forensic analyses: where an image was edited, with heat-maps and explanations."""

from ._ela import ela_map

__all__ = ["ela_map"]
