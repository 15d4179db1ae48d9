"""Established systems measured next to pixelproof's own (the ``baselines`` extra)."""

from ._hashes import PdqMatcher, PHashMatcher
from ._invisible_watermark import DwtDctBaseline, DwtDctSvdBaseline, RivaGanBaseline

__all__ = [
    "DwtDctBaseline",
    "DwtDctSvdBaseline",
    "PHashMatcher",
    "PdqMatcher",
    "RivaGanBaseline",
]
