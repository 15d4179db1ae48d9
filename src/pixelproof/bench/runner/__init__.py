"""Benchmark runners behind ``pixelproof bench``: they write CSV, JSON, Markdown and plots.

:func:`list_images`, :func:`load_rgb` and :func:`stable_seed` are how the runners list,
decode and resize images and seed random edits; benchmark scripts and model fitting
(:mod:`pixelproof.training`) use them too, so that they see images the same way.
"""

from ._data import list_images, load_rgb, stable_seed
from ._detect import (
    NO_DETECTOR,
    labelled_images,
    parity_encode,
    run_detect_bench,
    synthetic_detectors,
)
from ._forensics import run_forensics_bench
from ._match import Matcher, Query, build_queries, run_match_bench
from ._output import BenchResult, Table, write_outputs
from ._watermark import WatermarkSystem, max_errors_at_fpr, run_watermark_bench
from .systems import match_systems, watermark_systems

__all__ = [
    "NO_DETECTOR",
    "BenchResult",
    "Matcher",
    "Query",
    "Table",
    "WatermarkSystem",
    "build_queries",
    "labelled_images",
    "list_images",
    "load_rgb",
    "match_systems",
    "max_errors_at_fpr",
    "parity_encode",
    "run_detect_bench",
    "run_forensics_bench",
    "run_match_bench",
    "run_watermark_bench",
    "stable_seed",
    "synthetic_detectors",
    "watermark_systems",
    "write_outputs",
]
