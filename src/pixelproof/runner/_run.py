"""The runner: inputs -> safe loading -> one task per image -> typed rows, in input order.

Every command is a :class:`Task` run by :func:`run`. The runner expands the inputs,
loads each file once with the loader's limits, hands the decoded image to the task in
a worker process, and turns every failure (a missing file, a corrupt image, a crashed
worker, a bug in an analysis) into an error row of the one vocabulary
(:class:`~pixelproof.runner.ErrorType`), so that one bad input never stops a batch.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, ClassVar, Protocol, TypeVar

from ..inputs import ExpandedInputs, expand_inputs
from ..io import (
    CorruptImageError,
    LoadedImage,
    MissingDecoderError,
    TooManyPixelsError,
    load_image,
)
from ..settings import Settings
from ._errors import ErrorType, classify
from ._executor import Executor, executor_for
from ._row import Result, Row

R_co = TypeVar("R_co", bound=Result, covariant=True)

# Files that are images whose pixels cannot be decoded: their metadata can still be read.
_UNDECODABLE = (CorruptImageError, TooManyPixelsError, MissingDecoderError)


class Task(Protocol[R_co]):
    """One command's work on one image, run in a worker process (must be picklable).

    ``process`` may raise: the runner turns the exception into an error row. Tasks
    that need the whole batch (index writes, de-duplication) consume the rows of
    :func:`run` on the driver afterwards.
    """

    command: ClassVar[str]

    def process(self, image: LoadedImage, path: str, settings: Settings) -> R_co: ...


def run(
    task: Task[Any],
    inputs: Iterable[str] | ExpandedInputs,
    *,
    settings: Settings | None = None,
    workers: int = 1,
    executor: Executor | None = None,
) -> Iterator[Row[Any]]:
    """Run ``task`` on every input; yield one :class:`Row` per input, in input order.

    Parameters
    ----------
    task : Task
        What to do with each decoded image.
    inputs : iterable of str or ExpandedInputs
        Files, folders (searched recursively) and glob patterns, or inputs expanded
        already. Patterns that match nothing become ``not_found`` rows, after the rest.
    settings : Settings, optional
        Limits and configuration.
    workers : int
        Worker processes (Ray actors with engine ``"ray"``); 1 runs in this process.
    executor : Executor, optional
        Where to run (one a caller shares between several runs); by default the one
        ``settings.engine`` names, closed at the end.
    """
    settings = settings or Settings()
    expanded = inputs if isinstance(inputs, ExpandedInputs) else expand_inputs(inputs)
    own = executor is None
    runner = executor_for(settings, workers) if executor is None else executor
    try:
        yield from runner.rows(task, expanded.files, settings)
    finally:
        if own:
            runner.close()
    for pattern in expanded.missing:
        yield Row.failed(pattern, ErrorType.NOT_FOUND, "the pattern matched no file")


def process_one(job: tuple[Task[Any], str, Settings]) -> Row[Any]:
    """Load one input and run the task on it; never raises.

    A task with a ``process_undecodable(path, error, settings)`` method (metadata
    readers) is also given the files whose pixels cannot be decoded; one with a
    ``decode_pixels(settings)`` method may ask for JPEGs decoded at reduced size
    (``load_image``'s ``reduce_to``).
    """
    task, path, settings = job
    try:
        decode_pixels = getattr(task, "decode_pixels", None)
        reduce_to = None if decode_pixels is None else decode_pixels(settings)
        try:
            image = load_image(path, limits=settings.limits, reduce_to=reduce_to)
        except _UNDECODABLE as exc:
            fallback = getattr(task, "process_undecodable", None)
            if fallback is None:
                raise
            return Row(path=path, result=fallback(path, exc, settings))
        return Row.of(image, path, task.process(image, path, settings))
    except Exception as exc:  # any failure of one input is its row, not the batch's end
        return Row.failed(path, *classify(exc))
