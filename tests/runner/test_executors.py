"""Executors: the engine setting, local shards that resume, and Ray only when asked."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pixelproof.cli import app
from pixelproof.runner import LocalExecutor, job_folder, plan_shards
from pixelproof.settings import Settings
from pixelproof.tasks.meta import MetaTask

from .._images import encode, noise


def test_pixelproof_and_its_cli_never_import_ray() -> None:
    code = "import sys, pixelproof.cli, pixelproof.tasks.match; print('ray' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_the_engine_is_a_setting(tmp_path: Path) -> None:
    config = tmp_path / "p.toml"
    config.write_text('engine = "ray"\nray_address = "ray://head:10001"\n')
    settings = Settings.from_file(config)
    assert (settings.engine, settings.ray_address) == ("ray", "ray://head:10001")
    with pytest.raises(ValueError, match="engine"):
        Settings(engine="spark")


def test_ray_address_without_the_ray_engine_is_a_usage_error(tmp_path: Path) -> None:
    image = tmp_path / "a.png"
    image.write_bytes(encode(noise(8, 8), "PNG"))
    result = CliRunner().invoke(app, ["meta", str(image), "--ray-address", "auto"])
    assert result.exit_code == 2 and "--engine ray" in result.output


def test_local_shards_are_written_once_and_resume(tmp_path: Path) -> None:
    files = []
    for i in range(5):
        files.append(str(tmp_path / f"i{i}.png"))
        Path(files[-1]).write_bytes(encode(noise(8, 8, seed=i), "PNG"))
    folder = job_folder(tmp_path / "jobs", files, "meta")
    assert folder == job_folder(tmp_path / "jobs", files, "meta")
    assert folder != job_folder(tmp_path / "jobs", files[:-1], "meta")
    shards = plan_shards(files, folder, size=2)
    assert [len(s.paths) for s in shards] == [2, 2, 1]
    executor = LocalExecutor()
    done = list(executor.shards(MetaTask(), shards, Settings()))
    assert [[row.path for row in s.rows()] for s in done] == [[*s.paths] for s in shards]
    stamp = Path(shards[1].file).stat().st_mtime_ns
    Path(shards[2].file).unlink()  # as if the job had been killed before the last shard
    again = list(executor.shards(MetaTask(), shards, Settings()))
    assert Path(shards[1].file).stat().st_mtime_ns == stamp  # not computed again
    assert [row.ok for row in again[2].rows()] == [True]
