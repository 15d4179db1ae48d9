"""Evidence records, per-image reports and the analyzer registry."""

from ._model import SCHEMA_VERSION, Evidence, Heatmap, ImageFacts, ImageReport, Label
from ._registry import Analyzer, available_analyzers, create_analyzers, register

__all__ = [
    "SCHEMA_VERSION",
    "Analyzer",
    "Evidence",
    "Heatmap",
    "ImageFacts",
    "ImageReport",
    "Label",
    "available_analyzers",
    "create_analyzers",
    "register",
]
