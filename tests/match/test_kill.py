"""Killing ``pixelproof index add`` (SIGKILL) loses nothing committed, and a rerun resumes."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pixelproof.match import ProvenanceIndex

from .conftest import save, scene

N_IMAGES = 24


def _committed(db: Path) -> set[str]:
    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
        try:
            return {row[0] for row in conn.execute("SELECT sha256 FROM images")}
        finally:
            conn.close()
    except sqlite3.Error:
        return set()


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")
def test_sigkill_during_index_add_loses_nothing_committed(tmp_path: Path) -> None:
    folder = tmp_path / "photos"
    folder.mkdir()
    for i in range(N_IMAGES):
        save(scene(500 + i, 240, 320), folder / f"p{i:02d}.png")
    db = tmp_path / "index.db"
    command = [
        sys.executable,
        "-m",
        "pixelproof",
        "index",
        "add",
        "--db",
        str(db),
        str(folder),
        "--batch-size",
        "2",
        "--json",
    ]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    seen: set[str] = set()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        seen = _committed(db)
        if len(seen) >= 4:
            break
        time.sleep(0.05)
    assert process.poll() is None, "index add finished before it could be killed"
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    assert process.returncode == -signal.SIGKILL
    # Everything observed as committed before the kill is still there.
    with ProvenanceIndex(db, readonly=True) as index:
        after_kill = {record.sha256 for record in index.records()}
        assert seen <= after_kill
        assert 4 <= len(after_kill) < N_IMAGES
        assert index.ann.ntotal == len(after_kill)  # the vectors came back from SQLite
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()
    # Rerunning resumes: the rest is added, nothing twice.
    rerun = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr[-500:]
    statuses = [line for line in rerun.stdout.splitlines() if line.strip()]
    assert sum('"present"' in s for s in statuses) == len(after_kill)
    assert sum('"added"' in s for s in statuses) == N_IMAGES - len(after_kill)
    with ProvenanceIndex(db, readonly=True) as index:
        assert len(index) == N_IMAGES
        assert index.ann.ntotal == N_IMAGES
