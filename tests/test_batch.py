"""parallel_map: order, parallelism, and isolation of inputs that crash, hang or overeat."""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import time
from collections.abc import Callable
from typing import Any

import pytest

from pixelproof.batch import WorkerProcess, parallel_map

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


def crashed(item: int, error_type: str, message: str) -> int:
    assert error_type == "worker_crashed"
    assert "crash" in message
    return -item - 1000


def never_called(item: int, error_type: str, message: str) -> int:
    raise AssertionError(f"on_crash called for {item}: {error_type}: {message}")


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
    expected = [crashed(i, "worker_crashed", "crash") if i == bad else i * i for i in items]
    assert results == expected


def test_several_crashing_items_each_get_on_crash() -> None:
    items = list(range(1, 14))
    results = list(parallel_map(exit_on_even_multiples_of_four, items, workers=2, on_crash=crashed))
    assert results == [
        crashed(i, "worker_crashed", "crash") if i % 4 == 0 else i * i for i in items
    ]


def test_crash_on_the_first_item() -> None:
    items = [3, 1, 2]
    results = list(parallel_map(exit_on_three, items, workers=3, on_crash=crashed))
    assert results == [crashed(3, "worker_crashed", "crash"), 1, 4]


def test_crash_while_the_consumer_is_busy() -> None:
    # The worker dies after the first result was yielded and before the next input is
    # submitted: submitting to the broken pool must not lose inputs or raise.
    results = []
    for result in parallel_map(slow_exit_on_one, range(8), workers=2, on_crash=crashed):
        results.append(result)
        if len(results) == 1:
            time.sleep(0.5)
    assert results == [0, crashed(1, "worker_crashed", "crash"), 4, 9, 16, 25, 36, 49]


# ------------------------------------------------------------ limits: time and memory

TIMEOUT_S = 0.5
linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="RLIMIT_AS")


def hang_on_two(item: int) -> int:
    if item == 2:
        time.sleep(3600)  # a decoder stuck in a loop, or a read that never returns
    return item * item


def hang_on_even(item: int) -> int:
    if item % 2 == 0:
        while True:
            pass
    return item * item


def pid_or_hang(item: int) -> int:
    if item == 0:
        time.sleep(3600)
    return os.getpid()


def allocate_on_four(item: int) -> int:
    if item == 4:
        blob = bytearray(64 << 30)  # 64 GiB: above any limit the tests set
        return len(blob)
    return item * item


def memory_error_on_one(item: int) -> int:
    if item == 1:
        raise MemoryError
    return item * item


def value_error_on_two(item: int) -> int:
    if item == 2:
        raise ValueError("a bug, not a bad input")
    return item * item


def reported(item: int, error_type: str, message: str) -> Any:
    return (item, error_type, message)


def squares_or_rows(func: Callable[[int], Any], items: list[int], **kwargs: Any) -> list[Any]:
    return list(parallel_map(func, items, on_crash=reported, **kwargs))


def _own_address_space() -> int:
    with open("/proc/self/status") as status:
        kib = next(int(line.split()[1]) for line in status if line.startswith("VmSize:"))
    return kib * 1024


@pytest.mark.parametrize("workers", [1, 2])
def test_an_input_that_hangs_becomes_a_timeout_row(workers: int) -> None:
    started = time.monotonic()
    results = squares_or_rows(hang_on_two, list(range(6)), workers=workers, timeout_s=TIMEOUT_S)
    assert time.monotonic() - started < 30
    assert [r for i, r in enumerate(results) if i != 2] == [0, 1, 9, 16, 25]
    item, error_type, message = results[2]
    assert (item, error_type) == (2, "timeout")
    assert f"{TIMEOUT_S:g} s" in message


def test_several_hangs_each_time_out_and_the_batch_goes_on() -> None:
    results = squares_or_rows(hang_on_even, list(range(7)), workers=2, timeout_s=TIMEOUT_S)
    assert len(results) == 7
    for item, result in enumerate(results):
        if item % 2 == 0:
            assert result[:2] == (item, "timeout")
        else:
            assert result == item * item


def test_a_hung_worker_is_killed_and_replaced() -> None:
    results = list(
        parallel_map(pid_or_hang, range(5), workers=1, timeout_s=TIMEOUT_S, on_crash=reported)
    )
    assert results[0][:2] == (0, "timeout")
    pids = set(results[1:])
    assert os.getpid() not in pids  # a time limit needs a separate, killable process
    assert len(pids) == 1
    assert multiprocessing.active_children() == []


def test_a_time_limit_does_not_touch_quick_inputs() -> None:
    items = list(range(20))
    assert squares_or_rows(square, items, workers=2, timeout_s=30.0) == [i * i for i in items]


@pytest.mark.parametrize("workers", [1, 2])
def test_exit_and_kill_are_worker_crashed_rows(workers: int) -> None:
    results = squares_or_rows(exit_on_three, list(range(6)), workers=workers, timeout_s=30.0)
    item, error_type, message = results[3]
    assert (item, error_type) == (3, "worker_crashed")
    assert "exit code 13" in message
    results = squares_or_rows(sigkill_on_five, list(range(7)), workers=workers, timeout_s=30.0)
    assert results[5][:2] == (5, "worker_crashed")
    assert "SIGKILL" in results[5][2]
    assert [r for i, r in enumerate(results) if i != 5] == [0, 1, 4, 9, 16, 36]


@linux_only
@pytest.mark.parametrize("workers", [1, 2])
def test_an_input_above_the_memory_limit_becomes_a_too_large_row(workers: int) -> None:
    # A forked worker starts with this process's address space; allow 1 GiB more.
    limit = _own_address_space() + (1 << 30)
    results = squares_or_rows(
        allocate_on_four, list(range(8)), workers=workers, memory_limit_bytes=limit
    )
    item, error_type, message = results[4]
    assert (item, error_type) == (4, "too_large")
    assert "memory" in message and "MiB" in message
    assert [r for i, r in enumerate(results) if i != 4] == [i * i for i in range(8) if i != 4]


@pytest.mark.parametrize("workers", [1, 2])
def test_memory_error_without_a_limit_is_too_large(workers: int) -> None:
    results = squares_or_rows(memory_error_on_one, [0, 1, 2], workers=workers)
    assert results[0] == 0 and results[2] == 4
    assert results[1][:2] == (1, "too_large")


@pytest.mark.parametrize("limits", [{}, {"timeout_s": 30.0}], ids=["plain", "limited"])
def test_other_exceptions_are_raised_again(limits: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="a bug") as info:
        squares_or_rows(value_error_on_two, list(range(5)), workers=2, **limits)
    assert any("worker process" in note for note in getattr(info.value, "__notes__", []))
    assert multiprocessing.active_children() == []


def test_stopping_early_stops_the_workers() -> None:
    for result in parallel_map(hang_on_two, range(10), workers=2, on_crash=reported):
        assert result == 0
        break
    assert multiprocessing.active_children() == []


def test_limits_must_be_positive() -> None:
    with pytest.raises(ValueError):
        parallel_map(square, [1], on_crash=reported, timeout_s=0)
    with pytest.raises(ValueError):
        parallel_map(square, [1], on_crash=reported, memory_limit_bytes=-1)


# -- a long-lived worker handed one item at a time (the HTTP service's) -------------------


def test_a_worker_process_serves_items_until_one_ends_it() -> None:
    worker = WorkerProcess(exit_on_three)
    try:
        assert worker.call(2) == ("done", 4)
        assert worker.call(4, timeout_s=10) == ("done", 16)
        kind, message = worker.call(3)
        assert kind == "worker_crashed" and "exit code 13" in message
        assert not worker.alive
    finally:
        worker.stop()


def test_a_worker_process_past_its_time_is_stopped() -> None:
    worker = WorkerProcess(hang_on_two)
    try:
        started = time.monotonic()
        kind, message = worker.call(2, timeout_s=0.3)
        assert kind == "timeout" and "0.3 s" in message
        assert time.monotonic() - started < 5 and not worker.alive
    finally:
        worker.stop()


def test_a_worker_process_raises_what_the_function_raised() -> None:
    worker = WorkerProcess(value_error_on_two)
    try:
        with pytest.raises(ValueError):
            worker.call(2)
        assert worker.call(1) == ("done", 1)
    finally:
        worker.stop()


_HOARD: list[bytes] = []


def hoard_and_tell_pid(item: int) -> int:
    """Keeps 150 MB per input alive in the worker, like an allocator that never returns."""
    _HOARD.append(b"\x01" * (150 * 2**20))  # written, so resident (zeros may not be)
    return os.getpid()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc is Linux only")
def test_a_worker_that_grew_past_the_threshold_is_replaced() -> None:
    kept = list(parallel_map(hoard_and_tell_pid, range(4), workers=1, on_crash=crashed,
                             timeout_s=60))  # fmt: skip
    assert len(set(kept)) == 1  # no threshold: one worker holds 600 MB at the end
    recycled = list(
        parallel_map(
            hoard_and_tell_pid,
            range(4),
            workers=1,
            on_crash=crashed,
            timeout_s=60,
            recycle_above_bytes=100 * 2**20,
        )
    )
    assert len(set(recycled)) == 4  # each input left the worker above 100 MB


_ORPHAN_SCRIPT = """
import os, sys, time
from pixelproof.batch import parallel_map

def busy(item):
    open(os.path.join(sys.argv[1], str(os.getpid())), "w").close()
    time.sleep(120)
    return item

def crashed(item, error_type, message):
    return None

for _ in parallel_map(busy, range(4), workers=2, on_crash=crashed, timeout_s=300):
    pass
"""


def _running(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc is Linux only")
def test_workers_end_when_their_parent_is_killed(tmp_path: Any) -> None:
    import subprocess

    parent = subprocess.Popen([sys.executable, "-c", _ORPHAN_SCRIPT, str(tmp_path)])
    deadline = time.monotonic() + 60
    while len(list(tmp_path.iterdir())) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    workers = [int(path.name) for path in tmp_path.iterdir()]
    assert len(workers) == 2 and all(_running(pid) for pid in workers)
    parent.kill()  # SIGKILL: the parent cannot stop its busy workers itself
    parent.wait()
    deadline = time.monotonic() + 15
    while any(_running(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(_running(pid) for pid in workers)


def faiss_search(item: int) -> int:
    import faiss
    import numpy as np

    vectors = np.random.default_rng(item).random((2000, 64), dtype=np.float32)
    index = faiss.IndexFlatL2(64)
    index.add(vectors)
    _, found = index.search(vectors[:500], 1)  # many queries: an OpenMP parallel region
    return int(found[7, 0])


def test_a_worker_forked_after_faiss_ran_in_the_parent_can_search() -> None:
    pytest.importorskip("faiss")
    assert faiss_search(3) == 7  # the parent's OpenMP thread pool now exists
    rows = list(parallel_map(faiss_search, [1, 2], workers=1, on_crash=crashed, timeout_s=60))
    assert rows == [7, 7]


def torch_convolution(_: int) -> float:
    import torch

    torch.manual_seed(0)
    layer = torch.nn.Conv2d(3, 64, 3)
    with torch.no_grad():  # large enough for an OpenMP parallel region
        return float(layer(torch.ones(1, 3, 256, 256)).mean())


def test_a_worker_forked_after_torch_ran_in_the_parent_can_run_a_network() -> None:
    pytest.importorskip("torch")
    expected = torch_convolution(0)  # the parent's OpenMP thread pool now exists
    rows = list(parallel_map(torch_convolution, [1, 2], workers=1, on_crash=crashed, timeout_s=60))
    assert rows == [pytest.approx(expected, rel=1e-5)] * 2
