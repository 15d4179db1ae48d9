"""Spec strings, records and pipelines."""

from __future__ import annotations

import json
from typing import Annotated

import numpy as np
import pytest
from numpy.typing import NDArray

from pixelproof.bench.transforms import (
    PRESETS,
    Applied,
    Blur,
    Compose,
    Crop,
    Jpeg,
    Resize,
    Text,
    available_transforms,
    create,
    get_transform,
    parse_spec,
    preset,
)

CANONICAL = [
    "identity",
    "jpeg:q=75",
    "jpeg:q=90,encoder=opencv,subsampling=444",
    "jpeg:q=5,encoder=simplejpeg",
    "webp:q=50",
    "resize:scale=0.5,interp=bicubic",
    "resize:scale=0.25,antialias=false",
    "resize:scale=1.5,interp=lanczos",
    "stretch:x=0.8",
    "stretch:x=1,y=0.6,interp=area",
    "crop:area=0.8,offset=random",
    "crop:area=0.5,x=0,y=0.25",
    "rotate:deg=15,crop=true",
    "rotate:deg=-7.5,expand=true,fill=#ffffff",
    "hflip",
    "vflip",
    "blur:sigma=2",
    "noise:sigma=12,seed=42",
    "brightness:factor=1.3",
    "contrast:factor=0.5",
    "saturation:factor=0",
    "gamma:gamma=0.7",
    "grayscale",
    "median:size=5",
    "sharpen:amount=2,sigma=1.5",
    'text:size=0.2,text="Hello, world",color=red,outline=false',
    'text:size=0.1,text="say \\"hi\\" | \\\\ bye"',
    "text:size=0.1,text=two words",
    "emoji:size=0.3,shape=star,opacity=0.5",
    "caption:height=0.2,text=WHEN IT WORKS,side=top,extend=true",
    "paste:scale=0.5,offset=center,seed=3",
    "screenshot:scale=0.8,downscale=0.5,theme=dark",
]


@pytest.mark.parametrize("spec", CANONICAL)
def test_canonical_specs_round_trip_exactly(spec: str) -> None:
    transform = parse_spec(spec)
    assert transform.spec == spec
    assert parse_spec(transform.spec) == transform
    assert Compose.from_spec(spec).spec == spec


@pytest.mark.parametrize("name", sorted(available_transforms()))
def test_every_default_transform_round_trips(name: str) -> None:
    transform = available_transforms()[name]()
    assert parse_spec(transform.spec) == transform
    assert transform.spec.split(":")[0] == name
    assert create(name, **transform.params) == transform


def test_spec_shows_first_parameter_and_non_defaults() -> None:
    assert Jpeg().spec == "jpeg:q=75"
    assert Jpeg(subsampling="444").spec == "jpeg:q=75,subsampling=444"
    assert Resize(scale=0.5, interp="bicubic").spec == "resize:scale=0.5,interp=bicubic"
    assert Blur(sigma=2.0).spec == "blur:sigma=2"
    assert Resize(scale=0.1 + 0.2).spec == "resize:scale=0.30000000000000004"


def test_equivalent_spellings_parse_to_the_same_transform() -> None:
    canonical = parse_spec("resize:scale=0.5,interp=bicubic")
    for spelling in (
        " resize : interp = bicubic , scale = .5 ",
        "resize:scale=5e-1,interp=bicubic,antialias=TRUE",
        'resize:scale=0.5,interp="bicubic"',
    ):
        assert parse_spec(spelling) == canonical
    assert parse_spec("blur:sigma=2") == parse_spec("blur:sigma=2.0") == Blur(sigma=2)


def test_quoted_strings_survive_special_characters() -> None:
    tricky = 'a|b, c="d" \\ e:f'
    transform = Text(text=tricky)
    assert parse_spec(transform.spec).text == tricky  # type: ignore[attr-defined]
    assert Text(text=" padded ").spec == 'text:size=0.1,text=" padded "'
    pipeline = Compose([Text(text="x|y"), Jpeg(q=50)])
    assert Compose.from_spec(pipeline.spec) == pipeline
    assert len(Compose.from_spec(pipeline.spec)) == 2


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("", "empty step"),
        ("jpeg:q=75|", "empty step"),
        ("Jpeg:q=75", "invalid transform name"),
        ("jpeg:", "no parameters"),
        ("jpeg:q", "expected key=value"),
        ("jpeg:q=", "empty value"),
        ("jpeg:q=1,q=2", "given twice"),
        ("jpeg:quality=75", "unknown parameter"),
        ("jpg:q=75", "unknown transform 'jpg'"),
        ("jpeg:q=seventy", "must be an integer"),
        ("resize:antialias=yes", "true or false"),
        ("resize:scale=1e400", "finite"),
        ('text:text="open', "unterminated"),
        ('text:text="a"b', "malformed quoted value"),
        ("text:text=a=b", "quote it"),
    ],
)
def test_malformed_specs_explain_themselves(spec: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Compose.from_spec(spec)


def test_parse_spec_refuses_pipelines_and_points_to_compose() -> None:
    with pytest.raises(ValueError, match=r"Compose\.from_spec"):
        parse_spec("jpeg:q=75|blur")
    with pytest.raises(ValueError, match="unknown transform"):
        get_transform("nope")
    with pytest.raises(ValueError, match="accepted: q"):
        create("webp", quality=3)
    with pytest.raises(TypeError):
        parse_spec(75)  # type: ignore[arg-type]


def test_record_is_frozen_hashable_and_json_round_trips(photo: NDArray[np.uint8]) -> None:
    record = Crop(area=0.5, offset="random")(photo, rng=4).record
    assert isinstance(record, Applied)
    with pytest.raises(AttributeError):
        record.name = "other"  # type: ignore[misc]
    with pytest.raises(TypeError):
        record.params["area"] = 0.9  # type: ignore[index]
    assert hash(record) == hash(Applied.from_dict(record.to_dict()))
    text = record.to_json()
    again = Applied.from_dict(json.loads(text))
    assert again == record and again.spec == record.spec
    assert json.loads(text) == {
        "name": "crop",
        "params": {
            "area": 0.5,
            "offset": "random",
            "x": record.params["x"],
            "y": record.params["y"],
        },
        "src_size": [96, 128],
        "dst_size": [68, 91],
        "intensity": record.intensity,
        "steps": [],
    }


def test_records_reject_bad_values() -> None:
    with pytest.raises(TypeError):
        Applied("x", {"a": [1, 2]}, (1, 1), (1, 1), 0.0)  # type: ignore[dict-item]
    with pytest.raises(ValueError):
        Applied("x", {}, (1, 1), (1, 1), 101.0)
    with pytest.raises(TypeError):
        Applied("x", {}, (1, 1.5), (1, 1), 1.0)  # type: ignore[arg-type]


def test_compose_records_steps_and_combines_intensity(photo: NDArray[np.uint8]) -> None:
    pipeline = Compose.from_spec("crop:area=0.8,offset=random|resize:scale=0.75|jpeg:q=75")
    result = pipeline(photo, rng=11)
    record = result.record
    assert record.name == "compose" and record.params == {"spec": pipeline.spec}
    assert [step.name for step in record.steps] == ["crop", "resize", "jpeg"]
    assert record.src_size == (96, 128) and record.dst_size == result.image.shape[:2]
    assert record.steps[0].dst_size == record.steps[1].src_size
    kept = np.prod([1 - step.intensity / 100 for step in record.steps])
    assert record.intensity == pytest.approx(100 * (1 - kept))
    # the record's spec replays the same image, rng-free
    assert np.array_equal(Compose.from_spec(record.spec)(photo).image, result.image)
    assert Applied.from_dict(json.loads(record.to_json())) == record
    # deterministic per seed, different across seeds
    assert np.array_equal(pipeline(photo, rng=11).image, result.image)
    assert not np.array_equal(pipeline(photo, rng=12).image, result.image)


def test_steps_get_independent_streams(photo: NDArray[np.uint8]) -> None:
    # adding a deterministic step in front does not shift the random draws of the others
    alone = Compose.from_spec("blur|noise:sigma=5")(photo, rng=1).record.steps[1]
    shifted = Compose.from_spec("jpeg:q=90|noise:sigma=5")(photo, rng=1).record.steps[1]
    assert alone.params["seed"] == shifted.params["seed"]


def test_pipe_operator_and_presets(photo: NDArray[np.uint8]) -> None:
    pipeline = Crop(area=0.8, offset="random") | Resize(scale=0.75) | Jpeg(q=75)
    assert isinstance(pipeline, Compose)
    assert pipeline.spec == PRESETS["social"] == preset("social").spec
    assert pipeline == preset("social") and hash(pipeline) == hash(preset("social"))
    assert (pipeline | pipeline).spec == f"{pipeline.spec}|{pipeline.spec}"
    assert repr(pipeline) == f"Compose.from_spec({pipeline.spec!r})"
    out = pipeline(photo, rng=0).image
    # 80% area of 96x128 keeps 86x114, then x0.75 gives 64x86 (rounded)
    assert out.shape == (64, 86, 3)
    with pytest.raises(ValueError, match="unknown preset"):
        preset("tiktok")
    with pytest.raises(ValueError):
        Compose([])
    with pytest.raises(TypeError):
        Compose(["jpeg"])  # type: ignore[list-item]


def test_a_name_cannot_be_registered_twice() -> None:
    from pixelproof.bench.transforms import Range, Transform, jpeg, register

    class Impostor(Transform):
        q: Annotated[int, Range(1, 100)] = 75

    with pytest.raises(ValueError, match="already registered"):
        register(jpeg)(Impostor)
    assert available_transforms()["jpeg"] is Jpeg
