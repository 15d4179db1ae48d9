"""Run one function over many inputs, in worker processes, without losing any.

Each worker process handles one input at a time, so whatever goes wrong is pinned on
the input that caused it, which becomes a result built by ``on_crash`` while every
other input is still processed, in input order:

``worker_crashed``
    the worker died (a decoder bug in a C library can kill it outright);
``timeout``
    the input took longer than ``timeout_s``: its worker is killed;
``too_large``
    the input needed more memory than the worker may have (``MemoryError`` in the
    worker, which happens when ``memory_limit_bytes`` caps its address space).

A worker that died, was killed or ran out of memory is replaced by a fresh one.

Platform notes. Workers are forked on Linux (fast to start, and they share what the
parent already imported); elsewhere they are spawned, so ``func`` and the inputs must
be picklable. The memory limit is an address-space limit (``RLIMIT_AS``) set in each
worker where ``resource.setrlimit`` supports it (Linux); elsewhere it is not enforced.
Address space is not resident memory: Python, NumPy, OpenBLAS and ONNX Runtime reserve
far more than they touch, and each thread adds its stack and malloc arena. Measured on
Linux (2 cores) with every ``scan`` analyzer: a 768x512 image needs under 1 GiB of
address space (360 MiB resident); an 18-megapixel JPEG peaks at 2 GiB (1.2 GiB
resident), loses three analyzers to ``MemoryError`` at 1.5 GiB and cannot be loaded at
1 GiB. Limits below 2 GiB therefore refuse ordinary photos; 4 GiB leaves room for
more threads on bigger machines and still stops runaway inputs. A forked worker starts
with the parent's address space, which counts towards the limit. Only a
``MemoryError`` that escapes ``func`` is reported as ``too_large``: a worker killed by
a signal, the kernel's out-of-memory killer included, is ``worker_crashed``.
"""

from __future__ import annotations

import collections
import contextlib
import ctypes
import multiprocessing
import os
import pickle
import signal
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterable, Iterator
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")

WORKER_CRASHED = "worker_crashed"
TIMEOUT = "timeout"
TOO_LARGE = "too_large"

_MAX_START_FAILURES = 3
_PARENT_POLL_S = 0.5  # how often a worker checks that its parent is still there
_PAGE_SIZE = 4096 if not hasattr(os, "sysconf") else os.sysconf("SC_PAGE_SIZE")


def parallel_map(
    func: Callable[[T], R],
    items: Iterable[T],
    *,
    workers: int = 1,
    on_crash: Callable[[T, str, str], R],
    timeout_s: float | None = None,
    memory_limit_bytes: int | None = None,
    recycle_above_bytes: int | None = None,
) -> Iterator[R]:
    """Yield ``func(item)`` for every item, in input order.

    Parameters
    ----------
    func : callable
        A module-level (picklable) function that handles its own expected errors.
        Any other exception it raises is raised again here, and the batch stops.
    items : iterable
        The inputs, consumed lazily (at most ``2 * workers`` ahead of the output).
    workers : int
        Number of worker processes. With 1 and neither limit set, everything runs in
        this process; a limit needs a process that can be killed, so with either one
        set even a single worker is a separate process.
    on_crash : callable
        ``on_crash(item, error_type, message)`` builds the result for an input that
        could not finish: ``error_type`` is ``"worker_crashed"``, ``"timeout"`` or
        ``"too_large"`` and ``message`` says what happened in plain words.
    timeout_s : float, optional
        Wall-clock seconds one input may take in its worker before the worker is
        killed and the input reported as ``timeout``.
    memory_limit_bytes : int, optional
        Address space each worker may use (see the module notes for what is
        realistic); an input that needs more is reported as ``too_large``.
    recycle_above_bytes : int, optional
        A worker whose resident memory is above this after an input is replaced by a
        fresh one (memory an allocator keeps after a large image goes back to the
        system instead of piling up over a long batch). Linux only.
    """
    if timeout_s is not None and timeout_s <= 0:
        raise ValueError(f"timeout_s must be positive, got {timeout_s}")
    if memory_limit_bytes is not None and memory_limit_bytes <= 0:
        raise ValueError(f"memory_limit_bytes must be positive, got {memory_limit_bytes}")
    if workers <= 1 and timeout_s is None and memory_limit_bytes is None:
        return _in_process(func, items, on_crash)
    pool = _Pool(func, max(1, workers), timeout_s, memory_limit_bytes, recycle_above_bytes)
    return pool.map(items, on_crash)


def _in_process(
    func: Callable[[T], R], items: Iterable[T], on_crash: Callable[[T, str, str], R]
) -> Iterator[R]:
    for item in items:
        try:
            result = func(item)
        except MemoryError:
            result = on_crash(item, TOO_LARGE, _out_of_memory(None))
        yield result


def _resident_bytes(pid: int | None) -> int:
    """Resident memory of a process (0 where /proc cannot tell)."""
    try:
        with open(f"/proc/{pid}/statm", encoding="ascii") as statm:
            return int(statm.read().split()[1]) * _PAGE_SIZE
    except (OSError, ValueError, IndexError):
        return 0


def _out_of_memory(limit: int | None) -> str:
    if limit is None:
        return "ran out of memory on this input"
    return (
        f"ran out of memory on this input (each worker may use {limit / 2**20:.0f} MiB "
        "of address space)"
    )


class _Worker:
    """One worker process and the parent's end of its pipe; one task at a time."""

    def __init__(self, context: Any, func: Callable[[Any], Any], memory_limit: int | None) -> None:
        parent_end, child_end = context.Pipe()
        process: BaseProcess = context.Process(
            target=_serve, args=(child_end, func, memory_limit), daemon=True
        )
        process.start()
        child_end.close()  # so that the parent sees EOF when the worker dies
        self.process = process
        self.conn: Connection = parent_end
        self.task: tuple[int, Any] | None = None
        self.started = 0.0

    def assign(self, task: tuple[int, Any]) -> bool:
        """Send a task; False when the worker is already gone."""
        try:
            self.conn.send(task)
        except (OSError, EOFError):
            return False
        self.task, self.started = task, time.monotonic()
        return True

    def stop(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join()
        self.conn.close()

    def death(self) -> str:
        """How the worker died, in words (after it has)."""
        self.process.join()
        code = self.process.exitcode
        if code is not None and code < 0:
            try:
                how = f"killed by signal {signal.Signals(-code).name}"
            except ValueError:
                how = f"killed by signal {-code}"
        else:
            how = f"exit code {code}"
        return f"the worker process crashed on this input ({how})"


def _context() -> Any:
    """Forked workers start at once and share what is already imported; fork is unsafe
    on macOS and absent on Windows, where workers are spawned."""
    return multiprocessing.get_context("fork" if sys.platform.startswith("linux") else "spawn")


class WorkerProcess(_Worker):
    """One long-lived worker process for callers that hand out the work themselves (the
    HTTP service keeps a few and gives each request one of them).

    :meth:`call` runs ``func(item)`` in the process and says how that ended; after any
    ending but ``"done"`` the process is gone (stopped) and a new one must replace it.
    ``start_method`` overrides how it starts (``"forkserver"`` from a process whose
    address space is already large or that runs threads, such as a Ray actor: the
    memory limit counts the parent's mappings in a forked worker).
    """

    def __init__(
        self,
        func: Callable[[Any], Any],
        *,
        memory_limit_bytes: int | None = None,
        start_method: str | None = None,
    ):
        context = _context() if start_method is None else multiprocessing.get_context(start_method)
        super().__init__(context, func, memory_limit_bytes)
        self.memory_limit = memory_limit_bytes

    @property
    def alive(self) -> bool:
        return self.process.is_alive()

    @property
    def resident_bytes(self) -> int:
        """The process's resident memory (0 where /proc cannot tell)."""
        return _resident_bytes(self.process.pid)

    def call(self, item: Any, *, timeout_s: float | None = None) -> tuple[str, Any]:
        """``("done", func(item))``, or ``(error_type, message)`` with ``error_type``
        ``"worker_crashed"``, ``"timeout"`` or ``"too_large"`` (as ``parallel_map``'s
        ``on_crash`` gets them). An exception ``func`` raised is raised here."""
        if not self.assign((0, item)):
            self.stop()
            return WORKER_CRASHED, "the worker process could not take the input"
        ready = wait([self.conn, self.process.sentinel], timeout_s)
        if ready and self.conn.poll():  # a reply, or EOF because the worker died
            try:
                kind, _, payload = self.conn.recv()
            except (EOFError, OSError):
                message = self.death()
                self.stop()
                return WORKER_CRASHED, message
            self.task = None
            if kind == "done":
                return "done", payload
            if kind == "raised":
                raise payload  # the worker lives on
            self.stop()
            return TOO_LARGE, _out_of_memory(self.memory_limit)
        if ready:  # the process ended (its pipe may close a moment after it)
            message = self.death()
            self.stop()
            return WORKER_CRASHED, message
        self.stop()
        return TIMEOUT, (
            f"processing took longer than the time limit of {timeout_s:g} s; "
            "the worker process was stopped"
        )


class _Pool:
    def __init__(
        self,
        func: Callable[[Any], Any],
        workers: int,
        timeout_s: float | None,
        memory_limit: int | None,
        recycle_above: int | None = None,
    ) -> None:
        self.func = func
        self.timeout_s = timeout_s
        self.memory_limit = memory_limit
        self.recycle_above = recycle_above
        self.slots: list[_Worker | None] = [None] * workers
        self.context: Any = _context()

    def map(self, items: Iterable[T], on_crash: Callable[[T, str, str], R]) -> Iterator[R]:
        todo = enumerate(items)
        retry: collections.deque[tuple[int, T]] = collections.deque()
        done: dict[int, R] = {}
        window = 2 * len(self.slots)
        next_out = taken = 0
        exhausted = False
        start_failures = 0
        try:
            while True:
                while next_out in done:
                    yield done.pop(next_out)
                    next_out += 1
                # Hand out work to idle workers, starting or replacing them as needed.
                for slot, worker in enumerate(self.slots):
                    if worker is not None and worker.task is not None:
                        continue
                    task: tuple[int, T] | None = retry.popleft() if retry else None
                    if task is None and not exhausted and taken - next_out < window:
                        task = next(todo, None)
                        exhausted = task is None
                        taken += task is not None
                    if task is None:
                        continue
                    if worker is None or not worker.process.is_alive():
                        if worker is not None:
                            worker.stop()
                        worker = self.slots[slot] = _Worker(
                            self.context, self.func, self.memory_limit
                        )
                    if not worker.assign(task):  # died before it could take the task
                        worker.stop()
                        self.slots[slot] = None
                        retry.appendleft(task)
                        start_failures += 1
                        if start_failures > _MAX_START_FAILURES:
                            raise RuntimeError("worker processes die before taking any input")
                busy = [w for w in self.slots if w is not None and w.task is not None]
                if not busy:
                    if exhausted and not retry:
                        return
                    continue
                self._wait(busy)
                for worker in busy:
                    finished = self._collect(worker, on_crash)
                    if finished is not None:
                        index, result = finished
                        done[index] = result
                        start_failures = 0
        finally:
            self.close()

    def _wait(self, busy: list[_Worker]) -> None:
        timeout = None
        if self.timeout_s is not None:
            first_deadline = min(w.started for w in busy) + self.timeout_s
            timeout = max(0.0, first_deadline - time.monotonic())
        handles: list[Any] = [w.conn for w in busy] + [w.process.sentinel for w in busy]
        wait(handles, timeout)

    def _collect(
        self, worker: _Worker, on_crash: Callable[[T, str, str], R]
    ) -> tuple[int, R] | None:
        """The result of a worker's task if it has one (finished, crashed, timed out)."""
        assert worker.task is not None
        index, item = worker.task
        if worker.conn.poll():  # a reply, or EOF because the worker died
            try:
                kind, _, payload = worker.conn.recv()
            except (EOFError, OSError):
                return index, on_crash(item, WORKER_CRASHED, self._retire(worker, death=True))
            worker.task = None
            if kind == "done":
                if self.recycle_above and _resident_bytes(worker.process.pid) > self.recycle_above:
                    self._retire(worker)  # idle now: its successor starts small
                return index, payload
            if kind == "too_large":
                self._retire(worker)
                return index, on_crash(item, TOO_LARGE, _out_of_memory(self.memory_limit))
            raise payload
        if not worker.process.is_alive():
            return index, on_crash(item, WORKER_CRASHED, self._retire(worker, death=True))
        if self.timeout_s is not None and time.monotonic() - worker.started >= self.timeout_s:
            self._retire(worker)
            message = (
                f"processing took longer than the time limit of {self.timeout_s:g} s; "
                "the worker process was stopped"
            )
            return index, on_crash(item, TIMEOUT, message)
        return None

    def _retire(self, worker: _Worker, *, death: bool = False) -> str:
        message = worker.death() if death else ""
        worker.task = None
        worker.stop()
        self.slots[self.slots.index(worker)] = None
        return message

    def close(self) -> None:
        for slot, worker in enumerate(self.slots):
            if worker is not None:
                worker.stop()
                self.slots[slot] = None


def _serve(conn: Connection, func: Callable[[Any], Any], memory_limit: int | None) -> None:
    """A worker's life: take a task, send back its result, until told to stop."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    # A forked worker inherits the parent's handlers (a server's graceful-exit one
    # among them); a worker told to terminate just ends.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    threading.Thread(target=_exit_with_parent, args=(os.getppid(),), daemon=True).start()
    _single_threaded_openmp()
    if memory_limit is not None:
        _limit_address_space(memory_limit)
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):
            return  # the parent is gone
        index, item = task
        try:
            reply: tuple[str, int, Any] = ("done", index, func(item))
        except MemoryError:
            reply = ("too_large", index, None)
        except BaseException as exc:  # raised again in the parent
            reply = ("raised", index, _portable(exc))
        try:
            conn.send(reply)
        except MemoryError:
            reply = ("too_large", index, None)
            conn.send(reply)
        except (pickle.PicklingError, TypeError, AttributeError) as exc:
            conn.send(("raised", index, RuntimeError(f"the result cannot be sent back: {exc}")))
        if reply[0] == "too_large":
            return  # a fresh worker replaces this one
        _return_free_heap()


def _return_free_heap() -> None:
    """Hand the heap's free pages back to the system after each input (glibc).

    Memory that a large image's analysis freed stays in glibc's arenas otherwise, and a
    worker between inputs would count it as resident next to its neighbour's peak.
    """
    # Not glibc (no malloc_trim): that allocator does its own trimming.
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).malloc_trim(0)


def _single_threaded_openmp() -> None:
    """FAISS and PyTorch in a forked worker run on its one thread.

    A parent that has already searched with FAISS or run a PyTorch network (a
    checkpoint detector) holds an OpenMP thread pool, which a fork does not copy: the
    worker's first parallel region would wait forever for those threads (GNU OpenMP).
    Workers are the parallelism here, one input each, anyway.
    """
    faiss = sys.modules.get("faiss")
    if faiss is not None:
        faiss.omp_set_num_threads(1)
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.set_num_threads(1)


def _exit_with_parent(parent: int) -> None:
    """End this worker as soon as the process that started it is gone.

    A parent killed outright (SIGKILL, the OOM killer, a test's timeout) cannot stop its
    workers, and they do not notice by themselves: a busy one finishes its input first,
    and an idle one waits on a pipe that never reports end-of-file, because the forked
    sibling workers hold copies of the parent's ends. Orphans would keep their memory.
    """
    while os.getppid() == parent:
        time.sleep(_PARENT_POLL_S)
    os._exit(1)


def _portable(exc: BaseException) -> BaseException:
    """The exception, with the worker's traceback as a note, in a form that pickles."""
    text = "".join(traceback.format_exception(exc)).rstrip()
    try:
        exc.add_note(f"in the worker process:\n{text}")
        pickle.dumps(exc)
    except Exception:
        return RuntimeError(f"{type(exc).__name__} in a worker process: {exc}\n{text}")
    return exc


def _limit_address_space(limit: int) -> None:
    try:
        import resource
    except ImportError:  # pragma: no cover - not on POSIX
        return
    if not hasattr(resource, "RLIMIT_AS"):  # pragma: no cover
        return
    try:
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        soft = limit if hard == resource.RLIM_INFINITY else min(limit, hard)
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))
    except (ValueError, OSError):  # pragma: no cover - platforms that refuse it
        pass
