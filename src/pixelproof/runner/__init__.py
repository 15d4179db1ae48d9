"""The runner: one pipeline under every front-end.

::

    inputs ──> run(task, inputs, settings=..., workers=...) ──> Row per input ──> renderers
               expand · load safely · task in worker · errors      (JSON, text, HTML, HTTP)

:func:`run` expands the inputs, loads each file once within the
:class:`~pixelproof.settings.Settings` limits, runs the task (see
:mod:`pixelproof.tasks`) in worker processes and yields one :class:`Row` per input in
input order; every failure becomes an error row with an :class:`ErrorType`.
"""

from ._errors import ErrorType, classify
from ._files import side_file_path, write_side_file
from ._row import ErrorJsonRow, JsonRowBase, JsonRowHead, Result, Row, facts_of
from ._run import Task, process_one, run

__all__ = [
    "ErrorJsonRow",
    "ErrorType",
    "JsonRowBase",
    "JsonRowHead",
    "Result",
    "Row",
    "Task",
    "classify",
    "facts_of",
    "process_one",
    "run",
    "side_file_path",
    "write_side_file",
]
