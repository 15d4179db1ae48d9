"""The storage layers under :class:`~pixelproof.match.ProvenanceIndex`, for tools that
work on an index file below the level of images.

:class:`Store` is the SQLite database (its tables; vector ids are
``image_id * REGIONS + region``) and :class:`AnnIndex` the FAISS search tier, a cache
rebuilt from the store's ``vectors`` table. The scale benchmark
(``benchmarks/scale_match.py``) fills a store with synthetic descriptors and opens the
FAISS tier on it directly. Applications use :class:`~pixelproof.match.ProvenanceIndex`:
these layers follow the index file's format and change with it.
"""

from ._ann import AnnIndex
from ._store import REGIONS, Store

__all__ = ["REGIONS", "AnnIndex", "Store"]
