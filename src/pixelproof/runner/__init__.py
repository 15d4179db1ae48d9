"""The runner: one pipeline under every front-end.

::

    inputs ──> run(task, inputs, settings=..., workers=...) ──> Row per input ──> renderers
               expand · load safely · task in worker · errors      (JSON, text, HTML, HTTP)

:func:`run` expands the inputs, loads each file once within the
:class:`~pixelproof.settings.Settings` limits, runs the task (see
:mod:`pixelproof.tasks`) in worker processes and yields one :class:`Row` per input in
input order; every failure becomes an error row with an :class:`ErrorType`. Where the
workers run is an :class:`Executor`: local processes (the default) or a Ray cluster
(``Settings(engine="ray")``), with the same rows.
"""

from ._errors import ErrorType, classify
from ._executor import Executor, LocalExecutor, executor_for
from ._files import side_file_path, write_side_file
from ._row import ErrorJsonRow, JsonRowBase, JsonRowHead, Result, Row, facts_of
from ._run import Task, process_one, run
from ._shards import DEFAULT_SHARD_SIZE, Shard, job_folder, plan_shards

__all__ = [
    "DEFAULT_SHARD_SIZE",
    "ErrorJsonRow",
    "ErrorType",
    "Executor",
    "JsonRowBase",
    "JsonRowHead",
    "LocalExecutor",
    "Result",
    "Row",
    "Shard",
    "Task",
    "classify",
    "executor_for",
    "facts_of",
    "job_folder",
    "plan_shards",
    "process_one",
    "run",
    "side_file_path",
    "write_side_file",
]
