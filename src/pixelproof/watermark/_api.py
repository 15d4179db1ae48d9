"""``embed`` and ``detect``: pixelproof's own keyed, robust, multi-bit watermark."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..io import ImageInput
from ..settings import DEMO_WATERMARK_KEY
from ._detect import CRC_PASS_PROBABILITY, N_SYMMETRIES, OVERSAMPLE, detect_luma
from ._ecc import conv_encode, crc16
from ._embed import chip_size_for, luma, luma_delta
from ._image import to_pixels
from ._layout import FORMAT_VERSION, PAYLOAD_BITS, TILE_CHIPS, key_bytes, make_layout
from ._message import Message, bits_to_hex, message_bits
from ._sync import BANDS, MAX_LATTICE_CANDIDATES

DEFAULT_KEY = DEMO_WATERMARK_KEY
"""A public key for demonstrations and tests. Anyone can read (and forge) marks made
with it: real use needs a secret key of your own."""

DEFAULT_THRESHOLD = 1e-6
"""Default false-positive rate: a mark is reported when its p-value is at most this."""

METHOD = f"pixelproof-tile-v{FORMAT_VERSION}"
MIN_SIDE = 128
"""Smallest image side that can carry the mark (reliable from 256 pixels)."""


@dataclass(frozen=True)
class WatermarkResult:
    """What :func:`detect` found.

    Attributes
    ----------
    detected : bool
        True when a mark made with the given key was found with ``p_value`` at most
        the threshold and its checksum verified.
    message : str or None
        The 32-bit payload as 8 lowercase hexadecimal digits, when detected.
    p_value : float
        Probability that an unmarked image (or one marked with another key) scores at
        least this well: see the Notes of :func:`detect`.
    bit_confidences : tuple of float
        For each payload bit (most significant first), the decoder's probability that
        it is right, in [0.5, 1]. Present even when nothing was detected.
    method : str
        ``"pixelproof-tile-v2"`` (or the name of another system's mark).
    details : dict
        JSON-friendly diagnostics: sync score, geometry found, the best-guess payload
        (``decoded_message``) even when not detected, the search budget.
    """

    detected: bool
    message: str | None
    p_value: float
    bit_confidences: tuple[float, ...]
    method: str = METHOD
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable dict (the ``details`` included)."""
        return {
            "detected": self.detected,
            "message": self.message,
            "p_value": self.p_value,
            "bit_confidences": list(self.bit_confidences),
            "method": self.method,
            "details": self.details,
        }


def embed(
    image: ImageInput,
    message: Message,
    *,
    key: str | bytes = DEFAULT_KEY,
    strength: float = 1.0,
) -> NDArray[Any]:
    """Hide a 32-bit message in an image, invisibly and robustly.

    Parameters
    ----------
    image : path, bytes, PIL image, LoadedImage or ndarray
        ``(H, W, 3)`` RGB, ``(H, W)`` grey or ``(H, W, 4)`` RGBA (also ``(H, W, 1)`` and
        grey + alpha), uint8 or float in [0, 1]. Files are decoded with
        :func:`pixelproof.io.load_image`. Both sides should be at least 256 pixels.
    message : bytes, int or str
        The payload: up to 4 bytes, an int in [0, 2**32), or up to 8 hex digits.
    key : str or bytes, optional
        The secret that lays the mark out; detection needs the same key.
        ``DEFAULT_KEY`` is public and meant for demos only.
    strength : float, optional
        Scales the change (1.0 gives about 40-41 dB PSNR). Higher is more robust and
        more visible.

    Returns
    -------
    ndarray
        The marked image in the input's layout and dtype (arrays), or ``(H, W, 3)`` /
        ``(H, W, 4)`` uint8 for files and Pillow images. Alpha is copied untouched.

    Raises
    ------
    ValueError
        When the message does not fit, the image is smaller than ``MIN_SIDE`` or the
        strength is not positive.

    Notes
    -----
    Only luminance changes: the same offset is added to R, G and B, so colour edits
    and conversion to grey leave the mark alone. The offset is a keyed pattern tiled
    over the image in two layers: a fine one scaled by a perceptual mask (strong in
    texture, weak in flat, dark or very bright areas) and a coarse, low-frequency one
    in smooth areas, where codecs wipe out fine detail. See :mod:`pixelproof.watermark`
    for the design.

    Examples
    --------
    >>> import numpy as np
    >>> from pixelproof.watermark import embed, detect
    >>> y, x = np.mgrid[0:256, 0:256]
    >>> image = np.stack([x, y, 255 - x], axis=-1).astype(np.uint8)
    >>> marked = embed(image, "c0ffee42", key="my secret")
    >>> detect(marked, key="my secret").message
    'c0ffee42'
    >>> detect(image, key="my secret").detected
    False
    """
    if not (isinstance(strength, int | float) and math.isfinite(strength) and strength > 0):
        raise ValueError(f"strength must be a positive number, got {strength!r}")
    bits = message_bits(message)
    layout = make_layout(key_bytes(key))
    pixels = to_pixels(image)
    height, width = pixels.shape
    if min(height, width) < MIN_SIDE:
        raise ValueError(
            f"image is {width}x{height}: both sides must be at least {MIN_SIDE} pixels"
        )
    coded = conv_encode(np.concatenate([bits, crc16(bits)]))
    colour = pixels.colour
    delta = luma_delta(
        luma(colour),
        layout.chips(coded),
        layout.coarse_chips(coded),
        chip_size_for(height, width),
        float(strength),
    )
    step = np.rint(delta).astype(np.int16)
    if colour.ndim == 3:
        step = step[..., None]
    marked = np.clip(colour.astype(np.int16) + step, 0, 255).astype(np.uint8)
    return pixels.rebuild(marked)


def detect(
    image: ImageInput,
    *,
    key: str | bytes = DEFAULT_KEY,
    threshold: float = DEFAULT_THRESHOLD,
    thorough: bool = True,
) -> WatermarkResult:
    """Look for a pixelproof mark made with ``key``, blindly (no original needed).

    Parameters
    ----------
    image : path, bytes, PIL image, LoadedImage or ndarray
        As for :func:`embed`; any size from 256 pixels up.
    key : str or bytes, optional
        The key the mark was made with.
    threshold : float, optional
        Largest p-value reported as a detection (the false-positive rate), 1e-6 by
        default.
    thorough : bool, optional
        False searches the first of the two frequency bands only and tries only its
        best-ranked lattices (about a third of the time; the rest find marks that
        heavier processing has weakened). The p-value counts every lattice found and
        the unsearched band's whole budget, so it stays valid.

    Returns
    -------
    WatermarkResult

    Notes
    -----
    The detector finds the tile lattice from the autocorrelation of the image's
    high-pass residual, which undoes scaling, rotation, aspect changes and flips; it
    folds all tiles into one, which makes any crop offset a cyclic shift, and finds
    that shift (and which of the 8 symmetries of the square applies) by correlating
    with the key's synchronisation chips. The search budget is bounded: up to 6
    lattices in each of 2 frequency weightings (3 from the strongest autocorrelation
    peaks, 3 from scans of square lattices by period and angle) x 8 symmetries x 4
    sub-chip phases x 33 x 33 shifts (at most 418,176 hypotheses; ``details`` gives
    the number counted); periods from 36 working pixels to half the working image's
    shorter side (the working image has its shorter side reduced to 384 pixels),
    lattice angles within 90 +- 13 degrees and side ratios up to 1.45, which covers
    scaling by 0.5 to 1.5 and beyond, any crop offset, rotation, flips and aspect
    stretches to 0.7.

    The p-value is analytic. At one hypothesis each layer's sync score is a
    self-normalised Rademacher sum, standard normal on unmarked images, and the two
    are combined in three fixed proportions, whose maximum has an exact tail ``q(z)``;
    the maximum over the ``M`` hypotheses has ``P(max >= z) <= 1 - (1 - q(z))^M``,
    where ``M`` counts every lattice the key-blind search returned (and the full
    budget of a band it did not need to search). A CRC-16 over the payload passes by
    chance with probability 2^-16, independently; the reported p-value combines both.
    It never overstates the evidence on unmarked images, and leans conservative
    (correlated hypotheses are counted as independent), which the tests check.
    """
    if not 0.0 < threshold < 1.0:
        raise ValueError(f"threshold must be in (0, 1), got {threshold}")
    layout = make_layout(key_bytes(key))
    pixels = to_pixels(image)
    raw = detect_luma(luma(pixels.colour), layout, thorough=thorough)
    detected = raw.crc_ok and raw.p_value <= threshold
    confidences = tuple(
        round(float(1.0 / (1.0 + math.exp(-min(abs(v), 50.0)))), 6) for v in raw.info_llr
    )
    details = dict(raw.details)
    details.update(
        {
            "decoded_message": bits_to_hex(raw.bits),
            "hypotheses": raw.n_hypotheses,
            "threshold": threshold,
            "search_budget": {
                "lattices": MAX_LATTICE_CANDIDATES * len(BANDS),
                "symmetries": N_SYMMETRIES,
                "sub_chip_phases": OVERSAMPLE**2,
                "shifts": TILE_CHIPS**2,
            },
            "crc_pass_probability": CRC_PASS_PROBABILITY,
            "payload_bits": PAYLOAD_BITS,
        }
    )
    return WatermarkResult(
        detected=bool(detected),
        message=bits_to_hex(raw.bits) if detected else None,
        p_value=float(raw.p_value),
        bit_confidences=confidences,
        method=METHOD,
        details=details,
    )
