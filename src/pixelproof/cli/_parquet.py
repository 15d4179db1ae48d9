"""``--out-parquet DIR``: every row of a command also written as Parquet shards.

Rows go to ``DIR/part-00000.parquet``, ``part-00001.parquet``, ... (:data:`ROWS_PER_FILE`
rows each; each file is written to a temporary name and renamed, so a file that exists
is complete). The columns are the same for every command:

``path`` (string)
    the input, as in the JSON row;
``id`` (string, null)
    the ``id`` the input had in a manifest, else null;
``error_type`` (string, null)
    null for a row with a result;
``row`` (string)
    the whole JSON row, exactly as ``--json`` prints it.

So the files load into any dataframe engine (Spark, DuckDB, pandas, Ray Data) for
joins on ``path`` or ``id``, and ``row`` keeps every command's own fields.
"""

from __future__ import annotations

import json
import os
from contextvars import ContextVar
from pathlib import Path
from typing import Any

ROWS_PER_FILE = 100_000


class ParquetShards:
    """A writer of row shards into ``folder`` (created; pyarrow needed)."""

    def __init__(self, folder: Path) -> None:
        import pyarrow  # noqa: F401  (fail before any work when it is missing)

        folder.mkdir(parents=True, exist_ok=True)
        self.folder = folder
        self.ids: dict[str, str] = {}
        self._pending: list[dict[str, Any]] = []
        self._written = 0

    def add(self, row: dict[str, Any]) -> None:
        self._pending.append(row)
        if len(self._pending) >= ROWS_PER_FILE:
            self.flush()

    def flush(self) -> None:
        if not self._pending:
            return
        import pyarrow as pa
        import pyarrow.parquet as pq

        rows, self._pending = self._pending, []
        table = pa.table(
            {
                "path": pa.array([r["path"] for r in rows], pa.string()),
                "id": pa.array([self.ids.get(r["path"]) for r in rows], pa.string()),
                "error_type": pa.array([r.get("error_type") for r in rows], pa.string()),
                "row": pa.array(
                    [json.dumps(r, ensure_ascii=False, allow_nan=False) for r in rows],
                    pa.string(),
                ),
            }
        )
        target = self.folder / f"part-{self._written:05d}.parquet"
        temp = self.folder / f".part-{self._written:05d}.parquet.tmp"
        pq.write_table(table, temp)
        os.replace(temp, target)
        self._written += 1


CURRENT: ContextVar[ParquetShards | None] = ContextVar("parquet_output", default=None)
"""The Parquet output of the command running now (set by ``reads_images``)."""
