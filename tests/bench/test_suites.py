"""The shipped suites and the TOML loader."""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path

import numpy as np
import pytest

from pixelproof.bench import PRESETS, Suite, available_suites, load_suite, nominal_intensity
from pixelproof.bench.transforms import Compose

from .conftest import textured_image

WATERMARK_ATTACKS = [
    "none", "jpeg90", "jpeg75", "jpeg50", "jpeg30", "webp50", "resize0.5", "resize0.75",
    "resize1.5", "crop0.75", "crop0.5offset", "rot5", "rot15crop", "blur1", "blur2", "noise5",
    "noise12", "bright1.3", "contrast1.5", "saturate2", "gray", "median3", "sharpen", "text",
    "social", "stretch0.8",
]  # fmt: skip


def test_shipped_suites_are_package_data() -> None:
    assert {"default", "watermark"} <= set(available_suites())
    folder = resources.files("pixelproof.bench").joinpath("suites")
    for name in available_suites():
        assert folder.joinpath(f"{name}.toml").is_file()
    pyproject = Path(__file__).resolve().parents[2] / "pyproject.toml"
    if pyproject.exists():
        package_data = tomllib.loads(pyproject.read_text())["tool"]["setuptools"]["package-data"]
        assert "bench/suites/*.toml" in package_data["pixelproof"]


def test_watermark_suite_covers_exactly_the_attacks() -> None:
    suite = load_suite("watermark")
    assert isinstance(suite, Suite) and suite.name == "watermark" and suite.description
    assert suite.names == WATERMARK_ATTACKS
    assert suite["none"].spec == "identity" and suite["none"].intensity == 0.0
    assert suite["social"].spec == PRESETS["social"]
    assert suite["crop0.75"].spec == "crop:area=0.75"
    assert suite["crop0.5offset"].spec == "crop:area=0.5,offset=random"
    assert suite["rot15crop"].spec == "rotate:deg=15,crop=true"
    assert suite["stretch0.8"].spec == "stretch:x=0.8"
    jpeg = [entry.name for entry in suite.families()["jpeg"]]
    assert jpeg == ["jpeg90", "jpeg75", "jpeg50", "jpeg30"]  # sorted by intensity


def test_default_suite_is_broad_with_several_intensities() -> None:
    suite = load_suite("default")
    families = suite.families()
    transforms = {step.name for entry in suite for step in entry.transform.steps}
    assert transforms == {
        "identity", "jpeg", "webp", "resize", "stretch", "crop", "rotate", "hflip", "vflip",
        "blur", "noise", "brightness", "contrast", "saturation", "gamma", "grayscale", "median",
        "sharpen", "text", "emoji", "caption", "paste", "screenshot",
    }  # fmt: skip
    for family in (
        "jpeg", "webp", "resize", "crop", "crop_offset", "rotate", "rotate_crop", "blur",
        "noise", "brightness", "contrast", "gamma", "median", "sharpen", "text", "emoji",
        "paste", "screenshot",
    ):  # fmt: skip
        levels = {entry.intensity for entry in families[family]}
        assert len(levels) >= 3, family
    assert "social" in suite.names


@pytest.mark.parametrize("name", ["default", "watermark"])
def test_every_entry_runs(name: str) -> None:
    image = textured_image(48, 64, seed=3)
    for entry in load_suite(name):
        assert 0.0 <= entry.intensity <= 100.0
        assert Compose.from_spec(entry.spec) == entry.transform
        result = entry.transform(image, rng=0)
        assert result.image.dtype == np.uint8 and result.image.shape[2] == 3, entry.name
        assert entry.to_dict()["spec"] == entry.spec


def test_load_from_a_file(tmp_path: Path) -> None:
    path = tmp_path / "mine.toml"
    path.write_text(
        """
        [[transform]]
        name = "light"
        family = "jpeg"
        spec = "jpeg:q=90"

        [[transform]]
        name = "heavy"
        family = "jpeg"
        spec = "jpeg:q=20|blur:sigma=1"
        intensity = 95
        """
    )
    suite = load_suite(path)
    assert suite.name == "mine" and suite.description == ""
    assert suite["light"].intensity == nominal_intensity(suite["light"].transform) == 10.0
    assert suite["heavy"].intensity == 95.0
    assert len(suite["heavy"].transform) == 2
    assert load_suite(str(path)).to_dict() == suite.to_dict()
    with pytest.raises(KeyError):
        suite["medium"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("", "at least one"),
        ('colour = "red"\n[[transform]]\nname="a"\nfamily="f"\nspec="hflip"', "unknown top-level"),
        ('[[transform]]\nname="a"\nfamily="f"', "'spec' must be"),
        ('[[transform]]\nname="a"\nfamily="f"\nspec="jpg"', "unknown transform"),
        ('[[transform]]\nname="a"\nfamily="f"\nspec="hflip"\nlevel=3', "unknown key"),
        ('[[transform]]\nname="a"\nfamily="f"\nspec="hflip"\nintensity=300', r"\[0, 100\]"),
        ('[[transform]]\nname="a"\nfamily="f"\nspec="hflip"\nintensity="x"', "number"),
        (
            '[[transform]]\nname="a"\nfamily="f"\nspec="hflip"\n'
            '[[transform]]\nname="a"\nfamily="f"\nspec="vflip"',
            "duplicate",
        ),
        ("name = [", "invalid TOML"),
    ],
)
def test_malformed_suites(tmp_path: Path, body: str, message: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(body)
    with pytest.raises(ValueError, match=message):
        load_suite(path)


def test_unknown_suite_names() -> None:
    with pytest.raises(FileNotFoundError, match=r"shipped: default, .*watermark"):
        load_suite("nonexistent")
    with pytest.raises(FileNotFoundError):
        load_suite("missing/file.toml")
