"""Copy-detection retrieval metrics in the style of the 2021 Image Similarity Challenge."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Hashable, Iterable, Mapping

import numpy as np

Prediction = tuple[Hashable, Hashable, float]


def _checked(predictions: Iterable[Prediction]) -> list[tuple[Hashable, Hashable, float]]:
    rows: list[tuple[Hashable, Hashable, float]] = []
    seen: set[tuple[Hashable, Hashable]] = set()
    for row in predictions:
        try:
            query, ref, score = row
        except (TypeError, ValueError):
            raise ValueError(
                f"each prediction must be (query_id, ref_id, score), got {row!r}"
            ) from None
        score = float(score)
        if not math.isfinite(score):
            raise ValueError(f"prediction ({query!r}, {ref!r}) has a non-finite score")
        if (query, ref) in seen:
            raise ValueError(f"prediction ({query!r}, {ref!r}) appears more than once")
        seen.add((query, ref))
        rows.append((query, ref, score))
    return rows


def _positives(ground_truth: Mapping[Hashable, Hashable | None]) -> int:
    count = sum(1 for ref in ground_truth.values() if ref is not None)
    if count == 0:
        raise ValueError("ground_truth has no query with a reference")
    return count


def micro_average_precision(
    predictions: Iterable[Prediction], ground_truth: Mapping[Hashable, Hashable | None]
) -> float:
    """Micro average precision (µAP) over pooled (query, reference, score) predictions.

    Parameters
    ----------
    predictions : iterable of (query_id, ref_id, score)
        Candidate matches, any number per query; a higher score means more
        confident. A (query, reference) pair may appear only once.
    ground_truth : mapping of query_id to ref_id or None
        The reference each query was derived from, or None for a distractor query
        with no reference. Queries missing from the mapping count as distractors.

    Returns
    -------
    float
        ``sum_i (r_i - r_{i-1}) p_i`` over all predictions of all queries sorted by
        decreasing score, where ``p_i`` is the fraction of the first ``i`` predictions
        that are correct and ``r_i`` the number of correct ones divided by the number
        of queries that have a reference. 0 when there are no predictions.

    Raises
    ------
    ValueError
        On a duplicated (query, reference) pair, a non-finite score, or a ground
        truth without any reference.

    Notes
    -----
    Pooling every query's predictions before sorting makes the metric reward scores
    that are comparable across queries (one global threshold), and distractor
    queries only ever add false positives. Among equal scores, incorrect predictions
    are ranked first: the pessimistic order of the challenge's evaluation code,
    which stops a constant score from earning a good µAP.

    References
    ----------
    M. Douze et al., "The 2021 Image Similarity Dataset and Challenge",
    arXiv:2106.09672, 2021.

    Examples
    --------
    >>> predictions = [("q1", "r1", 0.9), ("q2", "r9", 0.8), ("q2", "r2", 0.5)]
    >>> micro_average_precision(predictions, {"q1": "r1", "q2": "r2", "q3": None})
    0.8333333333333333
    """
    rows = _checked(predictions)
    positives = _positives(ground_truth)
    if not rows:
        return 0.0
    correct = np.array(
        [ground_truth.get(q) is not None and ground_truth.get(q) == r for q, r, _ in rows]
    )
    scores = np.array([score for _, _, score in rows])
    # sort by score descending, incorrect before correct among ties
    order = np.lexsort((correct, -scores))
    hits = correct[order]
    true_positives = np.cumsum(hits)
    precision = true_positives / np.arange(1, hits.size + 1)
    # recall grows by 1 / positives exactly at each correct prediction
    return float(precision[hits].sum() / positives)


def recall_at_k(
    predictions: Iterable[Prediction],
    ground_truth: Mapping[Hashable, Hashable | None],
    k: int = 1,
) -> float:
    """Fraction of queries with a reference whose reference is among their top ``k``.

    Parameters
    ----------
    predictions : iterable of (query_id, ref_id, score)
        As for :func:`micro_average_precision`.
    ground_truth : mapping of query_id to ref_id or None
        As for :func:`micro_average_precision`; only queries with a reference count.
    k : int
        Rank cut-off, at least 1.

    Returns
    -------
    float
        For each query with a reference, its rank is the number of its predictions
        scoring at least as high as the correct one, minus one (so ties rank the
        correct prediction last); it counts when that rank is below ``k``, and a
        query whose reference was not predicted never counts.

    Raises
    ------
    ValueError
        On ``k < 1``, duplicated pairs or a ground truth without references.

    Examples
    --------
    >>> predictions = [("q1", "r7", 0.9), ("q1", "r1", 0.8), ("q2", "r2", 0.5)]
    >>> recall_at_k(predictions, {"q1": "r1", "q2": "r2"}, k=1)
    0.5
    >>> recall_at_k(predictions, {"q1": "r1", "q2": "r2"}, k=2)
    1.0
    """
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise ValueError(f"k must be a positive int, got {k!r}")
    rows = _checked(predictions)
    positives = _positives(ground_truth)
    by_query: dict[Hashable, list[tuple[Hashable, float]]] = defaultdict(list)
    for query, ref, score in rows:
        by_query[query].append((ref, score))
    found = 0
    for query, reference in ground_truth.items():
        if reference is None:
            continue
        candidates = by_query.get(query, [])
        correct = [score for ref, score in candidates if ref == reference]
        if not correct:
            continue
        rank = sum(1 for _, score in candidates if score >= correct[0]) - 1
        found += rank < k
    return found / positives
