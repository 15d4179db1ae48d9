"""Established systems measured next to pixelproof's own (the ``baselines`` extra)."""

from ...nets import sscd_embedding
from ._hashes import PdqMatcher, PHashMatcher
from ._invisible_watermark import DwtDctBaseline, DwtDctSvdBaseline, RivaGanBaseline
from ._sscd import SscdDistilledMatcher, SscdMatcher

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
