"""Records, the transform base class, parameter validation and the registry."""

from __future__ import annotations

import dataclasses
import json
import math
import types
import typing
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal, TypeVar, dataclass_transform

import numpy as np
from numpy.typing import NDArray
from PIL import ImageColor

from ..._spec import ParamValue, check_name, format_step, parse_step, split_pipeline
from ...registry import Registry

if TYPE_CHECKING:
    from ._compose import Compose

RngLike = int | np.random.Generator | None
"""What every ``rng`` argument accepts: a seed, a generator, or ``None`` for fresh entropy."""

Size = tuple[int, int]


def as_rng(rng: RngLike) -> np.random.Generator:
    """Turn an ``rng`` argument into a :class:`numpy.random.Generator`.

    An ``int`` seeds a new generator (so equal seeds give equal draws), a generator is
    used as is (and advanced), and ``None`` draws fresh OS entropy.
    """
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None:
        return np.random.default_rng()
    if isinstance(rng, bool) or not isinstance(rng, int | np.integer):
        raise TypeError(f"rng must be an int, a numpy Generator or None, got {type(rng).__name__}")
    return np.random.default_rng(int(rng))


def draw_seed(rng: np.random.Generator) -> int:
    """A fresh 31-bit seed for a transform whose randomness is replayed from a seed."""
    return int(rng.integers(0, 2**31 - 1))


def check_image(image: object, name: str = "image") -> NDArray[np.uint8]:
    """Return ``image`` if it is an ``(H, W, 3)`` uint8 array, else raise."""
    if not isinstance(image, np.ndarray):
        raise TypeError(
            f"{name} must be an (H, W, 3) uint8 numpy array, got {type(image).__name__}"
        )
    if image.dtype != np.uint8:
        raise ValueError(f"{name} must have dtype uint8, got {image.dtype}")
    if image.ndim != 3 or image.shape[2] != 3 or image.shape[0] < 1 or image.shape[1] < 1:
        raise ValueError(f"{name} must have shape (H, W, 3) with H, W >= 1, got {image.shape}")
    return image


# --- records ------------------------------------------------------------------------


class FrozenParams(Mapping[str, ParamValue]):
    """A read-only, hashable mapping of parameter names to JSON scalars."""

    __slots__ = ("_items",)

    def __init__(self, items: Mapping[str, ParamValue]) -> None:
        for key, value in items.items():
            if not isinstance(key, str):
                raise TypeError(f"parameter names must be str, got {key!r}")
            if value is not None and not isinstance(value, bool | int | float | str):
                raise TypeError(
                    f"parameter {key!r} must be a bool, int, float, str or None, "
                    f"got {type(value).__name__}"
                )
            if isinstance(value, float) and not math.isfinite(value):
                raise ValueError(f"parameter {key!r} must be finite, got {value}")
        self._items = dict(items)

    def __getitem__(self, key: str) -> ParamValue:
        return self._items[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __hash__(self) -> int:
        return hash(tuple(self._items.items()))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Mapping):
            return dict(self._items) == dict(other)
        return NotImplemented

    def __repr__(self) -> str:
        return repr(self._items)


@dataclass(frozen=True)
class Applied:
    """What one transform did to one image: enough to report it and to replay it.

    Attributes
    ----------
    name : str
        Registered transform name (``"jpeg"``), or ``"compose"`` for a pipeline.
    params : mapping of str to bool, int, float, str or None
        Every parameter, with random draws resolved (a random crop records the offset
        it drew, noise the seed it used), so ``record.spec`` replays the same output.
    src_size, dst_size : (int, int)
        ``(height, width)`` of the input and of the output, as in ``image.shape[:2]``.
    intensity : float
        How strongly the image was changed, on 0-100 (0: unchanged). Each transform
        documents its scale; for a pipeline it is ``100 * (1 - prod(1 - i_k / 100))``.
    steps : tuple of Applied
        For a pipeline, the record of each step in order; empty otherwise.
    """

    name: str
    params: Mapping[str, ParamValue]
    src_size: Size
    dst_size: Size
    intensity: float
    steps: tuple[Applied, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "params", FrozenParams(self.params))
        object.__setattr__(self, "src_size", _size(self.src_size, "src_size"))
        object.__setattr__(self, "dst_size", _size(self.dst_size, "dst_size"))
        intensity = float(self.intensity)
        if not 0.0 <= intensity <= 100.0:
            raise ValueError(f"intensity must be in [0, 100], got {intensity}")
        object.__setattr__(self, "intensity", intensity)
        object.__setattr__(self, "steps", tuple(self.steps))

    @property
    def spec(self) -> str:
        """A spec that replays exactly this application, every parameter spelled out."""
        if self.name == "compose":
            return "|".join(step.spec for step in self.steps)
        return format_step(self.name, self.params)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (``json.dumps(record.to_dict())`` works)."""
        return {
            "name": self.name,
            "params": dict(self.params),
            "src_size": list(self.src_size),
            "dst_size": list(self.dst_size),
            "intensity": self.intensity,
            "steps": [step.to_dict() for step in self.steps],
        }

    def to_json(self) -> str:
        """The record as a compact JSON string."""
        return json.dumps(self.to_dict(), separators=(",", ":"))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Applied:
        """Rebuild a record written by :meth:`to_dict`."""
        return cls(
            name=str(data["name"]),
            params=dict(data["params"]),
            src_size=(int(data["src_size"][0]), int(data["src_size"][1])),
            dst_size=(int(data["dst_size"][0]), int(data["dst_size"][1])),
            intensity=float(data["intensity"]),
            steps=tuple(cls.from_dict(step) for step in data.get("steps", ())),
        )


def _size(value: object, name: str) -> Size:
    if (
        not isinstance(value, tuple | list)
        or len(value) != 2
        or not all(isinstance(v, int | np.integer) and not isinstance(v, bool) for v in value)
    ):
        raise TypeError(f"{name} must be a (height, width) pair of ints, got {value!r}")
    return (int(value[0]), int(value[1]))


@dataclass(frozen=True, eq=False)
class TransformResult:
    """The output of a transform: the new image and the record of what was done.

    Attributes
    ----------
    image : (H', W', 3) uint8 ndarray
        The transformed image (always a new array; the input is never modified).
    record : Applied
        What was applied, with random draws resolved.
    """

    image: NDArray[np.uint8]
    record: Applied


# --- parameter constraints --------------------------------------------------------


@dataclass(frozen=True)
class Range:
    """Constraint for ``Annotated`` numeric parameters: ``low <= value <= high``.

    ``low_open``/``high_open`` make the bounds strict; ``None`` leaves a side unbounded.
    """

    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False

    def check(self, name: str, value: object) -> None:
        if not isinstance(value, int | float):
            return
        if not math.isfinite(value):
            raise ValueError(f"{name} must be finite, got {value}")
        low_ok = self.low is None or (value > self.low if self.low_open else value >= self.low)
        high_ok = self.high is None or (value < self.high if self.high_open else value <= self.high)
        if not (low_ok and high_ok):
            raise ValueError(f"{name} must be in {self._describe()}, got {value}")

    def _describe(self) -> str:
        left = "(" if self.low_open or self.low is None else "["
        right = ")" if self.high_open or self.high is None else "]"
        low = "-inf" if self.low is None else f"{self.low:g}"
        high = "inf" if self.high is None else f"{self.high:g}"
        return f"{left}{low}, {high}{right}"


@dataclass(frozen=True)
class Odd:
    """Constraint for ``Annotated`` integer parameters: the value must be odd."""

    def check(self, name: str, value: object) -> None:
        if isinstance(value, int) and value % 2 == 0:
            raise ValueError(f"{name} must be odd, got {value}")


@dataclass(frozen=True)
class Color:
    """Constraint for ``Annotated`` string parameters: a Pillow colour (``red``, ``#ff0``)."""

    def check(self, name: str, value: object) -> None:
        if isinstance(value, str):
            try:
                ImageColor.getrgb(value)
            except ValueError:
                raise ValueError(
                    f"{name} must be a colour name or #rrggbb, got {value!r}"
                ) from None


@dataclass(frozen=True)
class _FieldSchema:
    name: str
    kind: type  # bool, int, float or str
    choices: tuple[str, ...] | None
    nullable: bool
    constraints: tuple[Range | Odd | Color, ...]
    default: ParamValue

    def coerce(self, value: object, owner: str) -> ParamValue:
        """Check a Python value's type (ints are accepted for floats) and constraints."""
        label = f"{owner}: {self.name}"
        if value is None:
            if not self.nullable:
                raise TypeError(f"{label} must not be None")
            return None
        if self.kind is float:
            if isinstance(value, bool) or not isinstance(value, int | float | np.number):
                raise TypeError(f"{label} must be a number, got {type(value).__name__}")
            value = float(value)
        elif self.kind is int:
            if isinstance(value, bool) or not isinstance(value, int | np.integer):
                raise TypeError(f"{label} must be an int, got {type(value).__name__}")
            value = int(value)
        elif not isinstance(value, self.kind):
            raise TypeError(f"{label} must be a {self.kind.__name__}, got {type(value).__name__}")
        if self.choices is not None and value not in self.choices:
            raise ValueError(f"{label} must be one of {', '.join(self.choices)}, got {value!r}")
        for constraint in self.constraints:
            constraint.check(label, value)
        return typing.cast(ParamValue, value)

    def parse(self, text: str, owner: str) -> ParamValue:
        """Convert the spelling of a value in a spec to this parameter's type."""
        label = f"{owner}: {self.name}"
        value: ParamValue
        if self.kind is bool:
            lowered = text.lower()
            if lowered not in ("true", "false"):
                raise ValueError(f"{label} must be true or false, got {text!r}")
            value = lowered == "true"
        elif self.kind is int:
            try:
                value = int(text)
            except ValueError:
                raise ValueError(f"{label} must be an integer, got {text!r}") from None
        elif self.kind is float:
            try:
                value = float(text)
            except ValueError:
                raise ValueError(f"{label} must be a number, got {text!r}") from None
        else:
            value = text
        return self.coerce(value, owner)


def _field_schema(field: dataclasses.Field[Any], hint: Any) -> _FieldSchema:
    constraints: tuple[Any, ...] = ()
    if typing.get_origin(hint) is Annotated:
        hint, *meta = typing.get_args(hint)
        constraints = tuple(meta)
    nullable = False
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        members = [arg for arg in typing.get_args(hint) if arg is not type(None)]
        nullable = len(members) < len(typing.get_args(hint))
        if len(members) != 1:
            raise TypeError(f"parameter {field.name!r}: unsupported annotation {hint!r}")
        hint = members[0]
    choices: tuple[str, ...] | None = None
    if typing.get_origin(hint) is Literal:
        choices = tuple(str(arg) for arg in typing.get_args(hint))
        hint = str
    if hint not in (bool, int, float, str):
        raise TypeError(f"parameter {field.name!r}: unsupported annotation {hint!r}")
    if field.default is dataclasses.MISSING:
        raise TypeError(f"parameter {field.name!r} needs a default value")
    if nullable and field.default is not None:
        raise TypeError(f"optional parameter {field.name!r} must default to None")
    return _FieldSchema(field.name, hint, choices, nullable, constraints, field.default)


# --- transforms -------------------------------------------------------------------

T = TypeVar("T", bound="Transform")


@dataclass_transform(kw_only_default=True, frozen_default=True)
class Transform:
    """Base of the transform classes: stored parameters, a spec, and a call.

    Subclasses declare their parameters as annotated class attributes with defaults;
    they become a frozen, keyword-only dataclass whose values are type-checked and
    range-checked on construction. :func:`register` binds the class to the function
    that holds the algorithm, and ``__call__`` forwards to it.

    ``transform.spec`` is the shortest spec that rebuilds an equal object: the first
    parameter always, the others when they differ from their defaults. ``a | b``
    chains transforms into a :class:`~pixelproof.bench.transforms.Compose`.
    """

    name: ClassVar[str]
    function: ClassVar[Callable[..., TransformResult]]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        dataclass(frozen=True, kw_only=True)(cls)

    def __post_init__(self) -> None:
        owner = type(self).__name__
        for schema in _schemas(type(self)):
            value = schema.coerce(getattr(self, schema.name), owner)
            object.__setattr__(self, schema.name, value)

    @property
    def params(self) -> dict[str, ParamValue]:
        """Every parameter, in declaration order."""
        return {schema.name: getattr(self, schema.name) for schema in _schemas(type(self))}

    @property
    def spec(self) -> str:
        """Canonical spec string; ``parse_spec(t.spec) == t``."""
        schemas = _schemas(type(self))
        shown = {
            schema.name: getattr(self, schema.name)
            for i, schema in enumerate(schemas)
            if i == 0 or getattr(self, schema.name) != schema.default
        }
        return format_step(self.name, shown)

    def to_dict(self) -> dict[str, Any]:
        """``{"name": ..., "params": {...}}`` with every parameter."""
        return {"name": self.name, "params": self.params}

    def __call__(self, image: NDArray[np.uint8], rng: RngLike = None) -> TransformResult:
        """Apply the transform; see the function of the same name."""
        return type(self).function(image, rng=rng, **self.params)

    def __or__(self, other: Transform | Compose) -> Compose:
        from ._compose import Compose

        return Compose([self]) | other


_SCHEMAS: dict[type, tuple[_FieldSchema, ...]] = {}


def _schemas(cls: type[Transform]) -> tuple[_FieldSchema, ...]:
    """The parameter schemas of a transform class, read once from its annotations."""
    cached = _SCHEMAS.get(cls)
    if cached is None:
        hints = typing.get_type_hints(cls, include_extras=True)
        fields = dataclasses.fields(cls)  # type: ignore[arg-type]
        cached = tuple(_field_schema(field, hints[field.name]) for field in fields)
        _SCHEMAS[cls] = cached
    return cached


TRANSFORMS: Registry[type[Transform]] = Registry("transform")
"""Every transform class by name, in registration order."""


def register(function: Callable[..., TransformResult]) -> Callable[[type[T]], type[T]]:
    """Class decorator binding a transform class to its function and registering it.

    The registered name is the function's name. The function's keyword parameters
    (other than ``rng`` and extra in-memory inputs) must be the class's parameters,
    with the same defaults; the test suite checks this for every transform.
    """
    name = check_name(function.__name__, "transform name")

    def decorate(cls: type[T]) -> type[T]:
        TRANSFORMS.register(name, cls)  # raises when another class has the name
        cls.name = name
        cls.function = staticmethod(function)
        try:
            _schemas(cls)  # fail at import time on an unsupported annotation
        except Exception:
            TRANSFORMS.unregister(name)
            raise
        return cls

    return decorate


def available_transforms() -> dict[str, type[Transform]]:
    """Every registered transform class by name, in registration order."""
    return TRANSFORMS.as_dict()


def get_transform(name: str) -> type[Transform]:
    """The transform class registered under ``name``.

    Raises
    ------
    ValueError
        When no transform has that name (the message lists the known names).
    """
    if name not in TRANSFORMS:
        known = ", ".join(sorted(TRANSFORMS))
        raise ValueError(f"unknown transform {name!r} (known: {known})")
    return TRANSFORMS.get(name)


def create(name: str, **params: ParamValue) -> Transform:
    """Build the transform ``name`` from typed parameter values."""
    cls = get_transform(name)
    _check_keys(cls, params)
    return cls(**params)


def parse_spec(spec: str) -> Transform:
    """Build one transform from its spec, e.g. ``parse_spec("jpeg:q=75")``.

    See :mod:`pixelproof.bench.transforms` for the grammar; pipelines
    (``a|b``) are read by :meth:`Compose.from_spec`.

    Raises
    ------
    ValueError
        On a malformed spec, an unknown transform or parameter, or a bad value.
    """
    steps = split_pipeline(spec)
    if len(steps) != 1:
        raise ValueError(f"{spec!r} has {len(steps)} steps; use Compose.from_spec for pipelines")
    name, raw = parse_step(steps[0])
    cls = get_transform(name)
    _check_keys(cls, raw)
    schemas = {schema.name: schema for schema in _schemas(cls)}
    values = {key: schemas[key].parse(text, cls.__name__) for key, text in raw.items()}
    return cls(**values)


def _check_keys(cls: type[Transform], params: Mapping[str, object]) -> None:
    known = [schema.name for schema in _schemas(cls)]
    unknown = [key for key in params if key not in known]
    if unknown:
        accepted = ", ".join(known) or "none"
        raise ValueError(
            f"{cls.name}: unknown parameter(s) {', '.join(unknown)} (accepted: {accepted})"
        )


def make_result(
    params: Transform,
    source: NDArray[np.uint8],
    output: NDArray[np.uint8],
    intensity: float,
    **resolved: ParamValue,
) -> TransformResult:
    """Package an output with its record; ``resolved`` overrides drawn parameters."""
    values = params.params | resolved
    clipped = min(100.0, max(0.0, float(intensity)))
    record = Applied(
        name=params.name,
        params=values,
        src_size=(int(source.shape[0]), int(source.shape[1])),
        dst_size=(int(output.shape[0]), int(output.shape[1])),
        intensity=clipped,
    )
    return TransformResult(np.ascontiguousarray(output), record)
