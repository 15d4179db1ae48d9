"""The one spec-string grammar: benchmark transforms and pipelines, match descriptors.

::

    pipeline := step ( "|" step )*
    step     := name [ ":" param ( "," param )* ]
    param    := key "=" value
    name     := [a-z] [a-z0-9_]*          (also key)
    value    := bare | quoted
    bare     := one or more characters other than  | , = " \\
    quoted   := '"' ( any character other than " and \\  |  '\\"'  |  '\\\\' )* '"'

Whitespace around names, keys, values and separators is ignored; a bare value keeps
its inner spaces (``text=Hello world``). Values are typed by the parameter they are
given to, not by their spelling: ``true``/``false`` for booleans, Python literals for
integers and floats, anything for strings. ``|`` separates the steps of a pipeline
and ``,`` the parameters of a step, so the two never clash.

Examples: ``jpeg:q=75``, ``resize:scale=0.5,interp=bicubic``,
``crop:area=0.8,offset=random|resize:scale=0.75|jpeg:q=75``,
``text:text="Hello, world",size=0.1``, ``effnet:size=224,regions=true``.

>>> parse_step('text:text="Hello, world",size=0.1')
('text', {'text': 'Hello, world', 'size': '0.1'})
>>> format_step("text", {"text": "Hello, world", "size": 0.1})
'text:text="Hello, world",size=0.1'
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

ParamValue = bool | int | float | str | None

_NAME = re.compile(r"[a-z][a-z0-9_]*\Z")
_SPECIAL = frozenset('|,="\\')


def _split(text: str, separator: str) -> list[str]:
    """Split on ``separator`` outside double quotes."""
    parts: list[str] = []
    current: list[str] = []
    quoted = False
    escaped = False
    for char in text:
        if escaped:
            escaped = False
        elif quoted and char == "\\":
            escaped = True
        elif char == '"':
            quoted = not quoted
        elif char == separator and not quoted:
            parts.append("".join(current))
            current = []
            continue
        current.append(char)
    if quoted:
        raise ValueError(f"unterminated quoted value in spec {text!r}")
    parts.append("".join(current))
    return parts


def _unquote(value: str, spec: str) -> str:
    body = value[1:-1]
    if len(value) < 2 or not value.endswith('"'):
        raise ValueError(f"malformed quoted value {value!r} in spec {spec!r}")
    out: list[str] = []
    escaped = False
    for char in body:
        if escaped:
            out.append(char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == '"':
            raise ValueError(f"text after a closing quote in {value!r} in spec {spec!r}")
        else:
            out.append(char)
    if escaped:
        raise ValueError(f"dangling backslash in {value!r} in spec {spec!r}")
    return "".join(out)


def check_name(name: str, what: str = "name") -> str:
    """Return ``name`` if it is a valid step name or key, else raise ``ValueError``."""
    if not _NAME.match(name):
        raise ValueError(
            f"invalid {what} {name!r}: use lower-case letters, digits and '_', "
            "starting with a letter"
        )
    return name


def split_pipeline(spec: str) -> list[str]:
    """Split a pipeline spec into its step specs (``|`` outside quotes)."""
    if not isinstance(spec, str):
        raise TypeError(f"spec must be a str, got {type(spec).__name__}")
    steps = [step.strip() for step in _split(spec, "|")]
    if any(not step for step in steps):
        raise ValueError(f"empty step in spec {spec!r}")
    return steps


def parse_step(spec: str, kind: str = "transform") -> tuple[str, dict[str, str]]:
    """Parse one step into its name and its raw (untyped) parameter values.

    ``kind`` names what the step builds, in error messages (``"transform"``).

    Raises
    ------
    ValueError
        On a malformed step, a repeated key or a ``|`` (use a pipeline parser).
    """
    if len(_split(spec, "|")) > 1:
        raise ValueError(f"{spec!r} has several steps ('|'); parse it as a pipeline")
    name, colon, rest = spec.partition(":")
    name = check_name(name.strip(), f"{kind} name")
    params: dict[str, str] = {}
    if not colon:
        return name, params
    if not rest.strip():
        raise ValueError(f"no parameters after ':' in spec {spec!r}")
    for item in _split(rest, ","):
        key, equals, value = item.partition("=")
        key = key.strip()
        if not equals:
            raise ValueError(f"expected key=value, got {item.strip()!r} in spec {spec!r}")
        check_name(key, "parameter name")
        if key in params:
            raise ValueError(f"parameter {key!r} given twice in spec {spec!r}")
        value = value.strip()
        if value.startswith('"'):
            params[key] = _unquote(value, spec)
        elif not value:
            raise ValueError(f"empty value for {key!r} in spec {spec!r}")
        elif _SPECIAL & set(value):
            raise ValueError(
                f'value {value!r} of {key!r} contains one of | , = " \\; quote it: {key}="..."'
            )
        else:
            params[key] = value
    return name, params


def format_value(value: ParamValue) -> str:
    """Spell one parameter value so that :func:`parse_step` reads it back."""
    if value is None:
        raise ValueError("None has no spelling in a spec: leave the parameter out")
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    text = value
    if not text or text != text.strip() or _SPECIAL & set(text):
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return text


def format_step(name: str, params: Mapping[str, ParamValue]) -> str:
    """Write a step spec; parameters whose value is ``None`` are left out."""
    items = [f"{key}={format_value(value)}" for key, value in params.items() if value is not None]
    return f"{name}:{','.join(items)}" if items else name


def split_names(values: str | Iterable[str] | None) -> tuple[str, ...] | None:
    """Names given comma-separated, or by repeating an option.

    ``None`` (nothing given) stays ``None`` so callers can tell "all" from "none".

    >>> split_names(["dq, grid", "ela"]), split_names("dq,,"), split_names(None)
    (('dq', 'grid', 'ela'), ('dq',), None)
    """
    if values is None:
        return None
    if isinstance(values, str):
        values = [values]
    return tuple(name.strip() for value in values for name in value.split(",") if name.strip())
