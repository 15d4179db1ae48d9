"""Named sets of transforms ("suites") stored as TOML files.

A suite file looks like::

    name = "watermark"
    description = "What the suite is for."

    [[transform]]
    name = "jpeg75"        # unique in the suite; used as a label and a cache key part
    family = "jpeg"        # groups entries into one curve when plotting
    spec = "jpeg:q=75"     # a pipeline spec (steps separated by '|')
    intensity = 25         # optional, 0-100; measured on a probe image when absent

The suites shipped with pixelproof live in ``pixelproof/bench/suites/``.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .transforms import Compose, random_background

_ENTRY_KEYS = frozenset({"name", "family", "spec", "intensity"})
_SUITE_KEYS = frozenset({"name", "description", "transform"})
PROBE_SEED = 20240611
PROBE_SIZE = (192, 256)


@cache
def probe_image() -> NDArray[np.uint8]:
    """The fixed synthetic image on which nominal intensities are measured."""
    image = random_background(*PROBE_SIZE, rng=PROBE_SEED)
    image.setflags(write=False)
    return image


def nominal_intensity(transform: Compose) -> float:
    """The record intensity of ``transform`` on :func:`probe_image` with seed 0."""
    return transform(probe_image(), rng=0).record.intensity


@dataclass(frozen=True)
class SuiteEntry:
    """One named transform of a suite.

    Attributes
    ----------
    name : str
        Unique label within the suite (``"jpeg75"``).
    family : str
        Group for plotting robustness curves (``"jpeg"``).
    transform : Compose
        The pipeline to apply; ``transform.spec`` is its canonical spec.
    intensity : float
        Position on the family's 0-100 axis: from the file, or the record intensity
        on the probe image (:func:`nominal_intensity`).
    """

    name: str
    family: str
    transform: Compose
    intensity: float

    @property
    def spec(self) -> str:
        """Canonical spec of the pipeline."""
        return self.transform.spec

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "family": self.family,
            "spec": self.spec,
            "intensity": self.intensity,
        }


@dataclass(frozen=True)
class Suite:
    """An ordered collection of :class:`SuiteEntry` loaded by :func:`load_suite`."""

    name: str
    description: str
    entries: tuple[SuiteEntry, ...]

    def __iter__(self) -> Iterator[SuiteEntry]:
        return iter(self.entries)

    def __len__(self) -> int:
        return len(self.entries)

    def __getitem__(self, name: str) -> SuiteEntry:
        for entry in self.entries:
            if entry.name == name:
                return entry
        raise KeyError(f"suite {self.name!r} has no entry {name!r}")

    @property
    def names(self) -> list[str]:
        """Entry names, in file order."""
        return [entry.name for entry in self.entries]

    def families(self) -> dict[str, list[SuiteEntry]]:
        """Entries grouped by family (first-seen order), each sorted by intensity."""
        groups: dict[str, list[SuiteEntry]] = {}
        for entry in self.entries:
            groups.setdefault(entry.family, []).append(entry)
        return {
            family: sorted(members, key=lambda e: e.intensity) for family, members in groups.items()
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": self.description,
            "entries": [entry.to_dict() for entry in self.entries],
        }


def available_suites() -> list[str]:
    """Names of the suites shipped with pixelproof (``["default", "watermark"]``)."""
    folder = resources.files("pixelproof.bench").joinpath("suites")
    return sorted(
        item.name.removesuffix(".toml") for item in folder.iterdir() if item.name.endswith(".toml")
    )


def load_suite(path_or_name: str | Path) -> Suite:
    """Load a suite from a TOML file, or a shipped suite by name.

    Parameters
    ----------
    path_or_name : str or Path
        A path to a ``.toml`` file, or the name of a shipped suite
        (:func:`available_suites`).

    Returns
    -------
    Suite
        Entries in file order, each with its parsed pipeline.

    Raises
    ------
    FileNotFoundError
        When neither a file nor a shipped suite has that name.
    ValueError
        On a malformed file: missing or unknown keys, duplicate names, bad specs.

    Examples
    --------
    >>> from pixelproof.bench import load_suite
    >>> suite = load_suite("watermark")
    >>> suite["jpeg75"].spec, suite["jpeg75"].family
    ('jpeg:q=75', 'jpeg')
    """
    path = Path(path_or_name)
    if path.suffix == ".toml" or path.exists():
        text = path.read_text(encoding="utf-8")
        source = str(path)
    else:
        name = str(path_or_name)
        if name not in available_suites():
            known = ", ".join(available_suites())
            raise FileNotFoundError(
                f"no suite file or shipped suite named {name!r} (shipped: {known})"
            )
        resource = resources.files("pixelproof.bench").joinpath("suites", f"{name}.toml")
        text = resource.read_text(encoding="utf-8")
        source = f"shipped suite {name!r}"
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{source}: invalid TOML: {exc}") from None
    return _parse(data, source, default_name=path.stem)


def _text(value: object, key: str, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{where}: {key!r} must be a non-empty string")
    return value


def _parse(data: Mapping[str, Any], source: str, default_name: str) -> Suite:
    unknown = set(data) - _SUITE_KEYS
    if unknown:
        raise ValueError(f"{source}: unknown top-level key(s) {', '.join(sorted(unknown))}")
    name = _text(data.get("name", default_name), "name", source)
    description = data.get("description", "")
    if not isinstance(description, str):
        raise ValueError(f"{source}: 'description' must be a string")
    tables = data.get("transform")
    if not isinstance(tables, list) or not tables:
        raise ValueError(f"{source}: needs at least one [[transform]] table")
    entries: list[SuiteEntry] = []
    seen: set[str] = set()
    for index, table in enumerate(tables, start=1):
        where = f"{source}, transform #{index}"
        if not isinstance(table, dict):
            raise ValueError(f"{where}: must be a table")
        unknown = set(table) - _ENTRY_KEYS
        if unknown:
            raise ValueError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
        entry_name = _text(table.get("name"), "name", where)
        where = f"{source}, transform {entry_name!r}"
        if entry_name in seen:
            raise ValueError(f"{where}: duplicate name")
        seen.add(entry_name)
        family = _text(table.get("family"), "family", where)
        try:
            transform = Compose.from_spec(_text(table.get("spec"), "spec", where))
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{where}: {exc}") from None
        intensity = table.get("intensity")
        if intensity is None:
            intensity = nominal_intensity(transform)
        elif isinstance(intensity, bool) or not isinstance(intensity, int | float):
            raise ValueError(f"{where}: 'intensity' must be a number")
        elif not 0 <= intensity <= 100:
            raise ValueError(f"{where}: 'intensity' must be in [0, 100], got {intensity}")
        entries.append(SuiteEntry(entry_name, family, transform, float(intensity)))
    return Suite(name=name, description=description, entries=tuple(entries))
