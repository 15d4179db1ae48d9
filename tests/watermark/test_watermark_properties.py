"""Property test (hypothesis): embed then detect recovers the message.

Random textured pictures of random sizes from 256 pixels a side, random 32-bit
messages in each accepted spelling, random keys: the mark is always found, with the
message it carries, and only with the key it was made with.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ._images import texture

pytest.importorskip("cv2")

from pixelproof.watermark import detect, embed


@settings(max_examples=12, deadline=None)
@given(
    height=st.integers(256, 480),
    width=st.integers(256, 480),
    picture=st.integers(0, 2**16),
    value=st.integers(0, 2**32 - 1),
    spelling=st.sampled_from(["int", "hex", "bytes"]),
    key=st.binary(min_size=1, max_size=32),
)
def test_embed_then_detect_recovers_the_message(
    height: int, width: int, picture: int, value: int, spelling: str, key: bytes
) -> None:
    image = texture(picture, height, width)
    message: int | str | bytes = {
        "int": value,
        "hex": f"{value:08x}",
        "bytes": value.to_bytes(4, "big"),
    }[spelling]
    marked = embed(image, message, key=key)
    assert marked.shape == image.shape and marked.dtype == np.uint8
    result = detect(marked, key=key)
    assert result.detected, result.details
    assert result.message == f"{value:08x}"
    assert result.p_value <= 1e-6
    assert not detect(marked, key=key + b"other").detected
