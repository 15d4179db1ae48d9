"""Pipelines of transforms and the named presets."""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping
from types import MappingProxyType
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..._spec import split_pipeline
from ._core import (
    Applied,
    RngLike,
    Transform,
    TransformResult,
    as_rng,
    check_image,
    parse_spec,
)

PRESETS: Mapping[str, str] = MappingProxyType(
    {
        # A typical social-media re-share: an off-centre crop keeping 80% of the area,
        # a downscale to 3/4 and a JPEG re-encode at quality 75.
        "social": "crop:area=0.8,offset=random|resize:scale=0.75|jpeg:q=75",
    }
)
"""Named pipelines, by name; :func:`preset` builds them."""


class Compose:
    """Apply transforms one after the other.

    Parameters
    ----------
    steps : iterable of Transform
        At least one transform, applied in order.

    Notes
    -----
    Each step gets its own child generator spawned from the ``rng`` given to the call,
    so the draws of one step do not depend on how many numbers another step used.
    The record is ``Applied(name="compose", params={"spec": ...}, steps=...)``; its
    intensity combines the steps' as ``100 * (1 - prod(1 - i_k / 100))``, and
    ``record.spec`` replays the exact same output with no ``rng``.

    Examples
    --------
    >>> from pixelproof.bench.transforms import Compose
    >>> pipeline = Compose.from_spec("crop:area=0.8,offset=random|resize:scale=0.75|jpeg:q=75")
    >>> pipeline.spec
    'crop:area=0.8,offset=random|resize:scale=0.75|jpeg:q=75'
    >>> len(pipeline)
    3
    """

    __slots__ = ("_steps",)

    def __init__(self, steps: Iterable[Transform]) -> None:
        checked = tuple(steps)
        if not checked:
            raise ValueError("a Compose needs at least one step (use identity for none)")
        for step in checked:
            if not isinstance(step, Transform):
                raise TypeError(f"Compose steps must be transforms, got {type(step).__name__}")
        self._steps = checked

    @classmethod
    def from_spec(cls, spec: str) -> Compose:
        """Build a pipeline from ``step|step|...`` (see :mod:`pixelproof.bench.transforms`)."""
        return cls(parse_spec(step) for step in split_pipeline(spec))

    @property
    def steps(self) -> tuple[Transform, ...]:
        """The transforms, in order."""
        return self._steps

    @property
    def spec(self) -> str:
        """Canonical spec; ``Compose.from_spec(c.spec) == c``."""
        return "|".join(step.spec for step in self._steps)

    def to_dict(self) -> dict[str, Any]:
        """``{"name": "compose", "steps": [step.to_dict(), ...]}``."""
        return {"name": "compose", "steps": [step.to_dict() for step in self._steps]}

    def __call__(self, image: NDArray[np.uint8], rng: RngLike = None) -> TransformResult:
        """Apply every step; returns the final image and a ``compose`` record."""
        check_image(image)
        children = as_rng(rng).spawn(len(self._steps))
        current = image
        records: list[Applied] = []
        for step, child in zip(self._steps, children, strict=True):
            result = step(current, child)
            current = result.image
            records.append(result.record)
        if len(records) == 1:  # exact, not 100 * (1 - (1 - i / 100))
            intensity = records[0].intensity
        else:
            intensity = 100.0 * (1.0 - math.prod(1.0 - r.intensity / 100.0 for r in records))
        applied = Applied(
            name="compose",
            params={"spec": self.spec},
            src_size=(int(image.shape[0]), int(image.shape[1])),
            dst_size=(int(current.shape[0]), int(current.shape[1])),
            intensity=intensity,
            steps=tuple(records),
        )
        return TransformResult(current, applied)

    def __or__(self, other: Transform | Compose) -> Compose:
        if isinstance(other, Compose):
            return Compose(self._steps + other.steps)
        if isinstance(other, Transform):
            return Compose((*self._steps, other))
        return NotImplemented

    def __len__(self) -> int:
        return len(self._steps)

    def __iter__(self) -> Iterator[Transform]:
        return iter(self._steps)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Compose):
            return self._steps == other.steps
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._steps)

    def __repr__(self) -> str:
        return f"Compose.from_spec({self.spec!r})"


def preset(name: str) -> Compose:
    """The named pipeline from :data:`PRESETS` (``preset("social")``)."""
    try:
        return Compose.from_spec(PRESETS[name])
    except KeyError:
        known = ", ".join(sorted(PRESETS))
        raise ValueError(f"unknown preset {name!r} (known: {known})") from None
