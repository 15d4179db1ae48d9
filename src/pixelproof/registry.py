"""One registry type for everything pixelproof looks up by name.

Analyzers (:mod:`pixelproof.evidence`), forensic analyses, global descriptors
(:mod:`pixelproof.match`), benchmark transforms and benchmark systems each keep a
:class:`Registry`: names in registration order, one object per name, a helpful error
for an unknown name, and optional sources loaded once on first read (modules whose
import registers things, callables that register them, and an entry-point group for
plug-ins). The command line builds its help texts and error messages from them.

>>> from pixelproof.registry import Registry
>>> formats = Registry[type]("format")
>>> @formats.register("png")
... class Png: ...
>>> _ = formats.register("jpeg", type("Jpeg", (), {}))
>>> formats.names()
('png', 'jpeg')
>>> formats.get("gif")
Traceback (most recent call last):
...
pixelproof.registry.UnknownNameError: unknown format 'gif' (known: png, jpeg)
"""

from __future__ import annotations

import importlib
import warnings
from collections.abc import Callable, Iterable, Iterator
from importlib.metadata import entry_points
from types import ModuleType
from typing import Any, Generic, TypeVar, overload

T = TypeVar("T")

Source = str | Callable[[], object]
"""A module name to import, or a callable to call, on the first read of a registry."""


class UnknownNameError(KeyError, ValueError):
    """A name no entry of a registry has; the message lists the known names.

    Both a :class:`KeyError` (a failed look-up) and a :class:`ValueError` (a bad
    argument), so callers that caught either before keep working.
    """

    def __init__(self, message: str, name: str, known: tuple[str, ...]) -> None:
        super().__init__(message)
        self.name = name
        self.known = known

    def __str__(self) -> str:
        return str(self.args[0])


class Registry(Generic[T]):
    """Named objects of one kind, in registration order.

    Parameters
    ----------
    kind : str
        What the entries are (``"transform"``, ``"analyzer"``), used in messages.
    sources : iterable of str or callable, optional
        Loaded once, in order, on the first read (not on :meth:`register`): a string
        is a module imported for the registrations its import makes, a callable is
        called to make registrations.
    entry_points : str, optional
        Entry-point group of plug-ins, loaded after ``sources``. An entry point that
        names a module is imported (its import registers); one that names any other
        object is registered under the entry point's name. A plug-in that fails to
        load is reported with a warning, never an error.
    """

    def __init__(
        self, kind: str, *, sources: Iterable[Source] = (), entry_points: str | None = None
    ) -> None:
        self.kind = kind
        self.group = entry_points
        self._sources = tuple(sources)
        self._entries: dict[str, T] = {}
        self._loaded = not self._sources and entry_points is None

    def __repr__(self) -> str:
        return f"Registry({self.kind!r}, {list(self._entries)})"

    @overload
    def register(self, name: str) -> Callable[[T], T]: ...

    @overload
    def register(self, name: str, obj: T) -> T: ...

    def register(self, name: str, obj: Any = ...) -> Any:
        """Add ``obj`` under ``name``, or return a decorator that adds what it decorates.

        Registering the same object under the same name again does nothing.

        Raises
        ------
        TypeError
            When ``name`` is not a non-empty string.
        ValueError
            When another object already has ``name``.
        """
        if not isinstance(name, str) or not name:
            raise TypeError(f"a {self.kind} needs a non-empty name, got {name!r}")
        if obj is ...:

            def decorate(target: T) -> T:
                return self.register(name, target)

            return decorate
        existing = self._entries.get(name, ...)
        if existing is not ... and existing is not obj:
            taken = f"{_article(self.kind)} {self.kind} named {name!r}"
            raise ValueError(f"{taken} is already registered ({existing})")
        self._entries[name] = obj
        return obj

    def unregister(self, name: str) -> T:
        """Remove ``name`` and return what it held (for tests and plug-in managers)."""
        self._load()
        if name not in self._entries:
            raise self.unknown(name)
        return self._entries.pop(name)

    def get(self, name: str) -> T:
        """The object registered under ``name``.

        Raises
        ------
        UnknownNameError
            (a ``KeyError`` and a ``ValueError``) naming the known names.
        """
        self._load()
        try:
            return self._entries[name]
        except KeyError:
            raise self.unknown(name) from None

    def names(self) -> tuple[str, ...]:
        """Every name, in registration order."""
        self._load()
        return tuple(self._entries)

    def items(self) -> list[tuple[str, T]]:
        """Every ``(name, object)`` pair, in registration order."""
        self._load()
        return list(self._entries.items())

    def as_dict(self) -> dict[str, T]:
        """A new dict of every entry, in registration order."""
        self._load()
        return dict(self._entries)

    def known(self, separator: str = ", ") -> str:
        """The names joined for a message or a help text."""
        return separator.join(self.names())

    def unknown(self, name: str) -> UnknownNameError:
        """The error for ``name`` not being registered (raise it)."""
        known = self.names()
        message = f"unknown {self.kind} {name!r} (known: {', '.join(known) or 'none'})"
        return UnknownNameError(message, name, known)

    def __contains__(self, name: object) -> bool:
        self._load()
        return name in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def __len__(self) -> int:
        self._load()
        return len(self._entries)

    def _load(self) -> None:
        if self._loaded:
            return
        self._loaded = True  # set first: the sources register into this registry
        try:
            for source in self._sources:
                if isinstance(source, str):
                    importlib.import_module(source)
                else:
                    source()
        except BaseException:
            self._loaded = False  # the next read tries again (and raises again)
            raise
        if self.group is not None:
            self._load_plugins(self.group)

    def _load_plugins(self, group: str) -> None:
        for entry in entry_points(group=group):
            try:
                obj = entry.load()
                known = any(value is obj for value in self._entries.values())
                if not isinstance(obj, ModuleType) and not known:
                    self.register(entry.name, obj)
            except Exception as exc:  # a broken plug-in must not break pixelproof
                warnings.warn(
                    f"{self.kind} plug-in {entry.name!r} failed to load: {exc}", stacklevel=4
                )


def _article(word: str) -> str:
    return "an" if word[:1].lower() in "aeiou" else "a"
