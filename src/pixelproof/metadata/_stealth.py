"""NovelAI-style "stealth" metadata hidden in the least significant bits of pixels.

Layout (as NovelAI's own reader and the stealth-pnginfo extension read it): the LSBs
of the alpha channel, taken column by column (x outer, y inner) and packed most
significant bit first, spell a 15-byte magic, ``stealth_pngcomp`` (gzip-compressed
payload) or ``stealth_pnginfo`` (plain UTF-8); then a 32-bit big-endian payload length
*in bits*; then the payload, a JSON object. The extension also has RGB variants
(``stealth_rgbcomp``/``stealth_rgbinfo``) using the LSBs of R, G and B of each pixel in
the same order, which are read too.
"""

from __future__ import annotations

import contextlib
import gzip
import io
import json
import zlib
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

MAGIC_LENGTH = 15
MAX_PAYLOAD_BYTES = 4 * 2**20

_MAGICS = {
    b"stealth_pngcomp": ("alpha", True),
    b"stealth_pnginfo": ("alpha", False),
    b"stealth_rgbcomp": ("rgb", True),
    b"stealth_rgbinfo": ("rgb", False),
}


@dataclass(frozen=True)
class StealthPayload:
    """A decoded stealth payload.

    Attributes
    ----------
    magic : str
        The magic found (``"stealth_pngcomp"``, ...).
    channel : str
        ``"alpha"`` or ``"rgb"``.
    data : dict
        The decoded JSON object (``Comment`` is parsed when it holds JSON text).
    """

    magic: str
    channel: str
    data: dict[str, Any]


def _bits(channel: NDArray[np.uint8], count: int) -> NDArray[np.uint8]:
    """The first ``count`` LSBs of an (H, W) or (H, W, C) array in column-major order."""
    if channel.ndim == 2:
        flat = np.ascontiguousarray(channel.T).reshape(-1)
    else:
        flat = np.ascontiguousarray(channel.transpose(1, 0, 2)).reshape(-1)
    return (flat[:count] & 1).astype(np.uint8)


def _bytes(bits: NDArray[np.uint8]) -> bytes:
    usable = bits[: len(bits) // 8 * 8]
    return bytes(np.packbits(usable))


def read_stealth(
    alpha: NDArray[np.uint8] | None, rgb: NDArray[np.uint8] | None = None
) -> StealthPayload | None:
    """Look for a stealth payload in an alpha channel (and optionally RGB LSBs).

    Parameters
    ----------
    alpha : (H, W) uint8 ndarray or None
        The alpha channel as stored (not re-oriented).
    rgb : (H, W, 3) uint8 ndarray, optional
        The colour pixels, to check the RGB variants (lossless formats only).

    Returns
    -------
    StealthPayload or None
        None when no magic is present. A payload that is present but damaged raises
        ``ValueError`` naming what is wrong.
    """
    for channel_name, channel in (("alpha", alpha), ("rgb", rgb)):
        if channel is None or channel.size < MAGIC_LENGTH * 8 + 32:
            continue
        magic = _bytes(_bits(channel, MAGIC_LENGTH * 8))
        if magic not in _MAGICS or _MAGICS[magic][0] != channel_name:
            continue
        compressed = _MAGICS[magic][1]
        header_bits = MAGIC_LENGTH * 8 + 32
        header = _bits(channel, header_bits)
        length_bits = int.from_bytes(_bytes(header[MAGIC_LENGTH * 8 :]), "big")
        if length_bits <= 0 or length_bits // 8 > MAX_PAYLOAD_BYTES:
            raise ValueError(f"{magic.decode()}: declared payload of {length_bits} bits is invalid")
        total = header_bits + length_bits
        if total > channel.size:
            raise ValueError(f"{magic.decode()}: payload is longer than the image can hold")
        payload = _bytes(_bits(channel, total)[header_bits:])
        return StealthPayload(magic.decode(), channel_name, _decode(payload, compressed))
    return None


def _decode(payload: bytes, compressed: bool) -> dict[str, Any]:
    try:
        if compressed:
            with gzip.GzipFile(fileobj=io.BytesIO(payload)) as handle:
                payload = handle.read(MAX_PAYLOAD_BYTES * 4)
        data = json.loads(payload.decode("utf-8"))
    except (OSError, EOFError, zlib.error, UnicodeDecodeError, ValueError) as exc:
        raise ValueError(f"stealth payload cannot be decoded ({exc})") from exc
    if not isinstance(data, dict):
        raise ValueError("stealth payload is not a JSON object")
    comment = data.get("Comment")
    if isinstance(comment, str):
        with contextlib.suppress(ValueError):
            data["Comment"] = json.loads(comment)
    return data


def embed_stealth(
    alpha: NDArray[np.uint8], data: dict[str, Any], *, compressed: bool = True
) -> NDArray[np.uint8]:
    """Write a stealth payload into the LSBs of a copy of ``alpha`` (for tests and demos).

    Parameters
    ----------
    alpha : (H, W) uint8 ndarray
        The alpha channel to carry the payload; it is not modified.
    data : dict
        The JSON object to hide.
    compressed : bool
        gzip the payload (``stealth_pngcomp``) or not (``stealth_pnginfo``).

    Raises
    ------
    ValueError
        When the image is too small to hold the payload.
    """
    raw = json.dumps(data).encode("utf-8")
    if compressed:
        raw = gzip.compress(raw)
    magic = b"stealth_pngcomp" if compressed else b"stealth_pnginfo"
    message = magic + (len(raw) * 8).to_bytes(4, "big") + raw
    bits = np.unpackbits(np.frombuffer(message, dtype=np.uint8))
    if bits.size > alpha.size:
        raise ValueError(f"alpha channel holds {alpha.size} bits; the payload needs {bits.size}")
    column_major = np.ascontiguousarray(alpha.T).reshape(-1).copy()
    column_major[: bits.size] = (column_major[: bits.size] & 0xFE) | bits
    return np.ascontiguousarray(column_major.reshape(alpha.shape[1], alpha.shape[0]).T)
