"""Forensic analyses, fusion, the forgery generator and ``pixelproof forensics``.

Every image here is generated procedurally (textured "photos" made of blurred noise
at several scales plus shapes), so the tests need no shared data.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from numpy.typing import NDArray
from PIL import Image
from typer.testing import CliRunner

cv2 = pytest.importorskip("cv2")

from pixelproof.bench import best_threshold_f1, pixel_auc  # noqa: E402
from pixelproof.cli import app  # noqa: E402
from pixelproof.evidence import Label  # noqa: E402
from pixelproof.forensics import (  # noqa: E402
    ForensicResult,
    ForgeryCase,
    analyze,
    available_analyses,
    evaluate_forensics,
    get_analysis,
    load_cases,
    make_forgeries,
)
from pixelproof.forensics._context import ImageContext  # noqa: E402
from pixelproof.io import load_image  # noqa: E402


def photo(height: int = 256, width: int = 384, seed: int = 0) -> NDArray[np.uint8]:
    """A photo-like RGB image: multi-scale texture, smooth shading, a few shapes."""
    rng = np.random.default_rng(seed)
    out = np.zeros((height, width, 3), dtype=np.float32)
    for sigma, amplitude in ((24.0, 60.0), (6.0, 30.0), (1.5, 18.0)):
        field = rng.normal(size=(height, width, 3)).astype(np.float32)
        field = cv2.GaussianBlur(field, (0, 0), sigma)
        field /= field.std() + 1e-6
        out += amplitude * field
    y, x = np.mgrid[0:height, 0:width]
    out += (60.0 * np.sin(x / width * 2.5) + 40.0 * np.cos(y / height * 3.0))[..., None]
    for _ in range(6):
        cy, cx = rng.integers(0, height), rng.integers(0, width)
        radius = int(rng.integers(8, 30))
        colour = rng.uniform(-60, 60, size=3)
        disk = (y - cy) ** 2 + (x - cx) ** 2 <= radius**2
        out[disk] += colour
    out += 128.0 + rng.normal(scale=2.0, size=out.shape)
    return np.clip(out, 0, 255).astype(np.uint8)


def jpeg(pixels: NDArray[np.uint8], quality: int) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="JPEG", quality=quality)
    return buffer.getvalue()


def decode(data: bytes) -> NDArray[np.uint8]:
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))


def context_of(data: bytes) -> ImageContext:
    return ImageContext.from_loaded(load_image(data))


@pytest.fixture(scope="module")
def authentic_jpeg() -> bytes:
    return jpeg(photo(seed=1), 85)


def test_every_analysis_returns_maps_and_scores_in_range(authentic_jpeg: bytes) -> None:
    context = context_of(authentic_jpeg)
    for name in available_analyses():
        result = get_analysis(name)(context)
        assert isinstance(result, ForensicResult)
        assert result.name == name
        assert result.image_size == (384, 256)
        assert result.heatmap.dtype == np.float32 and result.heatmap.ndim == 2
        assert 0.0 <= float(result.heatmap.min()) <= float(result.heatmap.max()) <= 1.0
        assert 0.0 <= result.score <= 1.0
        assert result.explanation
        full = result.full_heatmap()
        assert full.shape == (256, 384)
        assert float(full.min()) >= 0.0 and float(full.max()) <= 1.0
        json.dumps(result.details)  # JSON-serialisable


def test_analyses_accept_arrays_without_jpeg_data() -> None:
    report = analyze(photo(seed=2))
    assert not report.results["dq"].informative  # no DCT without the file
    assert report.fused.full_heatmap().shape == (256, 384)


def test_copy_move_on_a_textured_image_is_found() -> None:
    pixels = photo(seed=3)
    mask = np.zeros(pixels.shape[:2], dtype=bool)
    source = (slice(40, 110), slice(50, 130))
    target = (slice(150, 220), slice(250, 330))
    forged = pixels.copy()
    forged[target] = pixels[source]
    mask[source] = True
    mask[target] = True
    result = get_analysis("copymove")(context_of(jpeg(forged, 90)))
    assert result.score >= 0.5
    assert best_threshold_f1(mask, result.full_heatmap()).f1 > 0.7
    (region,) = result.details["regions"]
    assert sorted([region["source_box"][0], region["target_box"][0]]) == pytest.approx(
        [50, 250], abs=8
    )


def blobs(seed: int, height: int = 320, width: int = 480) -> NDArray[np.uint8]:
    """A textured photo strewn with small ellipses: keypoints that survive rescaling."""
    rng = np.random.default_rng(seed)
    out = photo(height, width, seed=seed).astype(np.float32) * 0.5 + 60.0
    for _ in range(120):
        colour = tuple(int(v) for v in rng.integers(0, 255, 3))
        centre = (int(rng.integers(0, width)), int(rng.integers(0, height)))
        axes = (int(rng.integers(3, 14)), int(rng.integers(3, 14)))
        cv2.ellipse(out, centre, axes, float(rng.uniform(0, 180)), 0, 360, colour, -1)
    return np.clip(out, 0, 255).astype(np.uint8)


@pytest.mark.parametrize(("seed", "side", "scale"), [(2, 52, 1.15), (4, 44, 0.85)])
def test_a_small_rescaled_copy_with_few_keypoint_matches_is_found(
    seed: int, side: int, scale: float
) -> None:
    # A copy of 2-3% of the frame, rescaled and saved at JPEG 80, keeps 4-6 SIFT
    # matches: fewer than a transform needs without the dense agreement check.
    from pixelproof.forensics._copymove import _STRONG_INLIERS

    pixels = blobs(seed)
    height, width = pixels.shape[:2]
    matrix = cv2.getRotationMatrix2D((60 + side / 2, 60 + side / 2), 0, scale)
    matrix[:, 2] += (220, 150)
    source = np.zeros((height, width), np.uint8)
    source[60 : 60 + side, 60 : 60 + side] = 1
    target = cv2.warpAffine(source, matrix, (width, height), flags=cv2.INTER_NEAREST) > 0
    forged = pixels.copy()
    forged[target] = cv2.warpAffine(pixels, matrix, (width, height))[target]
    result = get_analysis("copymove")(context_of(jpeg(forged, 80)))
    (region,) = result.details["regions"]
    assert region["matches"] < _STRONG_INLIERS
    assert region["scale"] == pytest.approx(scale, abs=0.03) or region["scale"] == pytest.approx(
        1.0 / scale, abs=0.03
    )
    assert best_threshold_f1(target | (source > 0), result.full_heatmap()).f1 > 0.8


def test_splice_with_another_jpeg_history_lights_up_in_the_fused_map() -> None:
    host = decode(jpeg(photo(seed=4), 60))  # first save: strong quantization
    donor = photo(seed=5)  # never compressed
    forged = host.copy()
    mask = np.zeros(host.shape[:2], dtype=bool)
    mask[80:176, 120:248] = True
    forged[mask] = donor[mask]
    report = analyze(jpeg(forged, 90))  # second save of the whole image
    fused = report.fused.full_heatmap()
    assert pixel_auc(mask, fused) > 0.85
    assert float(fused[mask].mean()) > float(fused[~mask].mean()) + 0.3
    # Since the thresholds are set on authentic photos after publishing (at most 1%
    # of them accused), this synthetic splice scores about 0.8: well above "authentic",
    # below the accusation threshold (0.911).
    assert report.score > 0.7 and report.label != Label.AUTHENTIC


@pytest.mark.parametrize("seed", [6, 7, 8])
def test_single_compressed_authentic_images_are_not_labelled_manipulated(seed: int) -> None:
    report = analyze(jpeg(photo(seed=seed), 75 + 5 * (seed % 3)))
    assert report.label != Label.MANIPULATED
    assert float(np.mean(report.fused.full_heatmap() >= 0.5)) < 0.01


def test_no_analysis_paints_a_plain_authentic_image(authentic_jpeg: bytes) -> None:
    report = analyze(authentic_jpeg)
    for name, result in report.results.items():
        assert float(np.mean(result.full_heatmap() >= 0.5)) < 0.02, name


def test_forgery_generator_writes_exact_masks(tmp_path: Path) -> None:
    photos = []
    for seed in range(3):
        path = tmp_path / f"photo{seed}.png"
        Image.fromarray(photo(seed=10 + seed)).save(path)
        photos.append(path)
    cases = make_forgeries(photos, tmp_path / "out", n=10, seed=0)
    assert [c.kind for c in cases[:5]] == ["splice", "copymove", "removal", "recolor", "authentic"]
    assert load_cases(tmp_path / "out" / "cases.json") == cases
    for case in cases:
        assert isinstance(case, ForgeryCase)
        assert case.saves in (1, 2)
        with Image.open(case.image_path) as image:
            assert image.format == "JPEG"
            size = image.size
        mask = case.load_mask()
        if case.kind == "authentic":
            assert mask is None
        else:
            assert mask is not None and mask.shape == (size[1], size[0])
            assert 0.005 < mask.mean() < 0.3
    evaluation = evaluate_forensics(cases[:5], ["copymove", "noise"])
    assert evaluation.summary["cases"] == 5
    assert set(evaluation.summary["per_analysis"]) == {"copymove", "noise"}


def test_generator_rejects_bad_arguments(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="kinds"):
        make_forgeries([tmp_path / "x.png"], tmp_path, n=1, kinds=["blur"])
    with pytest.raises(ValueError, match="photos"):
        make_forgeries([tmp_path / "missing.png"], tmp_path, n=1)


def run_cli(*args: str) -> tuple[int, list[dict[str, object]], str]:
    result = CliRunner().invoke(app, list(args))
    assert "Traceback" not in result.output
    rows = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    return result.exit_code, rows, result.output


def test_cli_writes_heatmaps_of_the_input_size(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.jpg").write_bytes(jpeg(photo(200, 296, seed=20), 85))
    Image.fromarray(photo(160, 240, seed=21)).save(folder / "b.png")
    (folder / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not a jpeg")
    heat = tmp_path / "heat"
    code, rows, _ = run_cli(
        "forensics", str(folder), "--analyses", "ela,noise,dq", "--heatmap-dir", str(heat), "--json"
    )
    assert code == 1  # the broken file
    by_name = {Path(str(r["path"])).name: r for r in rows}
    assert set(by_name) == {"a.jpg", "b.png", "broken.jpg"}
    assert "error" in by_name["broken.jpg"] and "error_type" in by_name["broken.jpg"]
    sizes = {"a.jpg": (296, 200), "b.png": (240, 160)}
    for name, size in sizes.items():
        row = by_name[name]
        assert 0.0 <= float(row["score"]) <= 1.0  # type: ignore[arg-type]
        assert row["label"] in ("manipulated", "inconclusive", "authentic")
        analyses = row["analyses"]
        assert isinstance(analyses, dict) and set(analyses) == {"ela", "noise", "dq"}
        paths = [row["heatmap"]] + [a["heatmap"] for a in analyses.values() if a["heatmap"]]
        for path in paths:
            with Image.open(str(path)) as image:
                assert image.mode == "L" and image.size == size
    assert by_name["b.png"]["analyses"]["dq"]["heatmap"] is None  # type: ignore[index]


def test_cli_rejects_unknown_analyses(tmp_path: Path) -> None:
    path = tmp_path / "a.jpg"
    path.write_bytes(jpeg(photo(64, 64), 90))
    code, _, output = run_cli("forensics", str(path), "--analyses", "ela,magic")
    assert code == 2
    assert "magic" in output


def test_cli_text_output(tmp_path: Path) -> None:
    path = tmp_path / "a.jpg"
    path.write_bytes(jpeg(photo(128, 128), 90))
    code, _, output = run_cli("forensics", str(path), "--analyses", "copymove,quality")
    assert code == 0
    assert "copymove" in output and "quality" in output


def test_shared_photo_forgeries_smoke(shared_data: Callable[..., Path], tmp_path: Path) -> None:
    photos = sorted(shared_data("photos", "kodak24").glob("*.png"))[:3]
    cases = make_forgeries(photos, tmp_path, n=5, seed=3, kinds=["copymove", "authentic"])
    evaluation = evaluate_forensics(cases, ["copymove"])
    assert evaluation.summary["authentic_flagged"] == 0.0


def test_a_repeating_pattern_is_not_a_copy_move() -> None:
    tile = photo(96, 128, seed=30)
    pattern = np.tile(tile, (3, 3, 1))  # a wallpaper: every shift by one tile matches
    result = get_analysis("copymove")(context_of(jpeg(pattern, 90)))
    assert result.details["regions"] == []
    assert float(result.heatmap.max()) == 0.0


def test_a_region_recoloured_out_of_the_scene_palette_is_mapped() -> None:
    # A warm-toned scene (shading and texture, one illuminant); one blob's hue rotated.
    shade = photo(seed=31).astype(np.float32).mean(axis=2, keepdims=True)
    tint = np.array([1.0, 0.8, 0.55], dtype=np.float32)
    scene = np.clip(shade * tint + 20.0, 0, 255).astype(np.uint8)
    y, x = np.mgrid[0:256, 0:384]
    mask = (y - 120) ** 2 / 40.0**2 + (x - 250) ** 2 / 55.0**2 <= 1.0
    hsv = cv2.cvtColor(scene, cv2.COLOR_RGB2HSV).astype(np.int32)
    hsv[..., 0] = (hsv[..., 0] + 70) % 180
    recoloured = cv2.cvtColor(hsv.astype(np.uint8), cv2.COLOR_HSV2RGB)
    forged = scene.copy()
    forged[mask] = recoloured[mask]
    result = get_analysis("recolor")(context_of(jpeg(forged, 90)))
    found = result.full_heatmap()
    assert pixel_auc(mask, found) > 0.9
    assert float(mask[found >= 0.5].mean()) > 0.4  # the blob is 7% of the image
    assert result.details["foreign_colour_fraction"] > 0.03
    # The untouched scene: at most its rarest shades stand out a little.
    plain = get_analysis("recolor")(context_of(jpeg(scene, 90)))
    assert float(np.mean(plain.full_heatmap() >= 0.5)) < 0.03


def test_the_score_model_depends_on_whether_an_earlier_compression_shows() -> None:
    from pixelproof.forensics import _fusion
    from pixelproof.forensics._result import ForensicResult

    def result(name: str, score: float, informative: bool = True) -> ForensicResult:
        return ForensicResult(
            name, np.zeros((4, 4), np.float32), (64, 64), score, "", informative=informative
        )

    flat = np.zeros((8, 8))
    single = {"dq": result("dq", 0.0, informative=False), "ela": result("ela", 0.2)}
    recompressed = {"dq": result("dq", 0.9), "ela": result("ela", 0.2)}
    assert _fusion.regime(single) == "single"
    assert _fusion.regime(recompressed) == "recompressed"
    features = _fusion.score_features(recompressed, flat)
    assert features["recompressed"] == 1.0 and features["dq"] == 0.9

    # a region without the double-quantization trace weighs heavily once an earlier
    # compression shows (a single-compressed image has no dq score at all)
    def log_odds(probability: float) -> float:
        return float(np.log(probability / (1.0 - probability)))

    recompressed_odds = log_odds(_fusion.manipulation_score(features))
    single_odds = log_odds(_fusion.manipulation_score(_fusion.score_features(single, flat)))
    # Odds about twice as high: with published photos among the negatives (whose
    # recompression also leaves regions without the trace) the fit weighs it less.
    assert recompressed_odds > single_odds + 0.5
    for model in _fusion.SCORE_MODELS.values():
        assert all(weight >= 0.0 for weight in model.weights.values())


def test_the_pixel_model_follows_the_regime() -> None:
    from pixelproof.forensics import _fusion

    def result(name: str, marked: bool) -> ForensicResult:
        heat = np.full((64, 64), 0.01, np.float32)
        if marked:
            heat[8:24, 8:24] = 0.3
        return ForensicResult(name, heat, (256, 256), 0.5, "")

    def contrast(results: dict[str, ForensicResult], regime: str) -> float:
        planes = _fusion.centred_maps(results, (256, 256))
        logit = _fusion.pixel_logit(planes, _fusion.PIXEL_MODELS[regime])
        side = logit.shape[0]
        inside = np.zeros(logit.shape, dtype=bool)
        inside[side // 8 : side * 3 // 8, side // 8 : side * 3 // 8] = True
        return float(logit[inside].mean() - logit[~inside].mean())

    traces = {"dq": result("dq", True), "appearance": result("appearance", False)}
    learned = {"dq": result("dq", False), "appearance": result("appearance", True)}
    # An earlier compression gives the double-quantization map a say; without one it is
    # never informative, and its weights there are zero.
    assert contrast(traces, "recompressed") > 1.0
    assert contrast(traces, "single") == pytest.approx(0.0, abs=1e-9)
    # The dq map counts for more against the learned map where it exists (defocused
    # backgrounds can look like an inpainting's smear to the learned model).
    assert contrast(traces, "recompressed") / contrast(learned, "recompressed") > 0.4


def test_material_pasted_from_another_jpeg_is_found_on_its_own_grid() -> None:
    host = photo(seed=11)  # never compressed
    grain = np.random.default_rng(3).normal(0.0, 10.0, (256, 384, 1))
    grainy = np.clip(photo(seed=12) + grain, 0, 255).astype(np.uint8)
    donor = decode(jpeg(grainy, 55))  # a web JPEG, saved coarsely
    forged = host.copy()
    mask = np.zeros(host.shape[:2], dtype=bool)
    mask[83:179, 117:245] = True  # at an offset of (3, 5) from the 8x8 grid
    forged[mask] = donor[80:176, 112:240].reshape(-1, 3)
    result = get_analysis("grid")(context_of(jpeg(forged, 92)))
    heat = result.full_heatmap()
    assert result.score > 0.9
    assert pixel_auc(mask, heat) > 0.8
    assert float(np.mean(heat[mask] >= 0.5)) > 10 * float(np.mean(heat[~mask] >= 0.5))
    untouched = get_analysis("grid")(context_of(jpeg(host, 92)))
    assert untouched.score < 0.2


def test_a_crop_between_two_saves_is_reported_not_painted() -> None:
    first = decode(jpeg(photo(seed=13), 55))
    recropped = np.ascontiguousarray(first[3:, 5:])
    result = get_analysis("grid")(context_of(jpeg(recropped, 92)))
    assert result.details["foreign_grid_everywhere"] is True
    assert float(np.mean(result.full_heatmap() >= 0.5)) == 0.0


def test_strong_signals_in_a_file_without_jpeg_history_stay_inconclusive() -> None:
    from pixelproof.forensics._suite import fuse

    def result(name: str, score: float, **details: object) -> ForensicResult:
        heat = np.zeros((32, 32), np.float32)
        heat[8:16, 8:16] = score
        return ForensicResult(name, heat, (256, 256), score, "", dict(details))

    signals = {
        name: result(name, 1.0)
        for name in ("ela", "ghost", "noise", "resampling", "recolor", "appearance")
    }
    png = fuse({**signals, "quality": result("quality", 0.0)})
    jpeg_file = fuse({**signals, "quality": result("quality", 0.0, quality=90)})
    assert png.score == pytest.approx(jpeg_file.score)
    assert jpeg_file.label == Label.MANIPULATED
    assert png.label == Label.INCONCLUSIVE
    assert png.fused.details["calibrated"] is False
    assert "no JPEG history" in png.fused.explanation
    # a verified copy is evidence whatever the file format
    copied = fuse(
        {**signals, "quality": result("quality", 0.0), "copymove": result("copymove", 1.0)}
    )
    assert copied.label == Label.MANIPULATED


def test_ghosts_are_only_looked_for_in_images_with_a_jpeg_past() -> None:
    from pixelproof.forensics._grid import shows_jpeg_past

    drawing = np.full((256, 384, 3), 235, dtype=np.uint8)
    drawing[40:200, 60:300] = (30, 90, 200)  # flat shapes with sharp edges
    drawing[100:140, 20:360] = (250, 200, 0)
    never = photo(seed=14)
    once = decode(jpeg(never, 80))  # a JPEG decoded and kept as pixels (PNG, screenshot)
    assert not shows_jpeg_past(ImageContext(drawing).luma)
    assert not shows_jpeg_past(ImageContext(never).luma)
    assert shows_jpeg_past(ImageContext(once).luma)
    ghost = get_analysis("ghost")
    assert not ghost(ImageContext(drawing)).informative
    assert ghost(ImageContext(once)).informative
