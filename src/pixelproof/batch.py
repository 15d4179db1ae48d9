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
            in_flight: collections.deque[tuple[T, Future[R] | None]] = collections.deque()
            _fill(pool, func, pending, in_flight, window)
            while in_flight:
                item, future = in_flight[0]
                try:
                    if future is None:  # submitted after another input broke the pool
                        raise BrokenProcessPool("the pool broke before this input started")
                    result = future.result()
                except BrokenProcessPool:
                    crashed = [it for it, _ in in_flight]
                    break
                in_flight.popleft()
                yield result
                _fill(pool, func, pending, in_flight, window)
        if not crashed:
            return
        for item in crashed:
            yield _isolated(func, item, on_crash)


def _fill(
    pool: ProcessPoolExecutor,
    func: Callable[[T], R],
    pending: Iterator[T],
    in_flight: collections.deque[tuple[T, Future[R] | None]],
    window: int,
) -> None:
    """Submit inputs until ``window`` are in flight.

    A worker may die while earlier results are being yielded, which makes ``submit``
    itself raise: the input is then queued without a future, to be retried with the
    other in-flight inputs instead of being lost.
    """
    if len(in_flight) >= window:
        return
    for item in pending:
        try:
            in_flight.append((item, pool.submit(func, item)))
        except BrokenProcessPool:
            in_flight.append((item, None))
            return
        if len(in_flight) >= window:
            return


def _isolated(func: Callable[[T], R], item: T, on_crash: Callable[[T, str], R]) -> R:
    with ProcessPoolExecutor(max_workers=1) as pool:
        try:
            return pool.submit(func, item).result()
        except BrokenProcessPool:
            return on_crash(item, "the decoder crashed the worker process on this input")
