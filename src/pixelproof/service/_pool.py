"""A bounded pool of long-lived worker processes for the service's requests.

Each worker (:class:`pixelproof.batch.WorkerProcess`) handles one request at a time,
so a decoder that crashes its process, an input past the time limit or one that runs
out of memory costs that request only: its worker is replaced and the others go on.
Admission is bounded: past ``size + queue`` admitted requests, :class:`PoolBusyError`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import asynccontextmanager, suppress
from typing import Any

from ..batch import WorkerProcess
from ..runner import ErrorType, Row, Task, process_one
from ..settings import Settings

Job = tuple[Task[Any], str, Settings]


class PoolBusyError(Exception):
    """Every worker is busy and the queue is full (or the wait for one took too long)."""

    def __init__(self, message: str, retry_after_s: int) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class WorkerPool:
    """``size`` worker processes running :func:`pixelproof.runner.process_one`.

    Use from the event loop: ``async with pool.admit(): ... await pool.run(job, ...)``.
    The blocking wait for a worker's answer runs in a thread of the pool's own (one per
    worker), so the event loop never waits on a process.
    """

    def __init__(self, size: int, *, queue: int, memory_limit_bytes: int | None = None) -> None:
        self.size = size
        self.queue = queue
        self.memory_limit_bytes = memory_limit_bytes
        self._workers: list[WorkerProcess | None] = [None] * size
        self._threads = ThreadPoolExecutor(size, thread_name_prefix="pixelproof-worker")
        self._idle: asyncio.Queue[int] | None = None
        self._admitted = 0
        self._busy = 0
        self.replaced = 0

    def start(self) -> None:
        """Start every worker (call before serving, from the event loop)."""
        self._idle = asyncio.Queue()
        for slot in range(self.size):
            self._workers[slot] = self._new_worker()
            self._idle.put_nowait(slot)

    def _new_worker(self) -> WorkerProcess:
        return WorkerProcess(process_one, memory_limit_bytes=self.memory_limit_bytes)

    @property
    def admitted(self) -> int:
        return self._admitted

    @property
    def busy(self) -> int:
        return self._busy

    @asynccontextmanager
    async def admit(self) -> AsyncIterator[None]:
        """Count a request in for its whole life (upload included), or raise PoolBusyError."""
        if self._admitted >= self.size + self.queue:
            raise PoolBusyError(
                "the service is busy: every worker is in use and the queue is full", 2
            )
        self._admitted += 1
        try:
            yield
        finally:
            self._admitted -= 1

    async def run(self, job: Job, *, timeout_s: float) -> Row[Any]:
        """Run ``job`` in a free worker within ``timeout_s`` (the wait for one included).

        Raises
        ------
        PoolBusyError
            When no worker became free in time.
        """
        if self._idle is None:
            raise RuntimeError("the worker pool was not started")
        deadline = time.monotonic() + timeout_s
        idle = self._idle
        slot = await self._free_slot(idle, timeout_s)
        loop = asyncio.get_running_loop()
        remaining = max(0.1, deadline - time.monotonic())
        self._busy += 1

        def release(_: Future[Row[Any]]) -> None:
            # Only once the worker is done, even if the request was cancelled meanwhile.
            with suppress(RuntimeError):  # the event loop is closed: the service stopped
                loop.call_soon_threadsafe(self._release, idle, slot)

        try:
            done = self._threads.submit(self._call, slot, job, remaining)
        except BaseException:
            self._release(idle, slot)
            raise
        done.add_done_callback(release)
        return await asyncio.wrap_future(done)

    @staticmethod
    async def _free_slot(idle: asyncio.Queue[int], timeout_s: float) -> int:
        """Wait for an idle worker; a slot taken by a wait that is given up (timeout, or
        the request cancelled) goes back to the queue, never lost."""
        getter = asyncio.ensure_future(idle.get())
        try:
            done, _ = await asyncio.wait({getter}, timeout=timeout_s)
        except asyncio.CancelledError:
            WorkerPool._give_back(idle, getter)
            raise
        if not done:
            WorkerPool._give_back(idle, getter)
            raise PoolBusyError("no worker became free within the request's time limit", 5)
        return getter.result()

    @staticmethod
    def _give_back(idle: asyncio.Queue[int], getter: asyncio.Future[int]) -> None:
        if getter.done() and not getter.cancelled() and getter.exception() is None:
            idle.put_nowait(getter.result())
        else:
            getter.cancel()  # Queue.get leaves the item in the queue when cancelled

    def _release(self, idle: asyncio.Queue[int], slot: int) -> None:
        self._busy -= 1
        idle.put_nowait(slot)

    def _call(self, slot: int, job: Job, timeout_s: float) -> Row[Any]:
        """In a pool thread: run the job in the slot's worker, replacing a dead one."""
        worker = self._workers[slot]
        if worker is None or not worker.alive:
            if worker is not None:
                worker.stop()
            worker = self._workers[slot] = self._new_worker()
        try:
            kind, payload = worker.call(job, timeout_s=timeout_s)
        except BaseException:
            self._retire(slot)
            raise
        if kind == "done":
            row: Row[Any] = payload
            return row
        self._retire(slot)
        return Row.failed(job[1], ErrorType(kind), str(payload))

    def _retire(self, slot: int) -> None:
        """Stop the slot's worker and start its replacement now, ready for the next."""
        worker = self._workers[slot]
        if worker is not None:
            worker.stop()
        self.replaced += 1
        self._workers[slot] = self._new_worker()

    def close(self) -> None:
        self._threads.shutdown(wait=False, cancel_futures=True)
        for slot, worker in enumerate(self._workers):
            if worker is not None:
                worker.stop()
                self._workers[slot] = None
