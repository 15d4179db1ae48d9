"""Provenance matching: find edited copies of known images, de-duplicate, detect replication.

A :class:`ProvenanceIndex` stores reference images in one SQLite file (WAL) with a
FAISS search structure beside it. Searching runs three tiers: a global descriptor
finds candidates (EfficientNet-Lite0 by default; PDQ and SSCD are pluggable), local
SIFT features verify them with a RANSAC affine fit that also locates the copied
region, and a calibrated score says how sure the match is (0.5 = 1% false matches on
unrelated images). :func:`group_duplicates` groups a collection into exact, near and edited
duplicates; :func:`replication_report` measures how often generated images copy
training images.

>>> from pixelproof.match import ProvenanceIndex
>>> with ProvenanceIndex("refs.db", create=True) as index:     # doctest: +SKIP
...     _ = index.add("photos/a.jpg")
...     best = index.search("suspect.jpg", k=3).matches[0]

Global descriptors are chosen by spec; ``spec`` gives the canonical one back:

>>> from pixelproof.match import create_descriptor
>>> create_descriptor("effnet:size=224").spec
'effnet:size=224,layer=head,regions=false,whitening=effnet_lite0_v2'
"""

from ._ann import TRAIN_SIZE, AnnIndex, auto_spec
from ._bench import BenchMatcher, bench_system
from ._dedup import DedupResult, group_duplicates
from ._descriptors import (
    DESCRIPTORS,
    EffnetDescriptor,
    GlobalDescriptor,
    PdqDescriptor,
    RetiredDescriptorError,
    SscdDescriptor,
    available_descriptors,
    create_descriptor,
    register_descriptor,
)
from ._features import FeatureFailure, FeatureOptions, ImageFeatures, compute_features
from ._index import ProvenanceIndex, RetiredIndexError
from ._local import LocalFeatures, Verification, extract_local, verify
from ._replication import ReplicationSummary, replication_report
from ._scoring import Calibration, calibration_for
from ._store import IndexFormatError
from ._types import (
    AddResult,
    AddResultDict,
    DedupRow,
    DedupRowDict,
    FailedResultDict,
    IndexStats,
    IndexStatsDict,
    Match,
    MatchDict,
    QueryMatchesDict,
    QueryResult,
    QueryResultDict,
)

__all__ = [
    "DESCRIPTORS",
    "TRAIN_SIZE",
    "AddResult",
    "AddResultDict",
    "AnnIndex",
    "BenchMatcher",
    "Calibration",
    "DedupResult",
    "DedupRow",
    "DedupRowDict",
    "EffnetDescriptor",
    "FailedResultDict",
    "FeatureFailure",
    "FeatureOptions",
    "GlobalDescriptor",
    "ImageFeatures",
    "IndexFormatError",
    "IndexStats",
    "IndexStatsDict",
    "LocalFeatures",
    "Match",
    "MatchDict",
    "PdqDescriptor",
    "ProvenanceIndex",
    "QueryMatchesDict",
    "QueryResult",
    "QueryResultDict",
    "ReplicationSummary",
    "RetiredDescriptorError",
    "RetiredIndexError",
    "SscdDescriptor",
    "Verification",
    "auto_spec",
    "available_descriptors",
    "bench_system",
    "calibration_for",
    "compute_features",
    "create_descriptor",
    "extract_local",
    "group_duplicates",
    "register_descriptor",
    "replication_report",
    "verify",
]
