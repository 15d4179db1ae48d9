"""Forensic analyses: where an image was edited, with heat-maps and explanations.

Each analysis is a function ``f(context) -> ForensicResult`` (a heat-map on an
absolute 0..1 scale, an image-level score, an explanation and details);
:func:`analyze` runs them all on one image and fuses them into a calibrated score,
a label (``manipulated``, ``inconclusive`` or ``authentic``) and one localization
map. :func:`make_forgeries` and :func:`evaluate_forensics` generate forgeries with
exact masks from real photos and measure the analyses on them; :func:`make_benign`
makes the negatives a forensic tool must not accuse (authentic photos after random
publishing chains, split by photo with :func:`photo_split`) and
:func:`make_copymoves` copy-moves made to survive JPEG and scaling.

>>> import numpy as np
>>> from pixelproof.forensics import analyze
>>> y, x = np.mgrid[0:192, 0:256]
>>> image = np.stack([x, y, 255 - x], axis=-1).astype(np.uint8)   # a synthetic picture
>>> analyze(image, analyses=["ela", "noise"]).label
'authentic'
>>> report = analyze("photo.jpg")                         # doctest: +SKIP
>>> report.label, report.fused.full_heatmap().shape       # doctest: +SKIP
('authentic', (512, 768))

Analyses (see :func:`available_analyses`): ``ela``, ``noise``, ``dq``, ``grid``,
``ghost``, ``cfa``, ``copymove``, ``resampling``, ``recolor``, ``quality``.
OpenCV, SciPy and the JPEG coefficient reader come with the ``forensics`` and
``jpeg`` extras: ``pip install 'pixelproof[forensics,jpeg]'``.
"""

from ._benign import make_benign, photo_split
from ._context import ImageContext, as_context
from ._ela import ela_map
from ._evaluate import ForensicsEvaluation, evaluate_forensics, summarize_evaluation
from ._forgeries import (
    COPY_DETAIL,
    KINDS,
    MAX_PHOTO_SIDE,
    ForgeryCase,
    blob_mask,
    encode_jpeg,
    jpeg_roundtrip,
    load_cases,
    load_photo,
    make_copymoves,
    make_forgeries,
    write_mask,
)
from ._result import ForensicResult
from ._suite import (
    ANALYSES,
    TITLES,
    Analysis,
    ForensicReport,
    analyze,
    available_analyses,
    check_analyses,
    fuse,
    get_analysis,
    run_analyses,
)

__all__ = [
    "ANALYSES",
    "COPY_DETAIL",
    "KINDS",
    "MAX_PHOTO_SIDE",
    "TITLES",
    "Analysis",
    "ForensicReport",
    "ForensicResult",
    "ForensicsEvaluation",
    "ForgeryCase",
    "ImageContext",
    "analyze",
    "as_context",
    "available_analyses",
    "blob_mask",
    "check_analyses",
    "ela_map",
    "encode_jpeg",
    "evaluate_forensics",
    "fuse",
    "get_analysis",
    "jpeg_roundtrip",
    "load_cases",
    "load_photo",
    "make_benign",
    "make_copymoves",
    "make_forgeries",
    "photo_split",
    "run_analyses",
    "summarize_evaluation",
    "write_mask",
]
