"""Every transform: output shape and dtype, records, determinism, and growing strength."""

from __future__ import annotations

import importlib.util
import inspect
import itertools
import json

import numpy as np
import pytest
from numpy.typing import NDArray
from PIL import Image

from pixelproof.bench.transforms import (
    Compose,
    Crop,
    Jpeg,
    Noise,
    Paste,
    Resize,
    Rotate,
    Text,
    Transform,
    available_transforms,
    crop,
    inscribed_size,
    jpeg,
    parse_spec,
    paste,
    random_background,
    resize,
    rotate,
    screenshot,
)

HAVE_CV2 = importlib.util.find_spec("cv2") is not None
ALL = sorted(available_transforms())
EXPECTED = {
    "identity", "jpeg", "webp", "resize", "stretch", "crop", "rotate", "hflip", "vflip",
    "blur", "noise", "brightness", "contrast", "saturation", "gamma", "grayscale", "median",
    "sharpen", "text", "emoji", "caption", "paste", "screenshot",
}  # fmt: skip
# Transforms whose output depends on the rng with their default parameters.
RANDOM = {"noise", "text", "emoji", "paste", "screenshot"}


def mad(a: NDArray[np.uint8], b: NDArray[np.uint8]) -> float:
    """Mean absolute difference; ``b`` is first resized to ``a``'s size if they differ."""
    if a.shape != b.shape:
        b = np.asarray(
            Image.fromarray(b).resize((a.shape[1], a.shape[0]), Image.Resampling.BILINEAR)
        )
    return float(np.mean(np.abs(a.astype(np.float64) - b.astype(np.float64))))


def test_registry_holds_every_transform() -> None:
    assert set(ALL) == EXPECTED
    for name, cls in available_transforms().items():
        assert cls.name == name
        assert cls.function.__name__ == name
        assert cls.__name__.lower() == name  # CamelCase class, same name as the function


@pytest.mark.parametrize("name", ALL)
def test_function_and_class_declare_the_same_parameters(name: str) -> None:
    cls = available_transforms()[name]
    signature = inspect.signature(cls.function)
    parameters = list(signature.parameters.values())
    assert parameters[0].name == "image"
    keyword = {p.name: p.default for p in parameters[1:] if p.name not in ("rng", "background")}
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in parameters[1:])
    defaults = cls().params
    if name == "paste":
        assert defaults.pop("background") is None
    assert list(keyword) == list(defaults)
    assert keyword == defaults


@pytest.mark.parametrize("name", ALL)
def test_output_is_a_new_uint8_rgb_image_with_an_exact_record(
    name: str, photo: NDArray[np.uint8]
) -> None:
    transform = available_transforms()[name]()
    before = photo.copy()
    result = transform(photo, rng=0)
    assert np.array_equal(photo, before)
    assert result.image.dtype == np.uint8
    assert result.image.ndim == 3 and result.image.shape[2] == 3
    assert result.image.flags.c_contiguous and result.image.flags.writeable
    assert not np.shares_memory(result.image, photo)
    record = result.record
    assert record.name == name
    assert record.src_size == photo.shape[:2]
    assert record.dst_size == result.image.shape[:2]
    assert 0.0 <= record.intensity <= 100.0
    assert set(record.params) == set(transform.params)
    json.dumps(record.to_dict())


@pytest.mark.parametrize("name", ALL)
def test_same_seed_same_output_and_record_replays(name: str, photo: NDArray[np.uint8]) -> None:
    transform = available_transforms()[name]()
    first, second = transform(photo, rng=3), transform(photo, rng=3)
    assert np.array_equal(first.image, second.image)
    assert first.record == second.record
    # a Generator seeded the same way gives the same draws as the int seed
    third = transform(photo, rng=np.random.default_rng(3))
    assert np.array_equal(first.image, third.image)
    # the record resolves every draw: its spec replays the output without any rng
    replay = Compose.from_spec(first.record.spec)(photo)
    assert np.array_equal(replay.image, first.image)
    assert replay.record.steps[0] == first.record


@pytest.mark.parametrize("name", sorted(RANDOM))
def test_random_transforms_change_with_the_seed(name: str, photo: NDArray[np.uint8]) -> None:
    transform = available_transforms()[name]()
    a, b = transform(photo, rng=1), transform(photo, rng=2)
    assert not np.array_equal(a.image, b.image)
    assert a.record.params != b.record.params


@pytest.mark.parametrize("name", sorted(set(ALL) - RANDOM))
def test_deterministic_transforms_ignore_the_seed(name: str, photo: NDArray[np.uint8]) -> None:
    transform = available_transforms()[name]()
    assert np.array_equal(transform(photo, rng=1).image, transform(photo, rng=2).image)


def test_random_crop_offset_depends_on_seed(photo: NDArray[np.uint8]) -> None:
    random_crop = Crop(area=0.5, offset="random")
    a, b = random_crop(photo, rng=1), random_crop(photo, rng=2)
    assert a.image.shape == b.image.shape and not np.array_equal(a.image, b.image)
    assert a.record.params["x"] != b.record.params["x"]
    centred = Crop(area=0.5)(photo, rng=1).record.params
    assert (centred["x"], centred["y"]) == (0.5, 0.5)


# Parameter sweeps in order of increasing strength. Geometry is compared after resizing
# the output back to the input size; paste by the pasted region only.
SWEEPS = {
    "jpeg": ["jpeg:q=95", "jpeg:q=75", "jpeg:q=50", "jpeg:q=20", "jpeg:q=5"],
    "jpeg_simplejpeg": [f"jpeg:q={q},encoder=simplejpeg" for q in (95, 75, 40, 10)],
    "jpeg_444": [f"jpeg:q={q},subsampling=444" for q in (95, 75, 40, 10)],
    "webp": ["webp:q=95", "webp:q=75", "webp:q=40", "webp:q=5"],
    "resize": ["resize:scale=0.9", "resize:scale=0.75", "resize:scale=0.5", "resize:scale=0.25"],
    "resize_aliased": [f"resize:scale={s},antialias=false" for s in (0.9, 0.6, 0.3)],
    "resize_lanczos": [f"resize:scale={s},interp=lanczos" for s in (0.9, 0.6, 0.3)],
    "resize_area": [f"resize:scale={s},interp=area" for s in (0.9, 0.6, 0.3)],
    "resize_nearest": [f"resize:scale={s},interp=nearest" for s in (0.9, 0.6, 0.3)],
    "stretch": ["stretch:x=0.9", "stretch:x=0.75", "stretch:x=0.5", "stretch:x=0.3"],
    "crop": ["crop:area=0.9", "crop:area=0.7", "crop:area=0.5", "crop:area=0.3"],
    "rotate": ["rotate:deg=2", "rotate:deg=5", "rotate:deg=15", "rotate:deg=30"],
    "rotate_crop": [f"rotate:deg={d},crop=true" for d in (2, 5, 15, 30)],
    "rotate_expand": [f"rotate:deg={d},expand=true" for d in (2, 10, 30)],
    "blur": ["blur:sigma=0.5", "blur:sigma=1", "blur:sigma=2", "blur:sigma=4"],
    "noise": ["noise:sigma=2", "noise:sigma=5", "noise:sigma=12", "noise:sigma=25"],
    "brightness_up": [f"brightness:factor={f}" for f in (1.1, 1.3, 1.6, 2)],
    "brightness_down": [f"brightness:factor={f}" for f in (0.9, 0.7, 0.5, 0.2)],
    "contrast_up": [f"contrast:factor={f}" for f in (1.2, 1.5, 2, 3)],
    "contrast_down": [f"contrast:factor={f}" for f in (0.8, 0.6, 0.4, 0.1)],
    "saturation_up": [f"saturation:factor={f}" for f in (1.25, 1.5, 2, 3)],
    "saturation_down": [f"saturation:factor={f}" for f in (0.8, 0.6, 0.3)],
    "gamma": [f"gamma:gamma={g}" for g in (1.2, 1.5, 2, 3)],
    "gamma_below_one": [f"gamma:gamma={g}" for g in (0.8, 0.6, 0.4)],
    "median": ["median:size=3", "median:size=5", "median:size=7", "median:size=9"],
    "sharpen": ["sharpen:amount=0.5", "sharpen:amount=1", "sharpen:amount=2", "sharpen:amount=4"],
    "text": [f"text:size={s},x=0.5,y=0.5" for s in (0.05, 0.1, 0.2, 0.3)],
    "text_opacity": [f"text:size=0.2,opacity={o},x=0.5,y=0.5" for o in (0.2, 0.5, 1)],
    "emoji": [f"emoji:size={s},x=0.5,y=0.5" for s in (0.1, 0.2, 0.35, 0.5)],
    "emoji_star": [f"emoji:size={s},shape=star,x=0.2,y=0.7" for s in (0.1, 0.3, 0.6)],
    "caption": [f"caption:height={h}" for h in (0.05, 0.1, 0.2, 0.4)],
    "caption_extend": [f"caption:height={h},side=top,extend=true" for h in (0.1, 0.2, 0.4)],
    "paste": [f"paste:scale={s},offset=center" for s in (0.9, 0.7, 0.5, 0.3)],
}
if HAVE_CV2:
    SWEEPS["jpeg_opencv"] = [f"jpeg:q={q},encoder=opencv" for q in (95, 75, 40, 10)]


def _pasted_region(photo: NDArray[np.uint8], spec: str, out: NDArray[np.uint8]) -> float:
    """Distance between the photo and the shrunken copy cut back out of the canvas."""
    record = Compose.from_spec(spec)(photo, rng=0).record.steps[0]
    scale = float(record.params["scale"])
    height, width = photo.shape[:2]
    small_h, small_w = max(1, round(height * scale)), max(1, round(width * scale))
    top = round(float(record.params["y"]) * (height - small_h))
    left = round(float(record.params["x"]) * (width - small_w))
    return mad(photo, out[top : top + small_h, left : left + small_w])


@pytest.mark.parametrize("family", sorted(SWEEPS))
def test_stronger_parameters_change_the_image_more(family: str, photo: NDArray[np.uint8]) -> None:
    intensities, distances = [], []
    for spec in SWEEPS[family]:
        result = Compose.from_spec(spec)(photo, rng=0)
        intensities.append(result.record.intensity)
        if family == "paste":
            distances.append(_pasted_region(photo, spec, result.image))
        else:
            distances.append(mad(photo, result.image))
    assert all(a < b for a, b in itertools.pairwise(intensities)), intensities
    assert all(a < b for a, b in itertools.pairwise(distances)), distances
    assert distances[0] > 0


def test_chroma_subsampling_and_encoders(photo: NDArray[np.uint8]) -> None:
    sub420 = jpeg(photo, q=90, subsampling="420").image
    sub444 = jpeg(photo, q=90, subsampling="444").image
    assert mad(photo, sub420) > mad(photo, sub444)
    # simplejpeg and Pillow both wrap libjpeg-turbo: same quality, near-identical result
    other = jpeg(photo, q=90, encoder="simplejpeg").image
    assert mad(sub420, other) < 1.5


@pytest.mark.skipif(not HAVE_CV2, reason="opencv-python-headless not installed")
def test_opencv_encoder_matches_pillow_closely(photo: NDArray[np.uint8]) -> None:
    for subsampling in ("420", "444"):
        pillow = jpeg(photo, q=80, subsampling=subsampling).image
        opencv = jpeg(photo, q=80, encoder="opencv", subsampling=subsampling).image
        assert mad(pillow, opencv) < 2.0


def test_intensity_scales_are_documented_values(photo: NDArray[np.uint8]) -> None:
    def intensity(spec: str) -> float:
        return Compose.from_spec(spec)(photo, rng=0).record.intensity

    assert intensity("identity") == 0.0
    assert intensity("jpeg:q=75") == 25.0
    assert intensity("resize:scale=0.5") == pytest.approx(100 / 3)
    assert intensity("resize:scale=8") == 100.0
    assert intensity("rotate:deg=90") == 50.0
    assert intensity("rotate:deg=-90") == intensity("rotate:deg=270") == 50.0
    assert intensity("blur:sigma=2") == 20.0
    assert intensity("noise:sigma=5") == 10.0
    assert intensity("brightness:factor=2") == intensity("brightness:factor=0.5") == 50.0
    assert intensity("saturation:factor=0") == 100.0
    assert intensity("median:size=1") == 0.0
    assert intensity("hflip") == intensity("grayscale") == 100.0
    # crop: 100 * (1 - kept area); 96x128 at sqrt(0.5) keeps 68x91 pixels
    assert intensity("crop:area=0.5") == pytest.approx(100 * (1 - 68 * 91 / (96 * 128)))


def test_geometry_sizes(photo: NDArray[np.uint8]) -> None:
    assert resize(photo, scale=0.5).image.shape == (48, 64, 3)
    assert resize(photo, scale=1.5).image.shape == (144, 192, 3)
    assert resize(photo, scale=0.001).image.shape == (1, 1, 3)
    assert Compose.from_spec("stretch:x=0.8")(photo).image.shape == (96, 102, 3)
    assert Compose.from_spec("stretch:x=1,y=0.5")(photo).image.shape == (48, 128, 3)
    assert crop(photo, area=0.25).image.shape == (48, 64, 3)
    assert rotate(photo, deg=30).image.shape == photo.shape
    assert rotate(photo, deg=90, expand=True).image.shape == (128, 96, 3)
    assert Compose.from_spec("caption:height=0.25,extend=true")(photo).image.shape == (120, 128, 3)
    assert paste(photo, scale=0.3).image.shape == photo.shape


def test_flips_mirror_exactly(photo: NDArray[np.uint8]) -> None:
    assert np.array_equal(Compose.from_spec("hflip")(photo).image, photo[:, ::-1])
    assert np.array_equal(Compose.from_spec("vflip")(photo).image, photo[::-1])
    assert np.array_equal(Compose.from_spec("hflip|hflip")(photo).image, photo)


def test_crop_keeps_the_window_it_records(photo: NDArray[np.uint8]) -> None:
    result = crop(photo, area=0.5, x=0.0, y=1.0)
    # 96x128 keeps round(96 * 0.7071) = 68 rows and 91 columns, flush bottom-left
    assert np.array_equal(result.image, photo[96 - 68 :, :91])


def test_grayscale_and_colour_identities(photo: NDArray[np.uint8]) -> None:
    grey = Compose.from_spec("grayscale")(photo).image
    assert np.array_equal(grey[..., 0], grey[..., 1]) and np.array_equal(grey[..., 1], grey[..., 2])
    reference = np.asarray(Image.fromarray(photo).convert("L"))
    assert np.abs(grey[..., 0].astype(int) - reference).max() <= 1
    for spec in (
        "brightness:factor=1",
        "contrast:factor=1",
        "saturation:factor=1",
        "gamma:gamma=1",
    ):
        assert np.array_equal(Compose.from_spec(spec)(photo).image, photo), spec
    assert np.array_equal(Compose.from_spec("saturation:factor=0")(photo).image, grey)
    assert np.array_equal(Compose.from_spec("blur:sigma=0")(photo).image, photo)
    assert np.array_equal(Compose.from_spec("sharpen:amount=0")(photo).image, photo)


def test_noise_has_the_requested_spread() -> None:
    flat = np.full((200, 200, 3), 128, np.uint8)
    out = Noise(sigma=12.0)(flat, rng=0).image.astype(np.float64)
    assert out.std() == pytest.approx(12.0, rel=0.05)
    assert abs(out.mean() - 128) < 0.5


def test_inscribed_rectangle() -> None:
    # a unit square turned by 45 degrees holds a square of side 1 / sqrt(2)
    assert inscribed_size(1.0, 1.0, 45) == pytest.approx((2**-0.5, 2**-0.5))
    assert inscribed_size(40.0, 30.0, 0) == pytest.approx((40.0, 30.0))
    assert inscribed_size(40.0, 30.0, 90) == pytest.approx((30.0, 40.0))
    assert inscribed_size(40.0, 30.0, 180) == pytest.approx((40.0, 30.0))
    # a long thin strip: only the short side limits the rectangle
    width, height = inscribed_size(300.0, 10.0, 30)
    assert height == pytest.approx(5.0 / np.cos(np.radians(30)))
    assert width == pytest.approx(5.0 / np.sin(np.radians(30)))
    assert inscribed_size(0.0, 5.0, 10) == (0.0, 0.0)


@pytest.mark.parametrize("shape", [(96, 128), (128, 96), (40, 200), (64, 64)])
@pytest.mark.parametrize("degrees", [1, 5, 15, 30, 45, 60, 89, -20, 135, 200])
def test_rotate_crop_leaves_no_border(shape: tuple[int, int], degrees: float) -> None:
    white = np.full((*shape, 3), 255, np.uint8)
    out = rotate(white, deg=degrees, crop=True).image
    assert out.min() >= 250
    inner_w, inner_h = inscribed_size(shape[1], shape[0], degrees)
    assert out.shape[0] >= inner_h - 3 and out.shape[1] >= inner_w - 3


def test_resize_matches_pillow_when_antialiased(photo: NDArray[np.uint8]) -> None:
    filters = {
        "bilinear": Image.Resampling.BILINEAR,
        "bicubic": Image.Resampling.BICUBIC,
        "lanczos": Image.Resampling.LANCZOS,
        "area": Image.Resampling.BOX,
    }
    for interp, pillow_filter in filters.items():
        for scale in (0.3, 0.5, 0.75, 1.6):
            ours = resize(photo, scale=scale, interp=interp).image
            size = (ours.shape[1], ours.shape[0])
            theirs = np.asarray(Image.fromarray(photo).resize(size, pillow_filter))
            assert np.abs(ours.astype(int) - theirs).max() <= 2, (interp, scale)


@pytest.mark.skipif(not HAVE_CV2, reason="opencv-python-headless not installed")
def test_resize_without_antialias_matches_opencv(photo: NDArray[np.uint8]) -> None:
    import cv2

    for scale in (0.3, 0.5, 0.75, 2.0):
        ours = resize(photo, scale=scale, antialias=False).image
        size = (ours.shape[1], ours.shape[0])
        theirs = cv2.resize(photo, size, interpolation=cv2.INTER_LINEAR)
        assert np.abs(ours.astype(int) - theirs).max() <= 1, scale


def test_antialias_reduces_aliasing() -> None:
    # a one-pixel checkerboard shrunk by 0.3 should be flat grey; point sampling
    # leaves a strong moire pattern instead
    rows, cols = np.mgrid[0:64, 0:64]
    board = np.repeat((((rows + cols) % 2) * 255).astype(np.uint8)[:, :, None], 3, axis=2)
    for interp in ("bilinear", "bicubic", "lanczos"):
        smooth = resize(board, scale=0.3, interp=interp).image
        aliased = resize(board, scale=0.3, interp=interp, antialias=False).image
        assert smooth.std() < 2 and aliased.std() > 40, interp
        assert abs(smooth.mean() - 127.5) < 1


def test_paste_uses_a_given_background(photo: NDArray[np.uint8], tmp_path: object) -> None:
    background = np.zeros((50, 70, 3), np.uint8)
    result = paste(photo, scale=0.5, background=background, offset="center")
    assert result.record.params["background"] == "<array>"
    assert result.record.params["seed"] is None
    out = result.image
    assert out[0, 0].tolist() == [0, 0, 0] and out.shape == photo.shape
    pasted = out[24:72, 32:96]
    assert mad(resize(photo, scale=0.5).image, pasted) == 0.0


def test_paste_background_from_a_file(photo: NDArray[np.uint8], tmp_path: object) -> None:
    from pathlib import Path

    assert isinstance(tmp_path, Path)
    path = tmp_path / "bg.png"
    Image.fromarray(np.full((30, 30, 3), 200, np.uint8)).save(path)
    spec = f'paste:scale=0.5,offset=center,background="{path}"'
    out = Compose.from_spec(spec)(photo).image
    assert out[0, 0].tolist() == [200, 200, 200]
    assert isinstance(parse_spec(spec), Paste)


def test_procedural_backgrounds_are_seeded() -> None:
    a, b = random_background(40, 60, rng=1), random_background(40, 60, rng=1)
    assert np.array_equal(a, b) and a.shape == (40, 60, 3) and a.dtype == np.uint8
    assert not np.array_equal(a, random_background(40, 60, rng=2))


def test_screenshot_frames_and_shrinks(photo: NDArray[np.uint8]) -> None:
    full = screenshot(photo, scale=1.0, seed=5)
    assert full.image.shape[1] == photo.shape[1] and full.image.shape[0] > photo.shape[0]
    smaller = screenshot(photo, scale=0.6, seed=5)
    halved = screenshot(photo, scale=0.6, downscale=0.5, seed=5)
    assert smaller.image.shape[0] < full.image.shape[0]
    assert halved.image.shape[:2] == (round(smaller.image.shape[0] / 2), photo.shape[1] // 2)
    assert full.record.intensity < smaller.record.intensity < halved.record.intensity
    dark = screenshot(photo, scale=0.6, seed=5, theme="dark").image
    assert dark[-1].mean() < smaller.image[-1].mean()  # navigation bar colour


@pytest.mark.parametrize(
    ("build", "error"),
    [
        (lambda: Jpeg(q=0), ValueError),
        (lambda: Jpeg(q=101), ValueError),
        (lambda: Jpeg(q=7.5), TypeError),
        (lambda: Jpeg(encoder="libjpeg"), ValueError),
        (lambda: Resize(scale=0), ValueError),
        (lambda: Resize(scale=float("nan")), ValueError),
        (lambda: Resize(interp="cubic"), ValueError),
        (lambda: Resize(antialias=1), TypeError),
        (lambda: Rotate(deg=10, crop=True, expand=True), ValueError),
        (lambda: Rotate(fill="not-a-colour"), ValueError),
        (lambda: Crop(area=1.5), ValueError),
        (lambda: Crop(x=-0.1), ValueError),
        (lambda: Text(size=True), TypeError),
        (lambda: parse_spec("median:size=4"), ValueError),
        (lambda: parse_spec("noise:sigma=-1"), ValueError),
    ],
)
def test_invalid_parameters_are_rejected(build: object, error: type[Exception]) -> None:
    assert callable(build)
    with pytest.raises(error):
        build()


def test_functions_validate_like_classes(photo: NDArray[np.uint8]) -> None:
    with pytest.raises(ValueError, match="q must be in"):
        jpeg(photo, q=0)
    with pytest.raises(ValueError, match="interp must be one of"):
        resize(photo, interp="fast")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "bad",
    [
        np.zeros((8, 8), np.uint8),
        np.zeros((8, 8, 4), np.uint8),
        np.zeros((8, 8, 3), np.float32),
        np.zeros((0, 8, 3), np.uint8),
    ],
)
def test_images_must_be_uint8_rgb(bad: NDArray[np.generic]) -> None:
    with pytest.raises(ValueError):
        jpeg(bad)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        Compose.from_spec("blur")(bad)  # type: ignore[arg-type]


def test_non_arrays_and_bad_rngs_raise_type_errors(photo: NDArray[np.uint8]) -> None:
    with pytest.raises(TypeError):
        jpeg([[1, 2, 3]])  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Noise()(photo, rng="seed")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Noise()(photo, rng=True)


def test_transforms_are_frozen_hashable_values() -> None:
    a, b = Jpeg(q=75), Jpeg(q=75)
    assert a == b and hash(a) == hash(b) and a != Jpeg(q=74)
    with pytest.raises(AttributeError):
        a.q = 50  # type: ignore[misc]
    assert Resize(scale=2).scale == 2.0 and isinstance(Resize(scale=2).scale, float)
    assert isinstance(Jpeg(q=np.int64(70)).q, int)
    assert issubclass(Jpeg, Transform)


def test_missing_opencv_names_the_extra(
    photo: NDArray[np.uint8], monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "cv2", None)  # makes "import cv2" fail
    with pytest.raises(ImportError, match=r"pixelproof\[bench\]"):
        jpeg(photo, encoder="opencv")
