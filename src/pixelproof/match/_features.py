"""Everything computed from one image for indexing, searching or de-duplicating it.

The work happens here, in worker processes when asked (:func:`pixelproof.batch.parallel_map`),
so that the parent only writes to the index and searches it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from ..io import ImageLoadError, LoadLimits, load_image
from ._descriptors import GlobalDescriptor, create_descriptor, pdq_hash
from ._local import LocalFeatures, extract_local, mirror_image

ANALYSIS_SIDE = 1024  # larger images are shrunk once, before every tier


@dataclass(frozen=True)
class FeatureOptions:
    """What to compute and how (picklable, sent to the workers)."""

    descriptor: str = "effnet"
    local_side: int = 512
    local_features: int = 500
    reference: bool = True
    query: bool = False
    parts: bool = False  # also the query's part vectors (searching; not de-duplicating)
    limits: LoadLimits = field(default_factory=LoadLimits)


@dataclass(frozen=True)
class ImageFeatures:
    """Features of one image; the query-side fields are empty for pure indexing."""

    path: str
    sha256: str
    width: int
    height: int
    ref_vectors: NDArray[np.float32] | None
    query_vectors: NDArray[np.float32] | None
    part_vectors: NDArray[np.float32] | None
    local: LocalFeatures
    local_mirror: LocalFeatures | None
    pdq: bytes
    pdq_quality: int


@dataclass(frozen=True)
class FeatureFailure:
    """An input that could not be read or analysed."""

    path: str
    error: str
    error_type: str


_DESCRIPTORS: dict[str, GlobalDescriptor] = {}


def _descriptor(spec: str) -> GlobalDescriptor:
    if spec not in _DESCRIPTORS:
        _DESCRIPTORS[spec] = create_descriptor(spec)
    return _DESCRIPTORS[spec]


def shrink(rgb: NDArray[np.uint8], max_side: int = ANALYSIS_SIDE) -> NDArray[np.uint8]:
    """``rgb`` with its longest side at most ``max_side`` (area interpolation)."""
    height, width = rgb.shape[:2]
    if max(height, width) <= max_side:
        return rgb
    import cv2

    scale = max_side / max(height, width)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return np.asarray(cv2.resize(rgb, size, interpolation=cv2.INTER_AREA), dtype=np.uint8)


def compute_features(
    rgb: NDArray[np.uint8], *, path: str, sha256: str, options: FeatureOptions
) -> ImageFeatures:
    """All tiers for one decoded image."""
    height, width = rgb.shape[:2]
    small = shrink(rgb)
    descriptor = _descriptor(options.descriptor)
    bits, quality = pdq_hash(small)
    local = extract_local(small, max_side=options.local_side, n_features=options.local_features)
    mirror = None
    if options.query:
        mirror = extract_local(
            mirror_image(small), max_side=options.local_side, n_features=options.local_features
        )
    return ImageFeatures(
        path=path,
        sha256=sha256,
        width=width,
        height=height,
        ref_vectors=descriptor.reference(small) if options.reference else None,
        query_vectors=descriptor.query(small) if options.query else None,
        part_vectors=descriptor.parts(small) if options.query and options.parts else None,
        local=local,
        local_mirror=mirror,
        pdq=np.packbits(bits).tobytes(),
        pdq_quality=quality,
    )


def features_from_path(job: tuple[str, FeatureOptions]) -> ImageFeatures | FeatureFailure:
    """Worker entry point: decode ``path`` safely and compute its features."""
    path, options = job
    try:
        loaded = load_image(path, limits=options.limits)
    except ImageLoadError as exc:
        return FeatureFailure(path, exc.message, exc.code)
    except FileNotFoundError:
        return FeatureFailure(path, "no such file", "not_found")
    except IsADirectoryError:
        return FeatureFailure(path, "is a folder, not a file", "not_a_file")
    except PermissionError:
        return FeatureFailure(path, "permission denied", "permission_denied")
    except OSError as exc:
        return FeatureFailure(path, f"cannot read file: {exc.strerror or exc}", "read_error")
    try:
        return compute_features(loaded.pixels, path=path, sha256=loaded.sha256, options=options)
    except (ValueError, MemoryError) as exc:
        return FeatureFailure(path, f"analysis failed: {exc}", "analysis_error")


def crashed(job: tuple[str, FeatureOptions], error_type: str, message: str) -> FeatureFailure:
    """The result for an input whose worker died, timed out or ran out of memory."""
    return FeatureFailure(job[0], message, error_type)
