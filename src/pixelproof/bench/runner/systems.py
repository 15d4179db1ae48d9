"""The systems each benchmark can run, by name: pixelproof's own and the baselines.

The registries are :data:`WATERMARK_SYSTEMS` and :data:`MATCH_SYSTEMS`; the functions
below return their entries as dicts of factories.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ...registry import Registry
from .._systems import MATCH_SYSTEMS, WATERMARK_SYSTEMS, baseline_names, own_factory

__all__ = [
    "MATCH_SYSTEMS",
    "WATERMARK_SYSTEMS",
    "baseline_names",
    "match_systems",
    "watermark_systems",
]


def watermark_systems() -> dict[str, Callable[[], Any]]:
    """Watermark systems: ``pixelproof`` (when available) and invisible-watermark's three."""
    return _installed(WATERMARK_SYSTEMS, "pixelproof.watermark")


def match_systems() -> dict[str, Callable[[], Any]]:
    """Copy-detection systems: ``pixelproof`` (when available), pHash, PDQ and SSCD."""
    return _installed(MATCH_SYSTEMS, "pixelproof.match")


def _installed(registry: Registry[Callable[[], Any]], own: str) -> dict[str, Callable[[], Any]]:
    systems = registry.as_dict()
    factory = own_factory(own)
    if factory is None:
        del systems["pixelproof"]
    else:
        systems["pixelproof"] = factory
    return systems
