"""Evidence records, heat-maps and the analyzer registry.

A heat-map is stored as 8 bits at the resolution it was computed at:

>>> import numpy as np
>>> from pixelproof.evidence import Heatmap
>>> heatmap = Heatmap.from_float(np.array([[0.0, 0.25], [1.0, 2.0]]), size=(4, 4))
>>> heatmap.values.tolist()
[[0, 64], [255, 255]]
>>> heatmap.to_image().size
(4, 4)
"""

from ._model import (
    SCHEMA_VERSION,
    Evidence,
    EvidenceDict,
    Heatmap,
    ImageFacts,
    ImageFactsDict,
    Label,
    jsonable,
)
from ._registry import (
    ANALYZERS,
    Analyzer,
    AnalyzerBase,
    SharedWork,
    available_analyzers,
    create_analyzers,
    register,
)

__all__ = [
    "ANALYZERS",
    "SCHEMA_VERSION",
    "Analyzer",
    "AnalyzerBase",
    "Evidence",
    "EvidenceDict",
    "Heatmap",
    "ImageFacts",
    "ImageFactsDict",
    "Label",
    "SharedWork",
    "available_analyzers",
    "create_analyzers",
    "jsonable",
    "register",
]
