"""The service's worker pool: waits that are given up never lose a worker."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import pytest

from pixelproof.service import PoolBusyError, WorkerPool
from pixelproof.settings import Settings

from .._images import encode, smooth


def run(scenario: Callable[[], Coroutine[Any, Any, None]]) -> None:
    """``asyncio.run`` in a thread of its own: the browser test's Playwright keeps an
    event loop running in this one for the rest of the session."""
    failures: list[BaseException] = []

    def target() -> None:
        try:
            asyncio.run(scenario())
        except BaseException as exc:
            failures.append(exc)

    thread = threading.Thread(target=target)
    thread.start()
    thread.join(timeout=60)
    assert not thread.is_alive()
    if failures:
        raise failures[0]


@dataclass(frozen=True)
class Slept:
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        return {"seconds": self.seconds}


@dataclass(frozen=True)
class Sleep:
    command: ClassVar[str] = "sleep"
    seconds: float

    def process(self, image: Any, path: str, settings: Settings) -> Slept:
        time.sleep(self.seconds)
        return Slept(self.seconds)


def test_given_up_waits_give_their_worker_back(tmp_path: Path) -> None:
    image = tmp_path / "a.png"
    image.write_bytes(encode(smooth(8, 8), "PNG"))

    def job(seconds: float) -> Any:
        return (Sleep(seconds), str(image), Settings())

    async def scenario() -> None:
        pool = WorkerPool(1, queue=4)
        pool.start()
        try:
            slow = asyncio.create_task(pool.run(job(1.0), timeout_s=20))
            await asyncio.sleep(0.2)
            assert pool.busy == 1
            with pytest.raises(PoolBusyError):  # no worker free within its time
                await pool.run(job(0), timeout_s=0.2)
            waiting = asyncio.create_task(pool.run(job(0), timeout_s=20))
            await asyncio.sleep(0.05)
            waiting.cancel()  # the client went away while waiting
            assert (await slow).ok
            row = await pool.run(job(0), timeout_s=5)
            assert row.ok and row.result == Slept(0)
            assert pool.busy == 0
        finally:
            pool.close()

    run(scenario)


def test_admission_is_bounded() -> None:
    async def scenario() -> None:
        pool = WorkerPool(1, queue=1)
        async with pool.admit(), pool.admit():
            assert pool.admitted == 2
            with pytest.raises(PoolBusyError) as refused:
                async with pool.admit():
                    pass
            assert refused.value.retry_after_s >= 1
        assert pool.admitted == 0

    run(scenario)
