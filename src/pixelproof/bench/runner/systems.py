"""The systems each benchmark can run, by name: pixelproof's own and the baselines."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any


def watermark_systems() -> dict[str, Callable[[], Any]]:
    """Watermark systems: ``pixelproof`` (when available) and invisible-watermark's three."""
    from ..baselines import DwtDctBaseline, DwtDctSvdBaseline, RivaGanBaseline

    systems: dict[str, Callable[[], Any]] = {}
    own = _own_watermark()
    if own is not None:
        systems["pixelproof"] = own
    systems.update(
        {"dwtDct": DwtDctBaseline, "dwtDctSvd": DwtDctSvdBaseline, "rivaGan": RivaGanBaseline}
    )
    return systems


def match_systems() -> dict[str, Callable[[], Any]]:
    """Copy-detection systems: ``pixelproof`` (when available), pHash, PDQ and SSCD."""
    from ..baselines import PdqMatcher, PHashMatcher, SscdDistilledMatcher, SscdMatcher

    systems: dict[str, Callable[[], Any]] = {}
    own = _own_matcher()
    if own is not None:
        systems["pixelproof"] = own
    systems.update(
        {
            "phash": PHashMatcher,
            "pdq": PdqMatcher,
            "sscd": SscdMatcher,
            "sscd-distilled": SscdDistilledMatcher,
        }
    )
    return systems


def _own_watermark() -> Callable[[], Any] | None:
    return _bench_factory("pixelproof.watermark")


def _own_matcher() -> Callable[[], Any] | None:
    return _bench_factory("pixelproof.match")


def _bench_factory(module_name: str) -> Callable[[], Any] | None:
    """A capability's ``bench_system`` factory, when the capability is installed."""
    try:
        module = importlib.import_module(module_name)
    except ImportError:
        return None
    factory = getattr(module, "bench_system", None)
    return factory if callable(factory) else None
