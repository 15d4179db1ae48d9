"""JPEG quality estimation and a quantization-table signature of the encoder.

The two tables of a JPEG say which software wrote it. libjpeg (IJG) and everything
built on it scale the two example tables of ITU-T T.81 Annex K by a quality factor,
so those tables are recognised exactly (the table code lives in
:mod:`pixelproof.metadata`); other encoders (camera firmware, Photoshop) use tables of
their own, for which the closest IJG quality is an estimate of how strongly the image
was compressed. The quality of the last save is also what the double-compression and
ghost analyses compare against.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from ._context import ImageContext
from ._result import ForensicResult, empty_result

NAME = "quality"


def _ijg_table(quality: int, chroma: bool) -> NDArray[np.uint16]:
    from ..metadata._quant import ijg_table

    return ijg_table(quality, chroma=chroma)


def estimate_quality(tables: dict[int, NDArray[np.uint16]]) -> tuple[int, float]:
    """The IJG quality whose tables are closest to ``tables``, and how close.

    Parameters
    ----------
    tables : dict of int to (8, 8) uint16 arrays
        Quantization tables by table id, natural order (id 0 = luminance).

    Returns
    -------
    (int, float)
        Quality 1..100 and the mean absolute log-ratio between the tables
        (0.0 = identical: the file was written by an IJG-based encoder).
    """
    luma = np.log(np.maximum(np.asarray(tables[0], dtype=np.float64), 1.0))
    chroma_table = tables.get(1)
    chroma = (
        None
        if chroma_table is None
        else np.log(np.maximum(np.asarray(chroma_table, dtype=np.float64), 1.0))
    )
    best, best_error = 50, np.inf
    for quality in range(1, 101):
        error = float(np.mean(np.abs(luma - np.log(_ijg_table(quality, False)))))
        if chroma is not None:
            error = 0.5 * error + 0.5 * float(
                np.mean(np.abs(chroma - np.log(_ijg_table(quality, True))))
            )
        if error < best_error - 1e-12:
            best, best_error = quality, error
    return best, best_error


def quality_analysis(context: ImageContext) -> ForensicResult:
    """Estimate the JPEG quality and identify the encoder from the quantization tables.

    Informational: the result has no map and a score of 0. Its ``details`` give
    ``quality`` (IJG-equivalent), ``encoder``, ``exact`` (tables identical to the
    encoder's) and ``table_distance``.
    """
    jpeg = context.jpeg
    if jpeg is None or 0 not in jpeg.quant_tables:
        return empty_result(NAME, context.size, "Not a JPEG file: no quantization tables.")
    from ..metadata._quant import identify_tables

    match = identify_tables(jpeg.quant_tables)
    quality, distance = estimate_quality(jpeg.quant_tables)
    if match.exact and match.quality is not None:
        text = (
            f"Quantization tables are the standard libjpeg tables at quality {match.quality}: "
            "written by libjpeg-based software (an editor, a web service or a library), "
            "not by typical camera firmware."
        )
        quality = match.quality
    elif match.encoder != "unknown":
        text = f"Quantization tables match {match.encoder} (about quality {quality})."
    else:
        text = (
            f"Non-standard quantization tables (camera firmware or a custom encoder), "
            f"comparable to libjpeg quality {quality}."
        )
    return ForensicResult(
        name=NAME,
        heatmap=np.zeros((1, 1), dtype=np.float32),
        image_size=context.size,
        score=0.0,
        explanation=text,
        details={
            "quality": quality,
            "encoder": match.encoder,
            "exact": match.exact,
            "table_distance": round(distance, 4),
            "subsampling": jpeg.subsampling,
            "progressive": jpeg.progressive,
        },
        informative=False,
    )
