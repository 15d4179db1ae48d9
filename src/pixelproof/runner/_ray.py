"""The Ray executor: the runner's work on a Ray cluster, through Ray Data actor pools.

The inputs are cut into shards (a few images each); a Ray Data ``map_batches`` over
the shards runs on a pool of actors (:class:`ShardWorker`, ``workers`` of them, one
CPU each). Each actor keeps one worker process (:class:`pixelproof.batch.WorkerProcess`)
for its whole life, which loads the task's networks once and handles every image of
every shard the actor gets, so that:

* a decoder that crashes on an image kills that process, not the actor: the image
  becomes a ``worker_crashed`` row, as on one machine, and a fresh process takes the
  next image (a poisoned image that crashes every time is one error row);
* the per-input time and memory limits of :class:`~pixelproof.settings.Settings`
  apply exactly as with the local engine;
* an actor that dies (a node lost, the actor process killed) is restarted by Ray and
  its shard retried (Ray Data's actor pools: ``max_restarts=-1``,
  ``max_task_retries=-1``); a shard's rows are only taken once it has finished, so
  nothing is counted twice.

Rows travel back to the driver pickled, shard by shard, and are yielded in input
order. Jobs that write shard files (``index add``) return only the shard number.
"""

from __future__ import annotations

import gc
import logging
import multiprocessing
import os
import pickle
import warnings
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from typing import Any, TypeVar

import numpy as np
import ray
import ray.data

from ..batch import WorkerProcess
from ..settings import Settings
from ._errors import ErrorType
from ._executor import RECYCLE_ABOVE_BYTES
from ._row import Row
from ._shards import Shard, write_shard

T = TypeVar("T")
R = TypeVar("R")

ROWS_PER_SHARD = 4
"""Images per Ray Data row when the rows come back to the driver (small: rows stream
back in order while the others run; each shard is one remote call)."""
MAX_BLOCKS = 10_000
"""Ray Data blocks of a job at most (one per shard below it; several shards per block
above it, so that the driver's plan stays small for millions of images)."""


class RayExecutor:
    """Ray Data actor pools on the cluster at ``address`` (None: a local Ray).

    Parameters
    ----------
    address : str or None
        ``"auto"`` or ``ray://host:port`` to join a cluster; None starts Ray on this
        machine (or uses the one this process already started).
    workers : int
        Actors in the pool, one CPU each.
    """

    def __init__(self, address: str | None = None, workers: int = 1) -> None:
        self.workers = max(1, workers)
        self._started = False
        if not ray.is_initialized():
            ray.init(
                address=address,
                include_dashboard=False,
                log_to_driver=False,
                logging_level=logging.WARNING,
            )
            self._started = True
        context = ray.data.DataContext.get_current()
        context.enable_progress_bars = False
        context.print_on_execution_start = False
        context.enable_auto_log_stats = False
        logging.getLogger("ray.data").setLevel(logging.ERROR)
        # Fewer shards than workers is normal for small jobs, not worth a warning.
        warnings.filterwarnings("ignore", r".*only received \d+ input", UserWarning)

    def rows(self, task: Any, files: Sequence[str], settings: Settings) -> Iterator[Row[Any]]:
        jobs = [
            (k, tuple(files[start : start + ROWS_PER_SHARD]), "")
            for k, start in enumerate(range(0, len(files), ROWS_PER_SHARD))
        ]
        for _, blob in self._run(task, settings, jobs):
            yield from pickle.loads(blob)

    def shards(self, task: Any, shards: Sequence[Shard], settings: Settings) -> Iterator[Shard]:
        todo = [(s.number, s.paths, s.file) for s in shards if not s.done]
        finished = {s.number for s in shards if s.done}
        pending = self._run(task, settings, todo)
        try:
            for shard in shards:
                while shard.number not in finished:
                    number, _ = next(pending)
                    finished.add(number)
                yield shard
        finally:
            pending.close()  # ends Ray Data's executor thread now, not at some later GC

    def map(self, func: Callable[[T], R], items: Sequence[T]) -> Iterator[R]:
        if not items:
            return

        def apply(batch: dict[str, Any]) -> dict[str, Any]:
            done = [pickle.dumps(func(pickle.loads(item))) for item in batch["item"]]
            return {"at": batch["at"], "out": np.array(done, dtype=object)}

        dataset = ray.data.from_items(
            [{"at": i, "item": pickle.dumps(item)} for i, item in enumerate(items)],
            override_num_blocks=min(len(items), MAX_BLOCKS),
        )
        out = dataset.map_batches(apply, batch_size=1, concurrency=self.workers, num_cpus=1)
        rows = out.iter_rows()
        try:
            for _, blob in _in_order(rows):
                yield pickle.loads(blob)
        finally:
            _close(rows)

    def _run(
        self, task: Any, settings: Settings, jobs: list[tuple[int, tuple[str, ...], str]]
    ) -> Generator[tuple[int, bytes], None, None]:
        """``(shard number, pickled rows or b"")`` for every job, in job order."""
        if not jobs:
            return
        dataset = ray.data.from_items(
            [{"at": at, "job": pickle.dumps(job)} for at, job in enumerate(jobs)],
            override_num_blocks=min(len(jobs), MAX_BLOCKS),
        )
        out = dataset.map_batches(
            ShardWorker,
            fn_constructor_args=(task, settings),
            batch_size=1,
            compute=ray.data.ActorPoolStrategy(size=self.workers),
            num_cpus=1,
        )
        rows = out.iter_rows()
        try:
            for at, blob in _in_order(rows):
                yield jobs[at][0], blob
        finally:
            _close(rows)

    def close(self) -> None:
        """Shut down the Ray this executor started (a joined cluster is left alone)."""
        if self._started and ray.is_initialized():
            shutdown_ray()
        self._started = False


def shutdown_ray() -> None:
    """``ray.shutdown()`` once no abandoned Ray Data iterator can still run.

    A dataset iterator dropped unfinished keeps a thread that talks to Ray until the
    iterator is collected; if that happens after the shutdown, Ray ends the whole
    process with exit status 1 ("the core worker has already been shutdown").
    """
    gc.collect()
    ray.shutdown()


def _close(rows: Any) -> None:
    close = getattr(rows, "close", None)
    if close is not None:
        close()


def _in_order(rows: Iterable[dict[str, Any]]) -> Iterator[tuple[int, Any]]:
    """``(at, out)`` of Ray Data's output rows (numbered by ``at`` from 0), in order."""
    waiting: dict[int, Any] = {}
    following = 0
    for row in rows:
        waiting[int(row["at"])] = row["out"]
        while following in waiting:
            yield following, waiting.pop(following)
            following += 1


class ShardWorker:
    """A Ray Data actor: one worker process runs every image of the shards it gets."""

    def __init__(self, task: Any, settings: Settings) -> None:
        self.task = task
        self.settings = settings
        self.worker: WorkerProcess | None = None
        # Worker processes come from a fork server, a small fresh process with the
        # task's modules imported: an actor has threads, and the address space Ray maps
        # into it would count against the memory limit of a process forked from it.
        multiprocessing.get_context("forkserver").set_forkserver_preload(
            ["pixelproof.runner", type(task).__module__]
        )

    def __call__(self, batch: dict[str, Any]) -> dict[str, Any]:
        out = []
        for blob in batch["job"]:
            _, paths, target = pickle.loads(blob)
            if target and os.path.exists(target):
                out.append(b"")  # finished before a retry reached it
                continue
            rows = [self._one(path) for path in paths]
            if target:
                write_shard(target, rows)
                out.append(b"")
            else:
                out.append(pickle.dumps(rows, protocol=pickle.HIGHEST_PROTOCOL))
        return {"at": batch["at"], "out": np.array(out, dtype=object)}

    def _one(self, path: str) -> Row[Any]:
        from ._run import process_one

        if self.worker is None or not self.worker.alive:
            self.worker = WorkerProcess(
                process_one,
                memory_limit_bytes=self.settings.memory_limit_bytes,
                start_method="forkserver",
            )
        kind, payload = self.worker.call(
            (self.task, path, self.settings), timeout_s=self.settings.time_limit_s
        )
        if kind == "done":
            if self.worker.resident_bytes > RECYCLE_ABOVE_BYTES:
                self.worker.stop()  # as the local engine does: its successor starts small
                self.worker = None
            row: Row[Any] = payload
            return row
        self.worker = None  # gone: the next image gets a fresh process
        return Row.failed(path, ErrorType(kind), str(payload))
