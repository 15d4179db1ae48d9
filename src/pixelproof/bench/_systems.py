"""The registries of the systems each benchmark can run: pixelproof's own and the baselines.

They live outside :mod:`pixelproof.bench.runner` so that the command line can list
them without importing the runners (nor the baselines' dependencies).

:data:`WATERMARK_SYSTEMS` and :data:`MATCH_SYSTEMS` map a name to a factory (called
with no argument), pixelproof's own first, then the baselines; every factory imports
what it needs when called, so listing the systems costs nothing. Whether pixelproof's
own is installed is :func:`own_factory`'s answer (the runners leave it out when not).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from ..registry import Registry

Factory = Callable[[], Any]


WATERMARK_SYSTEMS: Registry[Factory] = Registry("watermark system")
"""Watermark systems: ``pixelproof`` (when available) and invisible-watermark's three."""

MATCH_SYSTEMS: Registry[Factory] = Registry("match system")
"""Copy-detection systems: ``pixelproof`` (when available), pHash, PDQ and SSCD."""


def _baseline(class_name: str) -> Factory:
    """A factory of one class of :mod:`pixelproof.bench.baselines`, imported when called
    (the baselines' dependencies are heavy; listing the systems must stay cheap)."""

    def create() -> Any:
        from . import baselines

        return getattr(baselines, class_name)()

    create.__qualname__ = create.__name__ = class_name
    return create


def _own(module_name: str) -> Factory:
    """pixelproof's own system: the ``bench_system`` factory of a capability, looked up
    when called (importing a capability's benchmark side loads its dependencies)."""

    def create() -> Any:
        factory = own_factory(module_name)
        if factory is None:
            raise ImportError(f"{module_name} is not installed")
        return factory()

    create.__qualname__ = create.__name__ = "bench_system"
    return create


def own_factory(module_name: str) -> Callable[[], Any] | None:
    """A capability's ``bench_system`` factory, when the capability is installed."""
    try:
        module = importlib.import_module(module_name)
    except ImportError:
        return None
    factory = getattr(module, "bench_system", None)
    return factory if callable(factory) else None


WATERMARK_SYSTEMS.register("pixelproof", _own("pixelproof.watermark"))
WATERMARK_SYSTEMS.register("dwtDct", _baseline("DwtDctBaseline"))
WATERMARK_SYSTEMS.register("dwtDctSvd", _baseline("DwtDctSvdBaseline"))
WATERMARK_SYSTEMS.register("rivaGan", _baseline("RivaGanBaseline"))

MATCH_SYSTEMS.register("pixelproof", _own("pixelproof.match"))
MATCH_SYSTEMS.register("phash", _baseline("PHashMatcher"))
MATCH_SYSTEMS.register("pdq", _baseline("PdqMatcher"))
MATCH_SYSTEMS.register("sscd", _baseline("SscdMatcher"))
MATCH_SYSTEMS.register("sscd-distilled", _baseline("SscdDistilledMatcher"))


def baseline_names(registry: Registry[Factory]) -> str:
    """The baselines of a system registry (every system but ``pixelproof``), for help texts."""
    return ", ".join(name for name in registry if name != "pixelproof")
