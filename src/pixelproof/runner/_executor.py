"""Executors: where the runner's per-image work runs.

An :class:`Executor` turns ``(task, files, settings)`` into one :class:`Row` per file,
in file order, and runs whole shards of files for jobs that keep their intermediate
results on disk (see :mod:`pixelproof.runner._shards`). Two implementations:

``local`` (:class:`LocalExecutor`, the default)
    worker processes on this machine (:func:`pixelproof.batch.parallel_map`).
``ray`` (:class:`pixelproof.runner._ray.RayExecutor`)
    Ray Data actor pools on a Ray cluster; imported only when chosen, so that
    pixelproof without the ``distributed`` extra never imports Ray.

Both produce the same rows: every image is loaded and analysed by
:func:`~pixelproof.runner.process_one` in a worker process that dies alone when a
decoder crashes, under the same per-input time and memory limits.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any, Protocol, TypeVar

from ..batch import parallel_map
from ..settings import Settings
from ._errors import ErrorType
from ._row import Row
from ._shards import Shard, write_shard

T = TypeVar("T")
R = TypeVar("R")

RECYCLE_ABOVE_BYTES = 768 << 20
"""A worker holding more resident memory than this after an input is replaced.

A scan worker holds about 400 MiB between inputs (models, network sessions, caches),
also after a 24-megapixel photo; more means memory kept from an unusual input, which
would sit beside the next large image of the other worker."""


class Executor(Protocol):
    """Runs tasks on images, and plain functions on items, somewhere."""

    def rows(self, task: Any, files: Sequence[str], settings: Settings) -> Iterator[Row[Any]]:
        """One row per file, in file order."""
        ...

    def shards(self, task: Any, shards: Sequence[Shard], settings: Settings) -> Iterator[Shard]:
        """Write the rows of every shard whose file does not exist yet; yield every
        shard once its file is there, in shard order."""
        ...

    def map(self, func: Callable[[T], R], items: Sequence[T]) -> Iterator[R]:
        """``func(item)`` for every item, in order (``func`` module-level, picklable)."""
        ...

    def close(self) -> None:
        """Release what the executor started."""
        ...


class LocalExecutor:
    """Worker processes on this machine (``workers=1`` and no limits: this process)."""

    def __init__(self, workers: int = 1) -> None:
        self.workers = workers

    def rows(self, task: Any, files: Sequence[str], settings: Settings) -> Iterator[Row[Any]]:
        from ._run import process_one

        jobs = ((task, path, settings) for path in files)
        return parallel_map(
            process_one,
            jobs,
            workers=self.workers,
            on_crash=crashed,
            timeout_s=settings.time_limit_s,
            memory_limit_bytes=settings.memory_limit_bytes,
            recycle_above_bytes=RECYCLE_ABOVE_BYTES,
        )

    def shards(self, task: Any, shards: Sequence[Shard], settings: Settings) -> Iterator[Shard]:
        for shard in shards:
            if not shard.done:
                write_shard(shard.file, list(self.rows(task, shard.paths, settings)))
            yield shard

    def map(self, func: Callable[[T], R], items: Sequence[T]) -> Iterator[R]:
        return map(func, items)

    def close(self) -> None:
        """Nothing outlives a call."""


def executor_for(settings: Settings, workers: int = 1) -> Executor:
    """The executor that ``settings.engine`` names (``workers`` is for ``local``)."""
    if settings.engine == "ray":
        from ._ray import RayExecutor

        return RayExecutor(address=settings.ray_address, workers=workers)
    return LocalExecutor(workers)


def crashed(job: tuple[Any, str, Settings], error_type: str, message: str) -> Row[Any]:
    """The row of an input whose worker died, timed out or ran out of memory."""
    return Row.failed(job[1], ErrorType(error_type), message)
