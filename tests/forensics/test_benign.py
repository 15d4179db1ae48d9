"""Not accusing the innocent: the benign-processing generator, flat graphics stepping
aside, whole-image re-framing and repeated structure.

Images are procedural (the textured "photos" of ``test_forensics``), so no shared
data is needed.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest
from numpy.typing import NDArray
from PIL import Image

cv2 = pytest.importorskip("cv2")

from pixelproof.evidence import Label  # noqa: E402
from pixelproof.forensics import analyze, get_analysis, make_benign, photo_split  # noqa: E402
from pixelproof.forensics._benign import encode_jpeg, split_photos  # noqa: E402
from pixelproof.forensics._context import ImageContext  # noqa: E402
from pixelproof.io import load_image  # noqa: E402

from .test_forensics import context_of, jpeg, photo  # noqa: E402


def write_photos(folder: Path, count: int) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for index in range(count):
        path = folder / f"photo{index}.png"
        Image.fromarray(photo(300, 420, seed=100 + index)).save(path)
        paths.append(path)
    return paths


def test_benign_chains_are_seeded_recorded_and_readable(tmp_path: Path) -> None:
    photos = write_photos(tmp_path / "photos", 3)
    cases = make_benign(photos, tmp_path / "a", n=12, seed=5)
    again = make_benign(photos, tmp_path / "b", n=12, seed=5)
    assert [c.params for c in cases] == [c.params for c in again]
    assert [c.image_path.read_bytes() for c in cases] == [c.image_path.read_bytes() for c in again]
    manifest = json.loads((tmp_path / "a" / "cases.json").read_text())
    assert len(manifest) == 12
    steps = {s for c in cases for s in c.params["steps"]}
    assert any(s.startswith("jpeg-") for s in steps)
    for case in cases:
        assert case.kind == "authentic" and case.mask_path is None
        image = load_image(case.image_path)
        assert min(image.width, image.height) >= 128  # after a rotation's margins
        jpeg_saves = sum(s.startswith("jpeg-") for s in case.params["steps"])
        assert case.saves == jpeg_saves
        if "screenshot" in case.params["steps"]:
            assert case.image_path.suffix == ".png" and image.jpeg is None
        else:  # a PNG photo becomes a JPEG
            assert "png-to-jpeg" in case.params["steps"] and image.jpeg is not None


def test_benign_generator_refuses_nothing_usable(tmp_path: Path) -> None:
    tiny = tmp_path / "tiny.png"
    Image.fromarray(np.zeros((40, 40, 3), np.uint8)).save(tiny)
    with pytest.raises(ValueError, match="none could be loaded"):
        make_benign([tiny], tmp_path / "out", n=2)
    with pytest.raises(ValueError, match="n must be"):
        make_benign([tiny], tmp_path / "out", n=0)


def test_photo_split_is_by_name_and_covers_all_three_splits() -> None:
    names = [Path(f"/somewhere/{i:03d}.jpg") for i in range(200)]
    assert photo_split("/a/b/x.jpg") == photo_split("/elsewhere/x.jpg")
    counts = {s: len(split_photos(names, s)) for s in ("fit", "select", "report")}
    assert sum(counts.values()) == 200
    assert 70 <= counts["fit"] <= 130 and counts["select"] >= 20 and counts["report"] >= 40
    with pytest.raises(ValueError, match="split"):
        split_photos(names, "train")


@pytest.mark.parametrize("encoder", ["pillow", "opencv", "simplejpeg"])
@pytest.mark.parametrize("subsampling", ["420", "444"])
def test_each_encoder_writes_the_quality_and_subsampling_asked(
    encoder: str, subsampling: str
) -> None:
    data = encode_jpeg(photo(64, 96), 80, encoder, subsampling)
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == "JPEG"
        luma_sampling = image.layer[0][1:3]  # (h, v) sampling factors of Y
    assert luma_sampling == ((2, 2) if subsampling == "420" else (1, 1))
    with pytest.raises(ValueError, match="encoder"):
        encode_jpeg(photo(64, 96), 80, "gimp", "420")


def drawing() -> NDArray[np.uint8]:
    """A flat graphic: white page, coloured boxes, black lines (a chart or a slide)."""
    page = np.full((300, 400, 3), 255, np.uint8)
    cv2.rectangle(page, (40, 60), (180, 200), (0, 0, 255), -1)
    cv2.rectangle(page, (220, 90), (360, 250), (240, 120, 0), -1)
    for x in range(40, 380, 40):
        cv2.line(page, (x, 270), (x + 20, 280), (0, 0, 0), 2)
    cv2.putText(page, "Q3 sales", (60, 40), cv2.FONT_HERSHEY_SIMPLEX, 1.0, (0, 0, 0), 2)
    return page


def test_flat_graphics_make_the_photographic_analyses_step_aside() -> None:
    for data in (jpeg(drawing(), 85), drawing()):
        report = analyze(data)
        stepped = [n for n, r in report.results.items() if r.details.get("graphic")]
        assert "resampling" in stepped and "recolor" in stepped and "copymove" in stepped
        assert all(not report.results[n].informative for n in stepped)
        assert "flat graphic" in report.results["recolor"].explanation
        assert report.label == Label.INCONCLUSIVE
        assert "flat graphic" in report.explanation
        assert report.fused.details["graphic"] is True
        # Nothing looked: the score is the even-odds prior, and the map stays dark.
        assert report.score == 0.5 and float(report.fused.heatmap.max()) < 0.1
    assert ImageContext(drawing()).flat_graphic[0]
    assert not ImageContext(photo()).flat_graphic[0]


def fog(height: int = 320, width: int = 480) -> NDArray[np.uint8]:
    """A foggy scene: a smooth grey gradient over 60% of the frame, a dark textured
    pier below (the kind of low-texture photo a JPEG save makes mostly flat blocks)."""
    rng = np.random.default_rng(3)
    sky = np.linspace(150, 215, height)[:, None] + np.linspace(-12, 12, width)[None, :]
    grey = np.repeat(sky[..., None], 3, axis=2) + rng.normal(0, 0.6, (height, width, 1))
    horizon = int(height * 0.6)
    grey[horizon:] = 60 + rng.normal(0, 14, (height - horizon, width, 1))
    return np.clip(grey, 0, 255).astype(np.uint8)


def test_a_foggy_photo_saved_as_jpeg_is_not_a_graphic() -> None:
    context = ImageContext.from_loaded(load_image(jpeg(fog(), 60)))
    graphic, flat, colours, fill = context.flat_graphic
    # Flat and few coarse colours like a graphic (the test before the fill measure
    # took it for one), but its flat area is a gradient of many exact levels.
    assert flat > 0.45 and colours > 0.9
    assert fill < 0.1 and not graphic
    drawn = ImageContext.from_loaded(load_image(jpeg(drawing(), 60))).flat_graphic
    assert drawn[0] and drawn[3] > 0.5
    report = analyze(jpeg(fog(), 60))
    assert not any(r.details.get("graphic") for r in report.results.values())


def test_a_photo_cropped_and_saved_again_is_reframing_not_a_splice() -> None:
    first = load_image(jpeg(photo(320, 448, seed=7), 70)).pixels
    cropped = np.ascontiguousarray(first[3:, 5:])  # the earlier grid is now off by (3, 5)
    result = get_analysis("grid")(context_of(jpeg(cropped, 92)))
    assert result.details["foreign_grid_everywhere"] is True
    assert result.score < 0.1
    report = analyze(jpeg(cropped, 92))
    assert "cropped after a JPEG save" in report.fused.details["benign_processing"]
    assert "not evidence of manipulation" in report.explanation or (
        report.label == Label.MANIPULATED
    )


def test_a_pasted_block_from_another_jpeg_is_still_a_foreign_grid() -> None:
    host = photo(320, 448, seed=8)
    donor = load_image(jpeg(photo(320, 448, seed=9), 60)).pixels
    forged = host.copy()
    forged[100:196, 150:262] = donor[43:139, 61:173]  # off the host's grid
    result = get_analysis("grid")(context_of(jpeg(forged, 92)))
    assert result.details["foreign_grid_everywhere"] is False


def test_self_repeating_structure_is_not_a_clone() -> None:
    # Louvred shutters: a region of horizontal slats, copied with a 9% scale
    # elsewhere would match itself one slat away.
    from pixelproof.forensics._copymove import _self_similar

    y = np.arange(120, dtype=np.float32)[:, None] * np.ones((1, 160), np.float32)
    slats = (20.0 * np.sin(2 * np.pi * y / 9.0)).astype(np.float32)
    region = np.zeros((120, 160), bool)
    region[10:110, 10:150] = True
    assert _self_similar(slats, region, cv2)
    rng = np.random.default_rng(0)
    texture = cv2.GaussianBlur(rng.normal(size=(120, 160)).astype(np.float32), (0, 0), 1.0)
    assert not _self_similar(texture * 20.0, region, cv2)


def test_copymoves_hold_fine_detail_unless_any_region_is_asked(tmp_path: Path) -> None:
    from pixelproof.forensics import make_copymoves
    from pixelproof.forensics._forgeries import COPY_DETAIL

    # Half the frame is a smooth gradient (a clear sky), half textured.
    sky = photo(300, 420, seed=21)
    sky[:150] = np.linspace(120, 200, 420, dtype=np.uint8)[None, :, None]
    path = tmp_path / "sky.png"
    Image.fromarray(sky).save(path)
    textured = make_copymoves([path], tmp_path / "textured", n=6, seed=4)
    anything = make_copymoves([path], tmp_path / "any", n=6, seed=4, min_detail=0.0)
    assert all(c.params["copy_detail"] >= COPY_DETAIL for c in textured)
    assert all(c.load_mask() is not None for c in textured + anything)
    # Without the rule the first region drawn is kept, smooth or not.
    assert any(c.params["copy_detail"] < COPY_DETAIL for c in anything)


def test_a_copy_matching_its_sources_neighbours_too_is_repeated_structure() -> None:
    # A facade: the same window (a textured patch) every 40 pixels. The transform
    # from one window to another matches the window next to the source as well; a
    # clone of natural texture matches its source only.
    from pixelproof.forensics._copymove import _matches_elsewhere

    rng = np.random.default_rng(3)
    window = cv2.GaussianBlur(rng.normal(size=(24, 24)).astype(np.float32), (0, 0), 1.0) * 20
    facade = np.zeros((200, 320), np.float32)
    for top in range(8, 180, 40):
        for left in range(8, 300, 40):
            facade[top : top + 24, left : left + 24] = window
    shift = np.array([[1.0, 0.0, 120.0], [0.0, 1.0, 80.0]])
    copy = np.zeros(facade.shape, bool)
    copy[88:112, 168:192] = True  # the window at (168, 88), "copied" from (48, 8)
    assert _matches_elsewhere(facade, shift, copy, cv2)

    texture = cv2.GaussianBlur(rng.normal(size=(200, 320)).astype(np.float32), (0, 0), 1.0) * 20
    texture[88:112, 168:192] = texture[8:32, 48:72]  # a clone of one patch
    assert not _matches_elsewhere(texture, shift, copy, cv2)
