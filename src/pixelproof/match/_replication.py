"""Replication check: how often do generated images copy training images?"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ._types import QueryResult


@dataclass(frozen=True)
class ReplicationSummary:
    """Replication rate of a set of generated images against an index of training images.

    Attributes
    ----------
    images : int
        Generated images searched successfully.
    replicated : int
        Those whose best match scores above ``threshold``.
    threshold : float
        Calibrated score threshold (0.5: at most 1% false matches on unrelated images).
    failed : int
        Inputs that could not be read.
    top : list of dict
        The replicated images, strongest first: path, closest training image, score.
    """

    images: int
    replicated: int
    threshold: float
    failed: int = 0
    top: list[dict[str, Any]] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.replicated / self.images if self.images else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "images": self.images,
            "replicated": self.replicated,
            "rate": round(self.rate, 6),
            "threshold": self.threshold,
            "failed": self.failed,
            "replications": self.top,
        }


def replication_report(
    results: Iterable[QueryResult], *, threshold: float = 0.5
) -> ReplicationSummary:
    """Summarize search results of generated images against training images.

    Parameters
    ----------
    results : iterable of QueryResult
        One result per generated image, e.g. from
        :func:`pixelproof.tasks.match.search_rows`.
    threshold : float
        A generated image replicates a training image when its best match scores
        above this (default 0.5, the calibrated 1%-false-match threshold).
    """
    images = replicated = failed = 0
    top: list[dict[str, Any]] = []
    for result in results:
        if not result.ok:
            failed += 1
            continue
        images += 1
        if result.matches and result.matches[0].score > threshold:
            replicated += 1
            best = result.matches[0]
            top.append(
                {
                    "path": result.path,
                    "ref": best.ref,
                    "score": round(best.score, 4),
                    "region": None if best.region is None else list(best.region),
                }
            )
    top.sort(key=lambda row: -float(row["score"]))
    return ReplicationSummary(images, replicated, threshold, failed, top)
