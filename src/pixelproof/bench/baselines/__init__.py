"""Established systems measured next to pixelproof's own (the ``baselines`` extra)."""

from ._hashes import PdqMatcher, PHashMatcher
from ._invisible_watermark import DwtDctBaseline, DwtDctSvdBaseline, RivaGanBaseline
from ._sscd import SscdDistilledMatcher, SscdMatcher, sscd_embedding

__all__ = [
    "DwtDctBaseline",
    "DwtDctSvdBaseline",
    "PHashMatcher",
    "PdqMatcher",
    "RivaGanBaseline",
    "SscdDistilledMatcher",
    "SscdMatcher",
    "sscd_embedding",
]
