"""``--engine ray`` gives the rows of the default engine, and survives killed workers.

One local Ray (two CPUs) serves the whole module. The photos are shared Kodak photos
when ``../shared/data`` is there, procedural scenes otherwise, each with edited copies
(a crop re-encoded as JPEG, a mirror image, an exact copy).
"""

from __future__ import annotations

import os
import signal
import sqlite3
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pytest
from PIL import Image, ImageOps

from pixelproof.io import LoadedImage
from pixelproof.match import ProvenanceIndex
from pixelproof.runner import Row, run
from pixelproof.settings import Settings
from pixelproof.tasks.match import FeaturesTask, add_paths, dedup_paths, search_rows
from pixelproof.tasks.scan import ScanTask

from ..conftest import REPO_ROOT, SHARED_DATA
from .conftest import scene

ray = pytest.importorskip("ray", reason="needs the distributed extra")

from pixelproof.runner._ray import shutdown_ray  # noqa: E402

psutil = pytest.importorskip("psutil")

LOCAL = Settings()
RAY = Settings(engine="ray")


@pytest.fixture(scope="module", autouse=True)
def local_ray() -> Iterator[None]:
    """One Ray for the module; its workers import this checkout and these tests."""
    path = os.pathsep.join([str(REPO_ROOT / "src"), str(REPO_ROOT)])
    ray.init(
        num_cpus=2,
        include_dashboard=False,
        log_to_driver=False,
        runtime_env={"env_vars": {"PYTHONPATH": path, "OMP_NUM_THREADS": "1"}},
    )
    try:
        yield
    finally:
        shutdown_ray()


@pytest.fixture(scope="module")
def photos(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """Five photos, two crops, two mirror images and an exact copy (10 files)."""
    folder = tmp_path_factory.mktemp("photos")
    kodak = sorted((SHARED_DATA / "photos" / "kodak24").glob("*.png"))[:5]
    for i in range(5):
        if len(kodak) == 5:
            image = Image.open(kodak[i]).convert("RGB")
        else:
            image = Image.fromarray(scene(700 + i))
        image.thumbnail((320, 320))
        image.save(folder / f"p{i}.png")
        width, height = image.size
        if i < 2:
            crop = (width // 8, height // 8, width - width // 8, height - height // 8)
            image.crop(crop).save(folder / f"p{i}-crop.jpg", quality=80)
        elif i < 4:
            ImageOps.mirror(image).save(folder / f"p{i}-flip.jpg", quality=85)
    (folder / "p4-copy.png").write_bytes((folder / "p4.png").read_bytes())
    return sorted(str(p) for p in folder.iterdir())


def _dicts(rows: list[Row[Any]]) -> list[dict[str, Any]]:
    return [row.to_dict() for row in rows]


def _close(a: Any, b: Any, path: str = "") -> None:
    """Equal JSON values, floats within 1e-6."""
    if isinstance(a, float) or isinstance(b, float):
        assert a == pytest.approx(b, abs=1e-6), path
    elif isinstance(a, dict):
        assert a.keys() == b.keys(), path
        for key in a:
            _close(a[key], b[key], f"{path}.{key}")
    elif isinstance(a, list):
        assert len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _close(x, y, f"{path}[{i}]")
    else:
        assert a == b, path


def test_index_add_and_match_give_the_default_engines_rows(
    photos: list[str], tmp_path: Path
) -> None:
    references = [p for p in photos if "-" not in Path(p).name]
    queries = [p for p in photos if "-" in Path(p).name]
    found = {}
    for name, settings in (("local", LOCAL), ("ray", RAY)):
        with ProvenanceIndex(tmp_path / f"{name}.db", create=True) as index:
            added = list(add_paths(index, references, settings=settings, workers=2, shard_size=2))
            task = FeaturesTask(index.feature_options(query=True, reference=False, parts=True))
            features = run(task, queries, settings=settings, workers=2)
            found[name] = (added, list(search_rows(index, features, k=3, verify_top=12)))
        assert not (tmp_path / f"{name}.db-jobs").exists()  # finished jobs leave no shards
    local_added, local_matches = found["local"]
    ray_added, ray_matches = found["ray"]
    assert [r["status"] for r in _dicts(local_added)] == ["added"] * 5
    assert _dicts(ray_added) == _dicts(local_added)
    _close(_dicts(ray_matches), _dicts(local_matches))
    # Every edited copy found its original, above the calibrated threshold.
    for row in _dicts(ray_matches):
        original = Path(row["path"]).name.split("-")[0] + ".png"
        assert Path(row["matches"][0]["ref"]).name == original
        assert row["matches"][0]["score"] > 0.5


def test_dedup_gives_the_default_engines_groups(photos: list[str]) -> None:
    local = dedup_paths(photos, settings=LOCAL)
    distributed = dedup_paths(photos, settings=RAY, workers=2)
    _close([r.to_dict() for r in distributed.rows], [r.to_dict() for r in local.rows])
    groups = sorted(sorted(Path(m.path).name for m in g) for g in local.groups().values())
    assert groups == [
        ["p0-crop.jpg", "p0.png"],
        ["p1-crop.jpg", "p1.png"],
        ["p2-flip.jpg", "p2.png"],
        ["p3-flip.jpg", "p3.png"],
        ["p4-copy.png", "p4.png"],
    ]


def test_scan_gives_the_default_engines_rows(photos: list[str]) -> None:
    task = ScanTask(only=("metadata", "ela", "noise"))
    inputs = [*photos[:4], "/no/such/file.png"]
    local = _dicts(list(run(task, inputs, settings=LOCAL)))
    distributed = _dicts(list(run(task, inputs, settings=RAY, workers=2)))
    for row in [*local, *distributed]:
        for evidence in row.get("evidence", []):
            evidence.pop("elapsed_ms")
    assert distributed == local
    assert local[-1]["error_type"] == "not_found" and len(local[0]["evidence"]) == 3


def _busy_actor_pids() -> set[int]:
    """Ray Data's actors (their process title names the class) at work on an image:
    with a worker process of their own."""
    found = set()
    for process in psutil.process_iter(["cmdline"]):
        try:
            if "ShardWorker" in " ".join(process.info["cmdline"] or ()) and process.children():
                found.add(process.pid)
        except psutil.Error:
            continue
    return found


def _indexed(db: Path) -> list[str]:
    conn = sqlite3.connect(db)
    try:
        return [row[0] for row in conn.execute("SELECT path FROM images")]
    finally:
        conn.close()


@dataclass(frozen=True)
class SlowFeatures(FeaturesTask):
    """Features, taking at least half a second per image: a worker killed mid-run is busy."""

    def process(self, image: LoadedImage, path: str, settings: Settings) -> Any:
        time.sleep(0.5)
        return super().process(image, path, settings)


def test_a_killed_worker_has_its_shard_retried(photos: list[str], tmp_path: Path) -> None:
    photos = photos[4:]  # p2-flip ... p4.png: the exact copy's original comes last
    db = tmp_path / "kill.db"
    index = ProvenanceIndex(db, create=True)
    task = SlowFeatures(index.feature_options(query=False))
    killed: list[int] = []

    def kill_an_actor() -> None:
        deadline = time.monotonic() + 60
        while not killed and time.monotonic() < deadline:
            pids = _busy_actor_pids()
            if pids:
                time.sleep(0.3)  # inside its first shard
                pid = min(pids)
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)
            time.sleep(0.1)

    from pixelproof.runner import executor_for, job_folder, plan_shards
    from pixelproof.tasks.match import index_rows

    shards = plan_shards(photos, job_folder(tmp_path, photos, "kill"), size=2)
    executor = executor_for(RAY, workers=2)
    killer = threading.Thread(target=kill_an_actor)
    killer.start()
    try:
        rows = [
            row
            for shard in executor.shards(task, shards, RAY)
            for row in index_rows(index, shard.rows())
        ]
    finally:
        killer.join()
        index.close()
    assert killed, "no Ray actor was found to kill"
    assert not psutil.pid_exists(killed[0]) or psutil.Process(killed[0]).status() == "zombie"
    statuses = [row.result.status for row in rows]
    assert [row.path for row in rows] == photos
    assert statuses == ["added"] * (len(photos) - 1) + ["present"]  # p4.png = p4-copy.png
    indexed = _indexed(db)
    assert sorted(indexed) == photos[:-1]  # each image once


@dataclass(frozen=True)
class PoisonedDecoder:
    """Kills the process it runs in on any file named ``poison*``, every time (as a
    decoder crashing in C would), and reads the size of the others."""

    command: ClassVar[str] = "poison"

    def process(self, image: LoadedImage, path: str, settings: Settings) -> Any:
        if Path(path).name.startswith("poison"):
            os.kill(os.getpid(), signal.SIGKILL)
        return SizeOnly(image.width)


@dataclass(frozen=True)
class SizeOnly:
    width: int

    def to_dict(self) -> dict[str, Any]:
        return {"width": self.width}


def test_a_poisoned_image_is_one_error_row(photos: list[str], tmp_path: Path) -> None:
    poison = tmp_path / "poison.png"
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(poison)
    inputs = [photos[0], str(poison), photos[1], str(tmp_path / "none.png"), photos[2]]
    rows = list(run(PoisonedDecoder(), inputs, settings=RAY, workers=2))
    assert [row.path for row in rows] == inputs
    assert [row.error_type for row in rows] == [None, "worker_crashed", None, "not_found", None]
    assert "killed by signal SIGKILL" in (rows[1].error or "")
    assert all(row.result is not None for row in (rows[0], rows[2], rows[4]))
    # The same rows as worker processes on this machine give.
    local = list(run(PoisonedDecoder(), inputs, settings=LOCAL, workers=2))
    assert _dicts(rows) == _dicts(local)


def test_a_killed_index_add_resumes_from_its_finished_shards(
    photos: list[str], tmp_path: Path
) -> None:
    db = tmp_path / "resume.db"
    with ProvenanceIndex(db, create=True) as index:
        first = add_paths(index, photos, settings=RAY, workers=2, shard_size=2)
        head = [next(first), next(first)]  # shard 0 is in the index: stop the job here
        first.close()
    jobs = tmp_path / "resume.db-jobs"
    (folder,) = jobs.iterdir()
    assert (folder / "shard-000000.rows").exists()  # what the first run finished stays
    with ProvenanceIndex(db, create=True) as index:
        rows = list(add_paths(index, photos, settings=RAY, workers=2, shard_size=2))
    assert [r.result.status for r in head] == ["added", "added"]
    statuses = [r.result.status for r in rows]
    assert statuses[:2] == ["present", "present"] and statuses[2:].count("added") == 7
    assert sorted(_indexed(db)) == [p for p in photos if not p.endswith("p4.png")]
    assert not jobs.exists()
