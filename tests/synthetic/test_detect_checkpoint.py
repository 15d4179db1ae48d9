"""``detect --checkpoint`` and ``bench detect --checkpoint``: which pixel detector runs."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

torch = pytest.importorskip("torch", reason="needs the checkpoints extra")

from pixelproof.bench import load_suite  # noqa: E402
from pixelproof.bench.runner import run_detect_bench, synthetic_detectors  # noqa: E402
from pixelproof.settings import Settings  # noqa: E402
from pixelproof.synthetic import model_from  # noqa: E402
from pixelproof.synthetic._pixels import degraded_copies  # noqa: E402
from pixelproof.synthetic.checkpoints import load_checkpoint  # noqa: E402
from pixelproof.synthetic.checkpoints._resnet import NPRNet  # noqa: E402

from .test_checkpoints import randomised  # noqa: E402
from .test_detect_cli import rows_of, run  # noqa: E402
from .test_features import natural  # noqa: E402


@pytest.fixture(scope="module")
def npr_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("weights") / "NPR.pth"
    state = randomised(NPRNet(), seed=3).state_dict()
    torch.save({"model": {f"module.{k}": v for k, v in state.items()}}, path)
    return path


@pytest.fixture(scope="module")
def photo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("in") / "photo.png"
    Image.fromarray(natural(96, 128, 5)).save(path)
    return path


def test_detect_runs_the_named_checkpoint_and_says_so(npr_file: Path, photo: Path) -> None:
    spec = f"npr:{npr_file}"
    result = run("detect", str(photo), "--checkpoint", spec, "--json", "--pixels-only")
    assert result.exit_code == 0, result.output
    (row,) = rows_of(result.stdout)
    assert row["model"] == spec
    # the pixels' log-odds is the mean of the network's logits on the three copies
    network = load_checkpoint("npr", npr_file)
    rgb = np.asarray(Image.open(photo).convert("RGB"))
    logits = [network.logit(copy) for copy in degraded_copies(rgb).values()]
    assert math.isclose(row["evidence"][0]["log_odds"], float(np.mean(logits)), abs_tol=1e-4)
    assert "not calibrated" in row["evidence"][0]["explanation"]
    assert row["label"] != "synthetic"  # an uncalibrated network alone never accuses


def test_the_shipped_and_a_trained_model_are_named_in_the_row(photo: Path) -> None:
    result = run("detect", str(photo), "--json", "--pixels-only")
    assert rows_of(result.stdout)[0]["model"] == "shipped"


@pytest.mark.parametrize(
    ("spec", "message"),
    [("npr:/no/such/NPR.pth", "cannot read the checkpoint"), ("/no/such/folder", "missing")],
)
def test_a_bad_checkpoint_is_a_usage_error(photo: Path, spec: str, message: str) -> None:
    result = run("detect", str(photo), "--checkpoint", spec)
    assert result.exit_code == 2
    assert message in result.output


IDENTITY_SUITE = """
name = "identity"
description = "the images as they are"

[[transform]]
name = "none"
family = "none"
spec = "identity"
"""


def test_bench_detect_measures_the_named_checkpoint(npr_file: Path, tmp_path: Path) -> None:
    suite = tmp_path / "identity.toml"
    suite.write_text(IDENTITY_SUITE)
    for name, seed in (("real", 1), ("synthetic", 2)):
        folder = tmp_path / "data" / name
        folder.mkdir(parents=True)
        for i in range(2):
            Image.fromarray(natural(64, 64, 10 * seed + i)).save(folder / f"{i}.png")
    spec = f"npr:{npr_file}"
    detectors = synthetic_detectors(Settings(synthetic_model=spec))
    assert [type(model_from(d.settings.synthetic_model)).__name__ for d in detectors] == [
        "CheckpointModel"
    ]
    result = run_detect_bench(
        tmp_path / "data", suite=load_suite(suite), suite_ref="identity", analyzers=detectors
    )
    assert {r["model"] for r in result.rows} == {spec}
    assert all(r["score"] is not None for r in result.rows)


def test_bench_detect_refuses_a_bad_checkpoint_before_reading_images(tmp_path: Path) -> None:
    result = run(
        "bench", "detect", "--data", str(tmp_path), "--out", str(tmp_path / "o"),
        "--checkpoint", "npr:/no/such/NPR.pth",
    )  # fmt: skip
    assert result.exit_code == 2
    assert "cannot read the checkpoint" in result.output
