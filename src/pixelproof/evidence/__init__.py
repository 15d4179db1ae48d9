"""Evidence records, heat-maps and the analyzer registry."""

from ._model import SCHEMA_VERSION, Evidence, Heatmap, ImageFacts, Label, jsonable
from ._registry import (
    Analyzer,
    AnalyzerBase,
    SharedWork,
    available_analyzers,
    create_analyzers,
    register,
)

__all__ = [
    "SCHEMA_VERSION",
    "Analyzer",
    "AnalyzerBase",
    "Evidence",
    "Heatmap",
    "ImageFacts",
    "Label",
    "SharedWork",
    "available_analyzers",
    "create_analyzers",
    "jsonable",
    "register",
]
