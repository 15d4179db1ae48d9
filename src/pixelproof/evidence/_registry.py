"""The registry of analyzers that ``pixelproof scan`` runs.

Capabilities register their analyzers with :func:`register`. Built-in capability
modules are imported on first use, and third-party packages can add analyzers through
the ``pixelproof.analyzers`` entry-point group (each entry point names a module to
import, whose import registers its analyzers).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, TypeVar

from ..registry import Registry
from ..settings import Settings

if TYPE_CHECKING:
    from ..io import LoadedImage
    from ._model import Evidence

# Modules whose import registers pixelproof's own analyzers.
_BUILTIN_MODULES = (
    "pixelproof.metadata.analyzers",
    "pixelproof.forensics.analyzers",
    "pixelproof.watermark.analyzers",
    "pixelproof.credentials.analyzers",
    "pixelproof.synthetic.analyzers",
)


T = TypeVar("T")


class SharedWork:
    """Work done once per image and shared by the analyzers that need it.

    The runner makes a fresh one for every image, so nothing computed for one image
    can leak into the next (no caches keyed on object ids, no globals).
    """

    def __init__(self) -> None:
        self._values: dict[str, Any] = {}

    def get(self, key: str, compute: Callable[[], T]) -> T:
        """The value stored under ``key``, computed by ``compute()`` the first time."""
        if key not in self._values:
            self._values[key] = compute()
        return self._values[key]  # type: ignore[no-any-return]


class Analyzer(Protocol):
    """What every analyzer provides.

    Class attributes name it and say what it does. It is created with the run's
    :class:`~pixelproof.settings.Settings` (``cls(settings)``); ``analyze`` turns one
    loaded image into evidence, using ``shared`` for work other analyzers of the same
    image may reuse. Analyzers must not modify the image they are given.
    """

    name: ClassVar[str]
    capability: ClassVar[str]
    title: ClassVar[str]
    description: ClassVar[str]

    def analyze(self, image: LoadedImage, shared: SharedWork) -> Evidence: ...


class AnalyzerBase:
    """Keeps the settings an analyzer was created with."""

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or Settings()


A = TypeVar("A", bound=type)

ANALYZERS: Registry[type] = Registry(
    "analyzer", sources=_BUILTIN_MODULES, entry_points="pixelproof.analyzers"
)
"""Every analyzer class by name: the built-in capabilities' first, then plug-ins'."""


def register(cls: A) -> A:
    """Class decorator that adds an analyzer to the registry under ``cls.name``."""
    name = getattr(cls, "name", None)
    if not isinstance(name, str) or not name:
        raise TypeError(f"{cls.__name__} needs a non-empty class attribute 'name'")
    ANALYZERS.register(name, cls)
    return cls


def available_analyzers() -> dict[str, type]:
    """All registered analyzer classes by name, in registration order."""
    return ANALYZERS.as_dict()


def create_analyzers(
    *,
    only: Iterable[str] | None = None,
    skip: Iterable[str] | None = None,
    settings: Settings | None = None,
) -> list[Analyzer]:
    """Instantiate the selected analyzers with ``settings``.

    Parameters
    ----------
    only : iterable of str, optional
        Run just these analyzers (names or capability names such as ``forensics``).
    skip : iterable of str, optional
        Leave these out (names or capability names).
    settings : Settings, optional
        Configuration handed to every analyzer (keys, trust list, limits). An
        analyzer class with an ``enabled(settings)`` class method that returns False
        (the durable credentials analyzer without a repository) is left out unless
        ``only`` is given.

    Raises
    ------
    ValueError
        When a name matches no analyzer and no capability.
    """
    classes = available_analyzers()
    settings = settings or Settings()
    selected = _select(classes, only, skip)
    if only is None:
        # An analyzer with nothing to work with in these settings (no repository to
        # look up, say) runs only when asked for by name.
        selected = [name for name in selected if _enabled(classes[name], settings)]
    factories: list[Callable[[Settings], Analyzer]] = [classes[name] for name in selected]
    return [factory(settings) for factory in factories]


def _enabled(cls: type, settings: Settings) -> bool:
    enabled = getattr(cls, "enabled", None)
    return True if enabled is None else bool(enabled(settings))


def _select(
    classes: dict[str, type], only: Iterable[str] | None, skip: Iterable[str] | None
) -> list[str]:
    capabilities = {name: getattr(cls, "capability", "") for name, cls in classes.items()}

    def expand(names: Iterable[str], option: str) -> set[str]:
        chosen: set[str] = set()
        for raw in names:
            name = raw.strip()
            if not name:
                continue
            matches = {n for n, cap in capabilities.items() if name in (n, cap)}
            if not matches:
                known = ", ".join(sorted(set(classes) | set(capabilities.values())))
                raise ValueError(f"{option}: unknown analyzer {name!r} (known: {known})")
            chosen |= matches
        return chosen

    names = list(classes)
    if only is not None:
        wanted = expand(only, "--only")
        names = [n for n in names if n in wanted]
    if skip is not None:
        unwanted = expand(skip, "--skip")
        names = [n for n in names if n not in unwanted]
    return names
