"""Payload parsing: bytes, int or hexadecimal text to the 32 payload bits and back."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from ._layout import PAYLOAD_BITS

PAYLOAD_BYTES = PAYLOAD_BITS // 8
Message = bytes | int | str


def message_bits(message: Message) -> NDArray[np.uint8]:
    """The 32 payload bits (MSB first) of a message.

    ``bytes`` of at most 4 bytes (left-padded with zeros), a non-negative ``int`` below
    2**32, or a hexadecimal string of at most 8 digits (an optional ``0x`` prefix,
    surrounding spaces and underscores are ignored).
    """
    if isinstance(message, bool):
        raise TypeError("message must be bytes, int or a hex string, not bool")
    if isinstance(message, int):
        if not 0 <= message < 1 << PAYLOAD_BITS:
            raise ValueError(f"message must be in [0, 2**{PAYLOAD_BITS}), got {message}")
        value = message
    elif isinstance(message, bytes | bytearray | memoryview):
        data = bytes(message)
        if len(data) > PAYLOAD_BYTES:
            raise ValueError(f"message is {len(data)} bytes; at most {PAYLOAD_BYTES} fit")
        value = int.from_bytes(data, "big") if data else 0
    elif isinstance(message, str):
        text = message.strip().lower().replace("_", "")
        text = text.removeprefix("0x")
        if not text or len(text) > 2 * PAYLOAD_BYTES:
            raise ValueError(
                f"message must be 1 to {2 * PAYLOAD_BYTES} hexadecimal digits, got {message!r}"
            )
        try:
            value = int(text, 16)
        except ValueError:
            raise ValueError(f"message is not hexadecimal: {message!r}") from None
    else:
        raise TypeError(f"message must be bytes, int or a hex string, got {type(message).__name__}")
    bits = [(value >> (PAYLOAD_BITS - 1 - i)) & 1 for i in range(PAYLOAD_BITS)]
    return np.array(bits, dtype=np.uint8)


def bits_to_hex(bits: NDArray[np.uint8]) -> str:
    """Payload bits (MSB first) as lowercase hexadecimal, zero-padded to 8 digits."""
    value = 0
    for bit in bits.tolist():
        value = (value << 1) | int(bit)
    return f"{value:0{len(bits) // 4}x}"
