"""Typed results of the match capability: frozen dataclasses with stable field names."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, NotRequired

from typing_extensions import TypedDict

DedupKind = Literal["exact", "near", "edited", "unique"]


class FailedResultDict(TypedDict):
    """The JSON form of a result that records why its input could not be handled."""

    path: str
    error: str | None
    error_type: str | None


class MatchDict(TypedDict):
    """The JSON form of a :class:`Match` (an item of a ``match`` row's ``matches``)."""

    ref: str
    score: float
    sha256: str
    similarity: float
    normalized: float
    inliers: int
    verified: bool
    mirrored: bool
    exact: bool
    region: NotRequired[list[float]]
    query_region: NotRequired[list[float]]


class QueryMatchesDict(TypedDict):
    """The JSON form of a searched :class:`QueryResult`: a ``match`` row's own fields."""

    path: str
    sha256: str | None
    matches: list[MatchDict]
    calibrated: bool
    replicated: NotRequired[bool]


QueryResultDict = QueryMatchesDict | FailedResultDict


class AddResultDict(TypedDict):
    """The JSON form of an :class:`AddResult` that did not fail: an ``index add`` row's
    own fields."""

    path: str
    status: Literal["added", "present", "failed"]
    sha256: str | None
    id: int | None


class IndexStatsDict(TypedDict):
    """The JSON form of :class:`IndexStats` (``pixelproof index stats --json``)."""

    path: str
    images: int
    vectors: int
    descriptor: str
    dim: int
    ann: str
    snapshot_vectors: int
    db_bytes: int
    ann_bytes: int
    settings: dict[str, Any]
    calibrated: bool


class DedupRowDict(TypedDict):
    """The JSON form of a placed :class:`DedupRow`: a ``dedup`` row's own fields
    (``linked_to`` and ``score`` only for an image linked to another)."""

    path: str
    group: int
    kind: DedupKind
    sha256: str | None
    linked_to: NotRequired[str]
    score: NotRequired[float | None]


@dataclass(frozen=True)
class Match:
    """One reference found for a query.

    Attributes
    ----------
    ref : str
        Path of the reference as it was indexed.
    score : float
        Calibrated score in [0, 1]: above 0.5 means "edited copy", at a false-match
        rate of at most 1% on unrelated images (see :mod:`pixelproof.match`).
    sha256 : str
        Content hash of the reference file.
    similarity : float
        Best global-descriptor cosine similarity (over the query's variants).
    normalized : float
        ``similarity`` minus how much the query resembles unrelated images (the mean
        of its 3 best similarities to a bank of unrelated photos and graphics); the
        score model uses this, so that generic-looking queries are not copies of
        everything.
    inliers : int
        Local-feature matches consistent with one geometric transform (0 when the
        candidate was not verified or did not verify).
    verified : bool
        Whether local verification ran for this candidate.
    mirrored : bool
        Whether the query matched as a mirror image of the reference.
    region : tuple of 4 floats or None
        Where the query lies in the reference: (left, top, right, bottom) as fractions
        of the reference's width and height, when verification located it.
    query_region : tuple of 4 floats or None
        The matched part of the query, same convention.
    exact : bool
        Whether the query file is byte-identical to the reference.
    """

    ref: str
    score: float
    sha256: str
    similarity: float
    normalized: float = 0.0
    inliers: int = 0
    verified: bool = False
    mirrored: bool = False
    region: tuple[float, float, float, float] | None = None
    query_region: tuple[float, float, float, float] | None = None
    exact: bool = False
    ref_id: int = field(default=-1, repr=False)

    def to_dict(self) -> MatchDict:
        row: MatchDict = {
            "ref": self.ref,
            "score": round(self.score, 4),
            "sha256": self.sha256,
            "similarity": round(self.similarity, 4),
            "normalized": round(self.normalized, 4),
            "inliers": self.inliers,
            "verified": self.verified,
            "mirrored": self.mirrored,
            "exact": self.exact,
        }
        if self.region is not None:
            row["region"] = [round(v, 4) for v in self.region]
        if self.query_region is not None:
            row["query_region"] = [round(v, 4) for v in self.query_region]
        return row


@dataclass(frozen=True)
class QueryResult:
    """The matches of one query image, best first, or why it could not be searched."""

    path: str
    matches: tuple[Match, ...] = ()
    sha256: str | None = None
    error: str | None = None
    error_type: str | None = None
    seconds: float = 0.0
    replicated: bool | None = None  # set by a replication check (match --replication)
    # False when the index's descriptor has no fitted score model (pdq, sscd): the
    # scores then come from a conservative fallback and 0.5 promises no error rate.
    calibrated: bool = True

    @property
    def ok(self) -> bool:
        return self.error is None

    def to_dict(self) -> QueryResultDict:
        if not self.ok:
            return {"path": self.path, "error": self.error, "error_type": self.error_type}
        row: QueryMatchesDict = {
            "path": self.path,
            "sha256": self.sha256,
            "matches": [m.to_dict() for m in self.matches],
            "calibrated": self.calibrated,
        }
        if self.replicated is not None:
            row["replicated"] = self.replicated
        return row


@dataclass(frozen=True)
class AddResult:
    """What ``index add`` did with one input."""

    path: str
    status: Literal["added", "present", "failed"]
    sha256: str | None = None
    id: int | None = None
    error: str | None = None
    error_type: str | None = None

    @property
    def ok(self) -> bool:
        return self.status != "failed"

    def to_dict(self) -> AddResultDict | FailedResultDict:
        if not self.ok:
            return {"path": self.path, "error": self.error, "error_type": self.error_type}
        return {"path": self.path, "status": self.status, "sha256": self.sha256, "id": self.id}


@dataclass(frozen=True)
class IndexStats:
    """Counts and settings of an index (``pixelproof index stats``)."""

    path: str
    images: int
    vectors: int
    descriptor: str
    dim: int
    ann: str
    snapshot_vectors: int
    db_bytes: int
    ann_bytes: int
    settings: dict[str, Any] = field(default_factory=dict)
    calibrated: bool = True  # whether the descriptor's match scores are calibrated

    def to_dict(self) -> IndexStatsDict:
        return {
            "path": self.path,
            "images": self.images,
            "vectors": self.vectors,
            "descriptor": self.descriptor,
            "dim": self.dim,
            "ann": self.ann,
            "snapshot_vectors": self.snapshot_vectors,
            "db_bytes": self.db_bytes,
            "ann_bytes": self.ann_bytes,
            "settings": self.settings,
            "calibrated": self.calibrated,
        }


@dataclass(frozen=True)
class DedupRow:
    """One input image's place in the de-duplication (``pixelproof dedup``)."""

    path: str
    group: int
    kind: DedupKind
    sha256: str | None = None
    linked_to: str | None = None
    score: float | None = None
    error: str | None = None
    error_type: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    def to_dict(self) -> DedupRowDict | FailedResultDict:
        if not self.ok:
            return {"path": self.path, "error": self.error, "error_type": self.error_type}
        row: DedupRowDict = {
            "path": self.path,
            "group": self.group,
            "kind": self.kind,
            "sha256": self.sha256,
        }
        if self.linked_to is not None:
            row["linked_to"] = self.linked_to
            row["score"] = None if self.score is None else round(self.score, 4)
        return row
