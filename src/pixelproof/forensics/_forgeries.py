"""Synthetic forgeries with exact masks, made from real photos, for tests and benchmarks.

Every case starts from a photo. With ``saves=2`` the photo is first saved as JPEG
(like a camera or a web download), then edited, then saved again; with ``saves=1``
the edit is made on the photo as it is and saved once. Authentic controls go through
the same saves with no edit, so a detector cannot tell them apart by the saving alone.

Kinds of edit:

``splice``
    A region from another photo (itself saved as JPEG at another quality and possibly
    rescaled, as material found on the web usually is) pasted at a random position.
``copymove``
    A textured region of the same photo copied elsewhere, sometimes rotated or
    rescaled. The mask marks both the source and the copy: a detector cannot know
    which of two identical regions is the original.
``removal``
    An object-sized region erased with OpenCV inpainting (Telea or Navier-Stokes).
``recolor``
    A region whose hue (and saturation) is changed.
``authentic``
    No edit (``mask_path`` is None).
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ._common import require_cv2

KINDS = ("splice", "copymove", "removal", "recolor", "authentic")
MAX_PHOTO_SIDE = 1024
_MIN_SIDE = 128
COPY_DETAIL = 4.0  # grey levels: fine detail a copied region needs (make_copymoves)


@dataclass(frozen=True)
class ForgeryCase:
    """One generated image and its ground truth.

    Attributes
    ----------
    image_path : Path
        The JPEG to analyse.
    mask_path : Path or None
        Grayscale PNG of the image's size, 255 = manipulated; None for authentic
        controls.
    kind : str
        One of :data:`KINDS`.
    saves : int
        How many JPEG saves the image went through (1 or 2).
    params : dict
        Everything drawn at random (source photo, qualities, region, transform),
        JSON-serialisable, so a case can be described and replayed.
    """

    image_path: Path
    mask_path: Path | None
    kind: str
    saves: int
    params: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "image_path": str(self.image_path),
            "mask_path": None if self.mask_path is None else str(self.mask_path),
            "kind": self.kind,
            "saves": self.saves,
            "params": self.params,
        }

    @classmethod
    def from_dict(cls, row: dict[str, Any]) -> ForgeryCase:
        mask = row.get("mask_path")
        return cls(
            image_path=Path(row["image_path"]),
            mask_path=None if mask is None else Path(mask),
            kind=str(row["kind"]),
            saves=int(row["saves"]),
            params=dict(row.get("params", {})),
        )

    def load_mask(self) -> NDArray[np.bool_] | None:
        """The mask as a boolean array (None for authentic controls)."""
        if self.mask_path is None:
            return None
        from PIL import Image

        with Image.open(self.mask_path) as mask:
            return np.asarray(mask.convert("L")) >= 128


def make_forgeries(
    photos: Sequence[Path | str],
    out_dir: Path | str,
    *,
    n: int,
    seed: int | np.random.Generator | None = 0,
    kinds: Sequence[str] = KINDS,
    max_side: int = MAX_PHOTO_SIDE,
) -> list[ForgeryCase]:
    """Generate ``n`` forgeries and authentic controls from ``photos``.

    Parameters
    ----------
    photos : sequence of paths
        Source photos (any format :func:`pixelproof.io.load_image` reads). Photos
        larger than ``max_side`` are downscaled; smaller than 128 pixels are skipped.
        Splices need at least two photos.
    out_dir : path
        Folder for the images, masks and ``cases.json`` (created if needed).
    n : int
        Number of cases; kinds are used in turn, so they are balanced.
    seed : int, Generator or None
        Randomness.
    kinds : sequence of str
        Which of :data:`KINDS` to make.
    max_side : int
        Longest side of the generated images.

    Returns
    -------
    list of ForgeryCase
        Also written to ``out_dir/cases.json``.

    Raises
    ------
    ValueError
        On an unknown kind, ``n < 1`` or no usable photo.
    """
    unknown = sorted(set(kinds) - set(KINDS))
    if unknown:
        raise ValueError(f"kinds: unknown {unknown}; choose from {list(KINDS)}")
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    cv2 = require_cv2()
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    images = [(str(p), img) for p in photos if (img := load_photo(p, max_side)) is not None]
    if not images:
        raise ValueError("photos: none could be loaded (or all are smaller than 128 px)")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    cases: list[ForgeryCase] = []
    order = rng.permutation(len(images))
    for index in range(n):
        kind = kinds[index % len(kinds)]
        photo_index = int(order[index % len(images)])
        source, base = images[photo_index]
        saves = int(rng.integers(1, 3))
        params: dict[str, Any] = {"photo": source, "saves": saves}
        if saves == 2:
            first_quality = int(rng.integers(60, 96))
            params["first_quality"] = first_quality
            base = jpeg_roundtrip(base, first_quality)
        final_quality = int(rng.integers(65, 99))
        params["final_quality"] = final_quality
        forged, mask, extra = _edit(kind, base, images, photo_index, rng, cv2)
        params.update(extra)
        stem = f"{index:04d}_{kind}_s{saves}"
        image_path = out / f"{stem}.jpg"
        image_path.write_bytes(encode_jpeg(forged, final_quality))
        mask_path: Path | None = None
        if mask is not None:
            mask_path = out / f"{stem}_mask.png"
            write_mask(mask, mask_path)
            params["mask_fraction"] = round(float(mask.mean()), 5)
        cases.append(ForgeryCase(image_path, mask_path, kind, saves, params))
    (out / "cases.json").write_text(json.dumps([c.to_dict() for c in cases], indent=1) + "\n")
    return cases


def make_copymoves(
    photos: Sequence[Path | str],
    out_dir: Path | str,
    *,
    n: int,
    seed: int = 0,
    scale: tuple[float, float] = (0.8, 1.2),
    quality: tuple[int, int] = (75, 90),
    min_detail: float = COPY_DETAIL,
) -> list[ForgeryCase]:
    """``n`` copy-moves made to survive: the copy rescaled by a factor drawn from
    ``scale`` (no rotation), the image saved once as JPEG at a quality drawn from
    ``quality`` (inclusive). Same layout as :func:`make_forgeries`.

    The copied region must hold fine detail (an object or texture: the grey levels
    minus their Gaussian blur vary by at least ``min_detail``, default
    ``COPY_DETAIL``), drawn again up to 20 times otherwise: a cloned patch of clear
    sky or defocused background is invisible, and no copy-move method can or needs
    to find it. ``min_detail=0`` takes the first region drawn, whatever it holds.
    The region's detail is recorded as ``params["copy_detail"]``.
    """
    cv2 = require_cv2()
    rng = np.random.default_rng(seed)
    images = [(str(p), img) for p in photos if (img := load_photo(p, MAX_PHOTO_SIDE)) is not None]
    if not images or n < 1:
        raise ValueError("photos: none could be loaded, or n < 1")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    order = rng.permutation(len(images))
    cases = []
    for index in range(n):
        source, base = images[int(order[index % len(images)])]
        gray = cv2.cvtColor(base, cv2.COLOR_RGB2GRAY).astype(np.float32)
        detail = gray - cv2.GaussianBlur(gray, (0, 0), 2.0)
        for _ in range(20):
            forged, mask, extra = _copy_move(base, rng, cv2, scale_range=scale)
            copy_detail = float(detail[mask].std())
            if copy_detail >= min_detail:
                break
        final_quality = int(rng.integers(quality[0], quality[1] + 1))
        params = {
            "photo": source,
            "saves": 1,
            "final_quality": final_quality,
            "copy_detail": round(copy_detail, 2),
            **extra,
        }
        image_path = out / f"{index:04d}_copymove.jpg"
        image_path.write_bytes(encode_jpeg(forged, final_quality))
        mask_path = out / f"{index:04d}_copymove_mask.png"
        write_mask(mask, mask_path)
        cases.append(ForgeryCase(image_path, mask_path, "copymove", 1, params))
    (out / "cases.json").write_text(json.dumps([c.to_dict() for c in cases], indent=1) + "\n")
    return cases


def load_cases(path: Path | str) -> list[ForgeryCase]:
    """Read the ``cases.json`` written by :func:`make_forgeries`."""
    rows = json.loads(Path(path).read_text())
    return [ForgeryCase.from_dict(row) for row in rows]


# -- edits ----------------------------------------------------------------------------


def _edit(
    kind: str,
    base: NDArray[np.uint8],
    images: list[tuple[str, NDArray[np.uint8]]],
    photo_index: int,
    rng: np.random.Generator,
    cv2: Any,
) -> tuple[NDArray[np.uint8], NDArray[np.bool_] | None, dict[str, Any]]:
    if kind == "authentic":
        return base, None, {}
    if kind == "splice":
        return _splice(base, images, photo_index, rng, cv2)
    if kind == "copymove":
        return _copy_move(base, rng, cv2)
    if kind == "removal":
        return _removal(base, rng, cv2)
    return _recolor(base, rng, cv2)


def _splice(
    base: NDArray[np.uint8],
    images: list[tuple[str, NDArray[np.uint8]]],
    photo_index: int,
    rng: np.random.Generator,
    cv2: Any,
) -> tuple[NDArray[np.uint8], NDArray[np.bool_], dict[str, Any]]:
    height, width = base.shape[:2]
    choices = [i for i in range(len(images)) if i != photo_index] or [photo_index]
    donor_name, donor = images[int(rng.choice(choices))]
    extra: dict[str, Any] = {"donor": donor_name}
    if rng.random() < 0.7:
        donor_quality = int(rng.integers(50, 96))
        donor = jpeg_roundtrip(donor, donor_quality)
        extra["donor_quality"] = donor_quality
    if rng.random() < 0.5:
        scale = float(rng.uniform(0.6, 1.4))
        donor = cv2.resize(
            donor,
            (max(16, round(donor.shape[1] * scale)), max(16, round(donor.shape[0] * scale))),
            interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR,
        )
        extra["donor_scale"] = round(scale, 3)
    mask, box = blob_mask(height, width, rng, cv2, area=(0.015, 0.10))
    top, left, bottom, right = box
    box_h, box_w = bottom - top, right - left
    if donor.shape[0] < box_h or donor.shape[1] < box_w:
        donor = cv2.resize(donor, (max(box_w, donor.shape[1]), max(box_h, donor.shape[0])))
    d_top = int(rng.integers(0, donor.shape[0] - box_h + 1))
    d_left = int(rng.integers(0, donor.shape[1] - box_w + 1))
    forged = base.copy()
    region = mask[top:bottom, left:right]
    forged[top:bottom, left:right][region] = donor[d_top : d_top + box_h, d_left : d_left + box_w][
        region
    ]
    extra["box"] = [left, top, right, bottom]
    return forged, mask, extra


def _copy_move(
    base: NDArray[np.uint8],
    rng: np.random.Generator,
    cv2: Any,
    scale_range: tuple[float, float] | None = None,
) -> tuple[NDArray[np.uint8], NDArray[np.bool_], dict[str, Any]]:
    height, width = base.shape[:2]
    gray = cv2.cvtColor(base, cv2.COLOR_RGB2GRAY)
    best: tuple[NDArray[np.bool_], tuple[int, int, int, int]] | None = None
    for _ in range(12):  # prefer a region with some texture: flat copies are invisible
        mask, box = blob_mask(height, width, rng, cv2, area=(0.01, 0.06))
        if float(gray[mask].std()) >= 10.0:
            best = (mask, box)
            break
        best = best or (mask, box)
    assert best is not None
    source, (top, left, bottom, right) = best
    angle = scale = 0.0
    if scale_range is not None:  # a rescaled copy without rotation
        transformed = True
        scale = float(rng.uniform(*scale_range))
    elif transformed := bool(rng.random() < 0.35):
        angle = float(rng.uniform(-25, 25))
        scale = float(rng.uniform(0.85, 1.15))
    box_h, box_w = bottom - top, right - left
    for _ in range(50):
        new_top = int(rng.integers(0, max(1, height - box_h)))
        new_left = int(rng.integers(0, max(1, width - box_w)))
        if abs(new_top - top) >= box_h * 0.9 or abs(new_left - left) >= box_w * 0.9:
            break
    center = (left + box_w / 2.0, top + box_h / 2.0)
    matrix = cv2.getRotationMatrix2D(center, angle, scale if transformed else 1.0)
    matrix[0, 2] += new_left - left
    matrix[1, 2] += new_top - top
    warped = cv2.warpAffine(base, matrix, (width, height), flags=cv2.INTER_LINEAR)
    target = (
        cv2.warpAffine(
            source.astype(np.uint8) * 255, matrix, (width, height), flags=cv2.INTER_LINEAR
        )
        >= 128
    )
    target &= ~source  # overlap stays the source
    forged = base.copy()
    forged[target] = warped[target]
    extra = {
        "source_box": [left, top, right, bottom],
        "offset": [new_left - left, new_top - top],
        "angle": round(angle, 2),
        "scale": round(scale, 3) if transformed else 1.0,
        "target_fraction": round(float(target.mean()), 5),
    }
    return forged, source | target, extra


def _removal(
    base: NDArray[np.uint8], rng: np.random.Generator, cv2: Any
) -> tuple[NDArray[np.uint8], NDArray[np.bool_], dict[str, Any]]:
    height, width = base.shape[:2]
    mask, box = blob_mask(height, width, rng, cv2, area=(0.01, 0.06))
    method = "telea" if rng.random() < 0.5 else "ns"
    flags = cv2.INPAINT_TELEA if method == "telea" else cv2.INPAINT_NS
    bgr = cv2.cvtColor(base, cv2.COLOR_RGB2BGR)
    filled = cv2.inpaint(bgr, mask.astype(np.uint8) * 255, 5, flags)
    forged = cv2.cvtColor(filled, cv2.COLOR_BGR2RGB)
    out = base.copy()
    out[mask] = forged[mask]
    return out, mask, {"method": method, "box": [box[1], box[0], box[3], box[2]]}


def _recolor(
    base: NDArray[np.uint8], rng: np.random.Generator, cv2: Any
) -> tuple[NDArray[np.uint8], NDArray[np.bool_], dict[str, Any]]:
    height, width = base.shape[:2]
    mask, box = blob_mask(height, width, rng, cv2, area=(0.015, 0.10))
    hsv = cv2.cvtColor(base, cv2.COLOR_RGB2HSV).astype(np.int32)
    hue_shift = int(rng.integers(15, 165))  # OpenCV hue units (2 degrees)
    saturation = float(rng.uniform(0.8, 1.6))
    hsv[..., 0] = (hsv[..., 0] + hue_shift) % 180
    hsv[..., 1] = np.clip(np.rint(hsv[..., 1] * saturation), 0, 255)
    changed = cv2.cvtColor(hsv.astype(np.uint8), cv2.COLOR_HSV2RGB)
    out = base.copy()
    out[mask] = changed[mask]
    return (
        out,
        mask,
        {
            "hue_shift_degrees": 2 * hue_shift,
            "saturation_scale": round(saturation, 3),
            "box": [box[1], box[0], box[3], box[2]],
        },
    )


def blob_mask(
    height: int,
    width: int,
    rng: np.random.Generator,
    cv2: Any,
    *,
    area: tuple[float, float],
) -> tuple[NDArray[np.bool_], tuple[int, int, int, int]]:
    """A random star-shaped blob covering a fraction ``area`` of the image.

    Returns the full-size mask and its box ``(top, left, bottom, right)``.
    """
    fraction = float(rng.uniform(*area))
    aspect = float(rng.uniform(0.6, 1.6))
    radius = math.sqrt(fraction * height * width / math.pi)
    ry, rx = radius / math.sqrt(aspect), radius * math.sqrt(aspect)
    ry, rx = min(ry, height * 0.4), min(rx, width * 0.4)
    angles = np.linspace(0.0, 2.0 * math.pi, 64, endpoint=False)
    wobble = np.ones_like(angles)
    for k in range(2, 6):
        wobble += rng.uniform(0.0, 0.12) * np.sin(k * angles + rng.uniform(0, 2 * math.pi))
    cy = float(rng.uniform(ry * 1.2, height - ry * 1.2))
    cx = float(rng.uniform(rx * 1.2, width - rx * 1.2))
    points = np.stack([cx + rx * wobble * np.cos(angles), cy + ry * wobble * np.sin(angles)], 1)
    canvas = np.zeros((height, width), dtype=np.uint8)
    cv2.fillPoly(canvas, [np.round(points).astype(np.int32)], 255)
    mask = canvas > 0
    rows, cols = np.nonzero(mask)
    box = (int(rows.min()), int(cols.min()), int(rows.max()) + 1, int(cols.max()) + 1)
    return mask, box


# -- files ----------------------------------------------------------------------------


def load_photo(path: Path | str, max_side: int) -> NDArray[np.uint8] | None:
    """A photo as RGB, shrunk to ``max_side`` (area resampling); None if unusable."""
    from ..io import ImageLoadError, load_image

    try:
        pixels = load_image(path).pixels
    except (ImageLoadError, OSError):
        return None
    height, width = pixels.shape[:2]
    if min(height, width) < _MIN_SIDE:
        return None
    if max(height, width) > max_side:
        cv2 = require_cv2()
        scale = max_side / max(height, width)
        pixels = cv2.resize(
            pixels,
            (round(width * scale), round(height * scale)),
            interpolation=cv2.INTER_AREA,
        )
    return np.ascontiguousarray(pixels)


def encode_jpeg(pixels: NDArray[np.uint8], quality: int) -> bytes:
    """A 4:2:0 JPEG of ``pixels``, as every forgery is saved."""
    import simplejpeg

    data: bytes = simplejpeg.encode_jpeg(
        np.ascontiguousarray(pixels), quality=quality, colorsubsampling="420"
    )
    return data


def jpeg_roundtrip(pixels: NDArray[np.uint8], quality: int) -> NDArray[np.uint8]:
    """``pixels`` after one JPEG save at ``quality`` (an earlier compression)."""
    import simplejpeg

    return np.asarray(simplejpeg.decode_jpeg(encode_jpeg(pixels, quality)), dtype=np.uint8)


def write_mask(mask: NDArray[np.bool_], path: Path) -> None:
    """The ground-truth mask as a grayscale PNG (255 = manipulated)."""
    from PIL import Image

    Image.fromarray(mask.astype(np.uint8) * 255, "L").save(path)
