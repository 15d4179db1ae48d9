"""``pixelproof index add``, ``match`` and ``dedup``: features in workers, the index on the driver.

The workers compute every image's features (:class:`FeaturesTask`); the driver owns
the index, so that one process writes it (:func:`index_rows`), searches it
(:func:`search_rows`) or groups the whole collection (:func:`dedup_rows`).
"""

from __future__ import annotations

import contextlib
import json
import shutil
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from typing import Any, ClassVar

from typing_extensions import TypedDict

from ..inputs import ExpandedInputs, expand_inputs
from ..io import LoadedImage
from ..match import (
    AddResult,
    AddResultDict,
    DedupResult,
    DedupRowDict,
    FailedResultDict,
    FeatureFailure,
    FeatureOptions,
    ImageFeatures,
    IndexStatsDict,
    ProvenanceIndex,
    QueryMatchesDict,
    QueryResult,
    compute_features,
    group_duplicates,
)
from ..runner import (
    DEFAULT_SHARD_SIZE,
    ErrorType,
    JsonRowBase,
    JsonRowHead,
    Row,
    executor_for,
    job_folder,
    plan_shards,
    run,
)
from ..settings import Settings


class IndexAddJsonRow(JsonRowBase, AddResultDict):
    """An ``index add`` row with a result (else :class:`~pixelproof.runner.ErrorJsonRow`
    or :class:`FailedResultJsonRow`)."""


class MatchJsonRow(JsonRowBase, QueryMatchesDict):
    """A ``match`` row with a result (else :class:`~pixelproof.runner.ErrorJsonRow` or
    :class:`FailedResultJsonRow`)."""


class DedupJsonRow(JsonRowBase, DedupRowDict):
    """A ``dedup`` row with a result (else :class:`~pixelproof.runner.ErrorJsonRow` or
    :class:`FailedResultJsonRow`)."""


class FailedResultJsonRow(JsonRowHead, FailedResultDict):
    """A row of ``index add``, ``match`` or ``dedup`` whose input was read but whose
    result records a failure."""


class IndexRemovedJsonRow(TypedDict):
    """A row of ``index remove --json`` that removed images (else
    :class:`~pixelproof.runner.ErrorJsonRow` with ``error_type`` ``not_in_index``)."""

    schema_version: str
    path: str
    removed: list[str]


class IndexStatsJsonRow(IndexStatsDict):
    """The row of ``index stats --json``."""

    schema_version: str


class IndexRecordJsonRow(TypedDict):
    """A row of ``index export``: one indexed image."""

    schema_version: str
    path: str
    id: int
    sha256: str
    width: int
    height: int
    added: float
    pdq: str | None
    pdq_quality: int | None


@dataclass(frozen=True)
class KnownImage:
    """An image whose content the index already holds (its features were skipped)."""

    sha256: str

    def to_dict(self) -> dict[str, Any]:
        return {"sha256": self.sha256}


@dataclass(frozen=True)
class FeaturesTask:
    """Compute the matching features of each image.

    Parameters
    ----------
    options : FeatureOptions
        What to compute (index, query or de-duplication features).
    known_in : str or None
        An index file: images whose content it holds already are not analysed again.
    """

    command: ClassVar[str] = "features"
    options: FeatureOptions
    known_in: str | None = None

    def process(
        self, image: LoadedImage, path: str, settings: Settings
    ) -> ImageFeatures | KnownImage:
        if self.known_in is not None and _reader(self.known_in).store.has_sha(image.sha256):
            return KnownImage(image.sha256)
        return compute_features(image.pixels, path=path, sha256=image.sha256, options=self.options)


@cache
def _reader(db: str) -> ProvenanceIndex:
    """One read-only view of an index per worker process."""
    return ProvenanceIndex(db, readonly=True)


def index_rows(
    index: ProvenanceIndex, rows: Iterable[Row[Any]], *, batch_size: int = 32
) -> Iterator[Row[Any]]:
    """Add the features of ``rows`` to ``index`` in transactions; rows stay in order.

    Work is committed in batches of ``batch_size`` images: an interrupted run loses at
    most the batch in flight, and running it again resumes where it stopped.
    """
    pending: list[Row[Any]] = []

    def flush() -> Iterator[Row[Any]]:
        features = [r.result for r in pending if isinstance(r.result, ImageFeatures)]
        added = iter(index.add_features(features))
        for row in pending:
            if isinstance(row.result, ImageFeatures):
                yield replace(row, result=next(added))
            elif isinstance(row.result, KnownImage):
                record = index.store.image_by_sha(row.result.sha256)
                known_id = record.id if record else None
                known = AddResult(row.path, "present", row.result.sha256, known_id)
                yield replace(row, result=known)
            else:
                yield row
        pending.clear()

    for row in rows:
        pending.append(row)
        if len(pending) >= batch_size:
            yield from flush()
    yield from flush()


def search_rows(
    index: ProvenanceIndex,
    rows: Iterable[Row[Any]],
    *,
    k: int,
    verify_top: int,
    replication_threshold: float | None = None,
) -> Iterator[Row[Any]]:
    """Search ``index`` for each row's features; with a threshold, mark replications."""
    for row in rows:
        if not isinstance(row.result, ImageFeatures):
            yield row
            continue
        found: QueryResult = index.search_features(row.result, k=k, verify_top=verify_top)
        if replication_threshold is not None:
            best = found.matches[0].score if found.matches else 0.0
            found = replace(found, replicated=best > replication_threshold)
        yield replace(row, result=found)


def dedup_rows(rows: Iterable[Row[Any]], **options: Any) -> tuple[list[Row[Any]], DedupResult]:
    """Group every row's image; ``options`` as for :func:`pixelproof.match.group_duplicates`."""
    collected = list(rows)
    entries = [
        row.result
        if isinstance(row.result, ImageFeatures)
        else FeatureFailure(row.path, row.error or "", str(row.error_type))
        for row in collected
    ]
    result = group_duplicates(entries, **options)
    grouped = [
        replace(row, result=dedup_row) if row.ok else row
        for row, dedup_row in zip(collected, result.rows, strict=True)
    ]
    return grouped, result


def add_paths(
    index: ProvenanceIndex,
    inputs: Iterable[str] | ExpandedInputs,
    *,
    settings: Settings | None = None,
    workers: int = 1,
    batch_size: int = 32,
    shard_size: int = DEFAULT_SHARD_SIZE,
) -> Iterator[Row[Any]]:
    """``pixelproof index add`` as a function: one row (an :class:`AddResult`) per input.

    With ``settings.engine == "ray"`` the workers write the features of each shard of
    ``shard_size`` inputs to ``<index>-jobs/`` and the driver adds finished shards, in
    order, to the index (the one writer); a job that is killed and run again with the
    same inputs computes only the shards that were not finished, and the index holds
    every image once. The folder is removed when the job completes.
    """
    settings = settings or Settings()
    task = FeaturesTask(index.feature_options(query=False), known_in=str(index.path))
    if settings.engine == "local":
        rows = run(task, inputs, settings=settings, workers=workers)
        return index_rows(index, rows, batch_size=batch_size)
    expanded = inputs if isinstance(inputs, ExpandedInputs) else expand_inputs(inputs)
    return _add_sharded(index, task, expanded, settings, workers, batch_size, shard_size)


def _add_sharded(
    index: ProvenanceIndex,
    task: FeaturesTask,
    expanded: ExpandedInputs,
    settings: Settings,
    workers: int,
    batch_size: int,
    shard_size: int,
) -> Iterator[Row[Any]]:
    what = json.dumps([task.options.descriptor, task.options.local_side, shard_size])
    folder = job_folder(Path(f"{index.path}-jobs"), expanded.files, what)
    shards = plan_shards(expanded.files, folder, shard_size)
    executor = executor_for(settings, workers)
    try:
        for shard in executor.shards(task, shards, settings):
            yield from index_rows(index, shard.rows(), batch_size=batch_size)
    finally:
        executor.close()
    shutil.rmtree(folder, ignore_errors=True)
    with contextlib.suppress(OSError):  # other jobs' shards may still be there
        folder.parent.rmdir()
    for pattern in expanded.missing:
        yield Row.failed(pattern, ErrorType.NOT_FOUND, "the pattern matched no file")


def dedup_paths(
    inputs: Iterable[str] | ExpandedInputs,
    *,
    settings: Settings | None = None,
    workers: int = 1,
    **options: Any,
) -> DedupResult:
    """``pixelproof dedup`` as a function (``options`` as for ``group_duplicates``)."""
    settings = settings or Settings()
    task = FeaturesTask(FeatureOptions(query=True, reference=True))
    executor = executor_for(settings, workers)
    try:
        rows = run(task, inputs, settings=settings, executor=executor)
        return dedup_rows(rows, mapper=executor.map, **options)[1]
    finally:
        executor.close()
