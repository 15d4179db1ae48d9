"""parallel_map: order, parallelism, and isolation of inputs that kill their worker."""

from __future__ import annotations

import os
import signal
import time

import pytest

from pixelproof.batch import parallel_map

# Worker functions must be module-level so that they pickle by reference.


def square(item: int) -> int:
    # Later items finish first, so any reordering by completion time would show.
    time.sleep(0.002 * (10 - item % 10))
    return item * item


def exit_on_three(item: int) -> int:
    if item == 3:
        os._exit(13)  # what a segfaulting C decoder looks like from outside
    return item * item


def sigkill_on_five(item: int) -> int:
    if item == 5:
        os.kill(os.getpid(), signal.SIGKILL)
    return item * item


def exit_on_even_multiples_of_four(item: int) -> int:
    if item % 4 == 0:
        os._exit(1)
    return item * item


def slow_exit_on_one(item: int) -> int:
    if item == 1:
        time.sleep(0.1)
        os._exit(1)
    return item * item


def pid_of(_: int) -> int:
    return os.getpid()


def crashed(item: int, message: str) -> int:
    assert "crash" in message
    return -item - 1000


def never_called(item: int, message: str) -> int:
    raise AssertionError(f"on_crash called for {item}: {message}")


@pytest.mark.parametrize("workers", [1, 2])
def test_results_come_back_in_input_order(workers: int) -> None:
    items = list(range(20))
    results = list(parallel_map(square, items, workers=workers, on_crash=never_called))
    assert results == [i * i for i in items]


def test_accepts_a_generator_and_an_empty_input() -> None:
    assert list(parallel_map(square, (i for i in range(7)), workers=2, on_crash=never_called)) == [
        i * i for i in range(7)
    ]
    assert list(parallel_map(square, [], workers=2, on_crash=never_called)) == []


def test_one_worker_runs_in_this_process() -> None:
    assert set(parallel_map(pid_of, range(4), workers=1, on_crash=never_called)) == {os.getpid()}


def test_several_workers_run_in_other_processes() -> None:
    pids = set(parallel_map(pid_of, range(8), workers=2, on_crash=never_called))
    assert os.getpid() not in pids
    assert 1 <= len(pids) <= 2


@pytest.mark.parametrize(
    ("func", "bad"), [(exit_on_three, 3), (sigkill_on_five, 5)], ids=["os._exit", "SIGKILL"]
)
def test_a_crashing_item_is_isolated(func: object, bad: int) -> None:
    items = list(range(12))
    results = list(parallel_map(func, items, workers=2, on_crash=crashed))  # type: ignore[arg-type]
    expected = [crashed(i, "crash") if i == bad else i * i for i in items]
    assert results == expected


def test_several_crashing_items_each_get_on_crash() -> None:
    items = list(range(1, 14))
    results = list(parallel_map(exit_on_even_multiples_of_four, items, workers=2, on_crash=crashed))
    assert results == [crashed(i, "crash") if i % 4 == 0 else i * i for i in items]


def test_crash_on_the_first_item() -> None:
    items = [3, 1, 2]
    results = list(parallel_map(exit_on_three, items, workers=3, on_crash=crashed))
    assert results == [crashed(3, "crash"), 1, 4]


def test_crash_while_the_consumer_is_busy() -> None:
    # The worker dies after the first result was yielded and before the next input is
    # submitted: submitting to the broken pool must not lose inputs or raise.
    results = []
    for result in parallel_map(slow_exit_on_one, range(8), workers=2, on_crash=crashed):
        results.append(result)
        if len(results) == 1:
            time.sleep(0.5)
    assert results == [0, crashed(1, "crash"), 4, 9, 16, 25, 36, 49]
