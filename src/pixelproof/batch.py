"""Run one function over many inputs, in parallel processes, without losing any.

A decoder bug in a C library can kill a worker process outright. When that happens the
inputs that were in flight are retried one at a time in fresh processes, so the input
that crashes is isolated and reported while every other input is still processed.
"""

from __future__ import annotations

import collections
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")


def parallel_map(
    func: Callable[[T], R],
    items: Iterable[T],
    *,
    workers: int = 1,
    on_crash: Callable[[T, str], R],
) -> Iterator[R]:
    """Yield ``func(item)`` for every item, in input order.

    Parameters
    ----------
    func : callable
        A module-level (picklable) function that handles its own expected errors.
    items : iterable
        The inputs.
    workers : int
        Number of worker processes; 1 runs everything in this process.
    on_crash : callable
        Builds the result for an item whose worker process died.
    """
    if workers <= 1:
        for item in items:
            yield func(item)
        return
    pending = iter(items)
    window = 2 * workers
    while True:
        crashed: list[T] = []
        with ProcessPoolExecutor(max_workers=workers) as pool:
            in_flight: collections.deque[tuple[T, Future[R]]] = collections.deque()
            for item in pending:
                in_flight.append((item, pool.submit(func, item)))
                if len(in_flight) >= window:
                    break
            while in_flight:
                item, future = in_flight[0]
                try:
                    result = future.result()
                except BrokenProcessPool:
                    crashed = [it for it, _ in in_flight]
                    break
                in_flight.popleft()
                yield result
                for nxt in pending:
                    in_flight.append((nxt, pool.submit(func, nxt)))
                    break
        if not crashed:
            return
        for item in crashed:
            yield _isolated(func, item, on_crash)


def _isolated(func: Callable[[T], R], item: T, on_crash: Callable[[T, str], R]) -> R:
    with ProcessPoolExecutor(max_workers=1) as pool:
        try:
            return pool.submit(func, item).result()
        except BrokenProcessPool:
            return on_crash(item, "the decoder crashed the worker process on this input")
