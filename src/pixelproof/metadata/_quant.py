"""Which encoder wrote a JPEG, judged from its quantization tables.

libjpeg (IJG) and everything built on it (libjpeg-turbo, Pillow, GIMP, ImageMagick,
most web services) scale the two example tables of ITU-T T.81 Annex K by a quality
factor with one fixed formula, so their tables can be recognised exactly. Camera
firmware usually uses tables of its own, tuned per model (though some cameras do use the
IJG tables). Adobe Photoshop uses its own tables too, recognised here by their sums.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
from numpy.typing import NDArray

# ITU-T T.81 Annex K, tables K.1 (luminance) and K.2 (chrominance), natural order.
_LUMA = np.array(
    [
        [16, 11, 10, 16, 24, 40, 51, 61],
        [12, 12, 14, 19, 26, 58, 60, 55],
        [14, 13, 16, 24, 40, 57, 69, 56],
        [14, 17, 22, 29, 51, 87, 80, 62],
        [18, 22, 37, 56, 68, 109, 103, 77],
        [24, 35, 55, 64, 81, 104, 113, 92],
        [49, 64, 78, 87, 103, 121, 120, 101],
        [72, 92, 95, 98, 112, 100, 103, 99],
    ],
    dtype=np.int64,
)
_CHROMA = np.array(
    [
        [17, 18, 24, 47, 99, 99, 99, 99],
        [18, 21, 26, 66, 99, 99, 99, 99],
        [24, 26, 56, 99, 99, 99, 99, 99],
        [47, 66, 99, 99, 99, 99, 99, 99],
        [99, 99, 99, 99, 99, 99, 99, 99],
        [99, 99, 99, 99, 99, 99, 99, 99],
        [99, 99, 99, 99, 99, 99, 99, 99],
        [99, 99, 99, 99, 99, 99, 99, 99],
    ],
    dtype=np.int64,
)

# Adobe Photoshop settings, recognised by (luminance sum, chrominance sum) of the two
# tables. Values from the quantization-table database of GIMP's jpegqual.c.
_PHOTOSHOP_SUMS: dict[tuple[int, int], str] = {
    (95, 166): "Adobe Photoshop CS2, quality 12",
    (232, 443): "Adobe Photoshop CS2, quality 11",
    (406, 722): "Adobe Photoshop CS2, quality 10",
    (539, 801): "Adobe Photoshop CS2, quality 9",
    (649, 853): "Adobe Photoshop CS2, quality 8",
    (786, 926): "Adobe Photoshop CS2, quality 7",
    (717, 782): "Adobe Photoshop CS2, quality 6",
    (844, 849): "Adobe Photoshop CS2, quality 5",
    (962, 892): "Adobe Photoshop CS2, quality 4",
    (1068, 941): "Adobe Photoshop CS2, quality 3",
    (1281, 998): "Adobe Photoshop CS2, quality 2",
    (1484, 1083): "Adobe Photoshop CS2, quality 1",
    (1582, 1108): "Adobe Photoshop CS2, quality 0",
    (95, 168): "Adobe Photoshop, Save for Web 100",
    (234, 445): "Adobe Photoshop, Save for Web 90",
    (406, 724): "Adobe Photoshop, Save for Web 80",
    (646, 1149): "Adobe Photoshop, Save for Web 70",
    (974, 1769): "Adobe Photoshop, Save for Web 60",
    (1221, 1348): "Adobe Photoshop, Save for Web 50",
    (1821, 1997): "Adobe Photoshop, Save for Web 40",
    (2223, 2464): "Adobe Photoshop, Save for Web 30",
    (2575, 2903): "Adobe Photoshop, Save for Web 20",
    (3514, 3738): "Adobe Photoshop, Save for Web 10",
    (109, 171): "Adobe Photoshop CS, quality 12",
    (303, 466): "Adobe Photoshop CS or Camera Raw, quality 11",
    (535, 750): "Adobe Photoshop 7.0 or CS, quality 10",
    (668, 830): "Adobe Photoshop 7.0 or CS, quality 9",
    (794, 895): "Adobe Photoshop 7.0 or CS, quality 8",
    (971, 950): "Adobe Photoshop CS, quality 7",
    (884, 831): "Adobe Photoshop CS, quality 6",
    (1032, 889): "Adobe Photoshop CS, quality 5",
    (1126, 940): "Adobe Photoshop CS, quality 4",
    (1216, 977): "Adobe Photoshop CS, quality 3",
    (339, 670): "Adobe Photoshop, Save for Web 85",
    (525, 941): "Adobe Photoshop, Save for Web 75",
    (803, 1428): "Adobe Photoshop, Save for Web 65",
    (1085, 1996): "Adobe Photoshop, Save for Web 55",
}


def ijg_table(quality: int, *, chroma: bool = False) -> NDArray[np.uint16]:
    """The table libjpeg's ``jpeg_set_quality(quality, force_baseline=TRUE)`` writes.

    Parameters
    ----------
    quality : int
        1..100.
    chroma : bool
        The chrominance table instead of the luminance one.
    """
    return _ijg_tables()[quality - 1][1 if chroma else 0]


@cache
def _ijg_tables() -> tuple[tuple[NDArray[np.uint16], NDArray[np.uint16]], ...]:
    tables = []
    for quality in range(1, 101):
        scale = 5000 // quality if quality < 50 else 200 - 2 * quality
        pair = tuple(
            np.clip((base * scale + 50) // 100, 1, 255).astype(np.uint16)
            for base in (_LUMA, _CHROMA)
        )
        tables.append((pair[0], pair[1]))
    return tuple(tables)


@dataclass(frozen=True)
class QuantMatch:
    """What the quantization tables reveal.

    Attributes
    ----------
    encoder : str
        ``"IJG libjpeg"``, an Adobe Photoshop setting, or ``"unknown"``.
    quality : int or None
        The IJG quality (1-100) when the tables are exactly IJG tables.
    exact : bool
        True when every table equals the encoder's table for that setting.
    """

    encoder: str
    quality: int | None
    exact: bool


def identify_tables(tables: dict[int, NDArray[np.uint16]]) -> QuantMatch:
    """Identify the encoder from a JPEG's quantization tables (natural order, by id)."""
    luma = tables.get(0)
    if luma is None:
        return QuantMatch("unknown", None, False)
    chroma = tables.get(1)
    for quality in range(100, 0, -1):
        if np.array_equal(luma, ijg_table(quality)) and (
            chroma is None or np.array_equal(chroma, ijg_table(quality, chroma=True))
        ):
            return QuantMatch("IJG libjpeg", quality, True)
    sums = (int(luma.sum()), int(chroma.sum()) if chroma is not None else 0)
    name = _PHOTOSHOP_SUMS.get(sums)
    if name is not None:
        return QuantMatch(name, None, False)
    return QuantMatch("unknown", None, False)
