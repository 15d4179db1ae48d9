"""The ``c2pa.soft-binding`` assertions of a durable manifest: build them, read them back.

The assertion's shape follows the C2PA specification's ``soft-binding-map``::

    {"alg": <algorithm name>, "blocks": [{"scope": {}, "value": <text>}],
     "name": <human-readable description>, "pad": <bytes>}

An empty ``scope`` means the whole image. ``value`` is algorithm-specific text; both of
ours are base64, the encoding the Soft Binding Resolution API uses in its queries:

- :data:`WATERMARK_ALG`: the 32-bit identifier carried by pixelproof's keyed watermark
  (``pixelproof-tile-v2``), as 4 big-endian bytes;
- :data:`FINGERPRINT_ALG`: the whole-image global descriptor of the provenance index
  (EfficientNet-Lite0 GeM, PCA-whitened), as little-endian float16; ``name`` gives
  the descriptor spec, since another descriptor would not be comparable.

Neither name is in the C2PA soft binding algorithm list: they are reverse-domain
names that pixelproof owns, as that list asks of unregistered algorithms.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

SOFT_BINDING_LABEL = "c2pa.soft-binding"
WATERMARK_ALG = "org.pixelproof.watermark.1"
FINGERPRINT_ALG = "org.pixelproof.fingerprint.1"
IDENTIFIER_BITS = 32
_FINGERPRINT_PREFIX = "pixelproof fingerprint, descriptor "


def identifier_hex(identifier: int) -> str:
    """The watermark message of an identifier: 8 lowercase hexadecimal digits."""
    return f"{identifier:08x}"


def encode_identifier(identifier: int) -> str:
    return base64.b64encode(identifier.to_bytes(4, "big")).decode("ascii")


def decode_identifier(value: str) -> int | None:
    """The identifier of a watermark binding's value (None when it is not one)."""
    raw = _b64(value)
    return None if raw is None or len(raw) != 4 else int.from_bytes(raw, "big")


def encode_fingerprint(vector: NDArray[np.float32]) -> str:
    return base64.b64encode(np.asarray(vector, dtype="<f2").tobytes()).decode("ascii")


def decode_fingerprint(value: str, dim: int) -> NDArray[np.float32] | None:
    """A fingerprint binding's vector, unit length (None when it is not ``dim`` long)."""
    raw = _b64(value)
    if raw is None or len(raw) != 2 * dim:
        return None
    vector = np.frombuffer(raw, dtype="<f2").astype(np.float32)
    norm = float(np.linalg.norm(vector))
    if not np.isfinite(norm) or norm == 0.0:
        return None
    return vector / norm


def _b64(value: str) -> bytes | None:
    try:
        return base64.b64decode(value.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        return None


def soft_binding_assertions(
    identifier: int, fingerprint: NDArray[np.float32], descriptor_spec: str
) -> list[dict[str, Any]]:
    """The two ``c2pa.soft-binding`` assertions of a durable manifest."""
    return [
        _assertion(
            WATERMARK_ALG,
            encode_identifier(identifier),
            "pixelproof-tile-v2 keyed watermark carrying a 32-bit identifier",
        ),
        _assertion(
            FINGERPRINT_ALG,
            encode_fingerprint(fingerprint),
            _FINGERPRINT_PREFIX + descriptor_spec,
        ),
    ]


def _assertion(alg: str, value: str, name: str) -> dict[str, Any]:
    data = {"alg": alg, "blocks": [{"scope": {}, "value": value}], "name": name, "pad": []}
    return {"label": SOFT_BINDING_LABEL, "data": data}


@dataclass(frozen=True)
class SoftBindings:
    """What a manifest's soft-binding assertions say (None: no such binding)."""

    identifier: int | None = None
    fingerprint: str | None = None
    descriptor: str | None = None
    algorithms: tuple[str, ...] = ()

    def fingerprint_vector(self, dim: int) -> NDArray[np.float32] | None:
        return None if self.fingerprint is None else decode_fingerprint(self.fingerprint, dim)


def read_soft_bindings(assertions: Iterable[Any]) -> SoftBindings:
    """The soft bindings among a manifest's assertions (c2pa's JSON form).

    Anything malformed is ignored: the manifest may come from anywhere.
    """
    identifier: int | None = None
    fingerprint: str | None = None
    descriptor: str | None = None
    algorithms: list[str] = []
    for assertion in assertions:
        if not isinstance(assertion, dict):
            continue
        if not str(assertion.get("label", "")).startswith(SOFT_BINDING_LABEL):
            continue
        data = assertion.get("data")
        if not isinstance(data, dict) or not isinstance(data.get("alg"), str):
            continue
        alg = data["alg"]
        algorithms.append(alg)
        blocks = data.get("blocks")
        first = blocks[0] if isinstance(blocks, list) and blocks else None
        value = first.get("value") if isinstance(first, dict) else None
        if not isinstance(value, str):
            continue
        if alg == WATERMARK_ALG and identifier is None:
            identifier = decode_identifier(value)
        elif alg == FINGERPRINT_ALG and fingerprint is None:
            fingerprint = value
            name = data.get("name")
            if isinstance(name, str) and name.startswith(_FINGERPRINT_PREFIX):
                descriptor = name.removeprefix(_FINGERPRINT_PREFIX)
    return SoftBindings(identifier, fingerprint, descriptor, tuple(algorithms))
