"""Searching the provenance index: candidates, verification and calibrated scores.

The three tiers of :mod:`._index` at query time: global candidates from FAISS (the
query's mirror images and parts included), exact similarities for compressed indexes,
local-feature verification of the best candidates, and the calibrated score of each.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from ._descriptors import bank_similarity
from ._features import ImageFeatures
from ._local import NO_MATCH, LocalFeatures, Verification, verify
from ._scoring import Calibration, pair_features
from ._store import REGIONS, ImageRecord
from ._types import Match, QueryResult

if TYPE_CHECKING:
    from ._index import ProvenanceIndex

GENERIC_RANK = 8  # the 8th most similar reference stands for "unrelated but alike"
STRONG_INLIERS = 15
PART_CANDIDATES = 4  # extra candidates, found by the query's parts, that are verified


def search_features(
    index: ProvenanceIndex,
    features: ImageFeatures,
    *,
    k: int,
    verify_top: int,
) -> QueryResult:
    """Search with precomputed query features (see :func:`compute_features`)."""
    matches = candidate_matches(index, features, k=k, verify_top=verify_top)
    matches.sort(key=lambda m: rank_key(m, index.calibration))
    return QueryResult(
        features.path,
        tuple(matches[:k]),
        features.sha256,
        calibrated=index.calibration.calibrated,
    )


def rank_key(match: Match, calibration: Calibration) -> tuple[float, float]:
    """Sort key of a match under ``calibration``: best score first, then similarity."""
    return -_score(calibration, match.normalized, match.inliers, match.exact), -match.similarity


def _score(calibration: Calibration, normalized: float, inliers: int, exact: bool) -> float:
    """The calibrated score; an identical file is a copy whatever its features."""
    return 1.0 if exact else calibration.score(normalized, inliers)


def candidate_matches(
    index: ProvenanceIndex,
    features: ImageFeatures,
    *,
    k: int,
    verify_top: int,
) -> list[Match]:
    """Every candidate a search for ``k`` matches weighs, verified and scored, in
    candidate order (not yet ranked by score nor cut to ``k``).

    The calibration fit ranks these itself, so that it does not depend on the score
    model it replaces (:mod:`pixelproof.training.match`).
    """
    if features.query_vectors is None:
        raise ValueError("features computed without query vectors")
    found = candidates(index, features.query_vectors, max(k, verify_top, GENERIC_RANK))
    exact = index.store.image_by_sha(features.sha256)
    if exact is not None:
        found.setdefault(exact.id, 1.0)
    ranked = sorted(found.items(), key=lambda item: -item[1])
    generic = generic_similarity(
        features.query_vectors, index.descriptor.bank, [s for _, s in ranked]
    )
    to_verify = {image_id for image_id, _ in ranked[:verify_top]}
    by_parts = _part_candidates(index, features, exclude=found)
    to_verify.update(by_parts)
    ranked.extend(by_parts.items())
    records = index.store.images([i for i, _ in ranked])
    matches: list[Match] = []
    for image_id, similarity in ranked:
        record = records.get(image_id)
        if record is None:  # removed since the snapshot
            continue
        verified = image_id in to_verify
        check = verify_against(index, features, image_id) if verified else NO_MATCH
        matches.append(_match(index, record, similarity, generic, check, verified, features.sha256))
    return matches


def candidates(
    index: ProvenanceIndex, query_vectors: NDArray[np.float32], count: int
) -> dict[int, float]:
    """Best global similarity per image id, for about ``count`` images."""
    ann = index.ann
    per_variant = min(max(count * 2, 16), max(1, ann.ntotal))
    sims, ids = ann.search(query_vectors, per_variant)
    best: dict[int, float] = {}
    for sim, vid in zip(sims.ravel(), ids.ravel(), strict=True):
        if vid < 0:
            continue
        image_id = int(vid) // REGIONS
        value = float(sim)
        if value > best.get(image_id, -2.0):
            best[image_id] = value
    if ann.built_spec != "Flat" and best:
        best = _rerank(index, query_vectors, best)
    top = sorted(best.items(), key=lambda item: -item[1])[:count]
    return dict(top)


def _part_candidates(
    index: ProvenanceIndex, features: ImageFeatures, *, exclude: dict[int, float]
) -> dict[int, float]:
    """Up to :data:`PART_CANDIDATES` more images, found by the query's parts.

    Their similarity stays the whole query's (read back from the stored vectors), so
    the score means the same whichever way a candidate was found; only local
    verification can make it a match.
    """
    parts = features.part_vectors
    if parts is None or parts.shape[0] == 0 or features.query_vectors is None:
        return {}
    found = candidates(index, parts, PART_CANDIDATES + len(exclude))
    new = [image_id for image_id in found if image_id not in exclude][:PART_CANDIDATES]
    return _rerank(index, features.query_vectors, dict.fromkeys(new, 0.0))


def _rerank(
    index: ProvenanceIndex, query_vectors: NDArray[np.float32], approx: dict[int, float]
) -> dict[int, float]:
    """Exact similarities, from the stored vectors, for compressed-search candidates."""
    exact: dict[int, float] = {}
    for image_id in approx:
        rows = index.store.conn.execute(
            "SELECT vec FROM vectors WHERE image_id = ?", (image_id,)
        ).fetchall()
        if not rows:
            continue
        refs = index.store.decode_vectors([r[0] for r in rows])
        exact[image_id] = float((query_vectors @ refs.T).max())
    return exact


def verify_against(index: ProvenanceIndex, features: ImageFeatures, image_id: int) -> Verification:
    """Geometric verification of the query against one indexed image."""
    blob = index.store.local_features(image_id)
    if blob is None:
        return NO_MATCH
    reference = LocalFeatures.from_bytes(blob)
    return verify_pair(features.local, features.local_mirror, reference)


def _match(
    index: ProvenanceIndex,
    record: ImageRecord,
    similarity: float,
    generic: float,
    check: Verification,
    verified: bool,
    query_sha: str,
) -> Match:
    exact = record.sha256 == query_sha
    normalized = similarity - generic
    return Match(
        ref=record.path,
        score=_score(index.calibration, normalized, check.inliers, exact),
        sha256=record.sha256,
        similarity=similarity,
        normalized=normalized,
        inliers=check.inliers,
        verified=verified,
        mirrored=check.mirrored,
        region=check.region,
        query_region=check.query_region,
        exact=exact,
        ref_id=record.id,
    )


def generic_similarity(
    query_vectors: NDArray[np.float32],
    bank: NDArray[np.float32] | None,
    candidate_similarities: Sequence[float],
) -> float:
    """How similar the query is to images it does not copy.

    The larger of its resemblance to the shipped bank of unrelated images and its
    similarity to the :data:`GENERIC_RANK`-th best reference of the index (or the
    middle one of a smaller candidate list; a query
    that resembles many references equally, like a plain graphic, copies none of them
    on global evidence alone).
    """
    generic = bank_similarity(query_vectors, bank)
    ordered = sorted(candidate_similarities, reverse=True)
    rank = min(GENERIC_RANK, len(ordered) // 2)
    if rank >= 2:
        generic = max(generic, ordered[rank - 1])
    return generic


def _pair_features(match: Match) -> NDArray[np.float64]:
    return pair_features(match.normalized, match.inliers)


def verify_pair(
    query: LocalFeatures, query_mirror: LocalFeatures | None, reference: LocalFeatures
) -> Verification:
    """Verify directly, and through the mirror image unless the direct match is strong."""
    direct = verify(query, reference)
    if direct.inliers >= STRONG_INLIERS or query_mirror is None:
        return direct
    flipped = verify(query_mirror, reference, mirrored=True)
    return flipped if flipped.inliers > direct.inliers else direct
