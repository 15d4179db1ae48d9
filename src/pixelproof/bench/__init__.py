"""Benchmark building blocks: image transformations, suites of them, and metrics.

* :mod:`pixelproof.bench.transforms`: every transform as a function and a class,
  frozen :class:`~pixelproof.bench.transforms.Applied` records, spec strings
  (``"crop:area=0.8,offset=random|resize:scale=0.75|jpeg:q=75"``) and the registry;
* :func:`load_suite`: named sets of transforms from TOML (``"default"``,
  ``"watermark"``, or a file);
* :mod:`pixelproof.bench.metrics`: detection, retrieval, watermark, image-quality
  and localisation metrics as plain numpy functions.

Everything listed in ``__all__`` of the two sub-packages is also importable from
here. :mod:`pixelproof.bench.metrics` is a leaf: it imports nothing else of this
package, so the capabilities (forensics, match, ...) may use it while the rest of the
harness (transforms, suites, runners, baselines) stays out of their imports. The
transforms and suites are therefore imported on first use of one of their names here
(PEP 562), not by ``import pixelproof.bench``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from . import metrics
from .metrics import *  # noqa: F403
from .metrics import __all__ as _metrics_all

if TYPE_CHECKING:
    from . import transforms
    from ._suite import Suite as Suite
    from ._suite import SuiteEntry as SuiteEntry
    from ._suite import available_suites as available_suites
    from ._suite import load_suite as load_suite
    from ._suite import nominal_intensity as nominal_intensity
    from ._suite import probe_image as probe_image
    from .transforms import *  # noqa: F403

_SUITE_NAMES = (
    "Suite",
    "SuiteEntry",
    "available_suites",
    "load_suite",
    "nominal_intensity",
    "probe_image",
)
# ``pixelproof.bench.transforms.__all__``, spelled out so that it is known without
# importing the transforms (tests/bench/test_suites.py checks that the two agree).
_TRANSFORM_NAMES = (
    "PRESETS",
    "TRANSFORMS",
    "Applied",
    "Blur",
    "Brightness",
    "Caption",
    "Color",
    "Compose",
    "Contrast",
    "Crop",
    "Emoji",
    "Gamma",
    "Grayscale",
    "HFlip",
    "Identity",
    "Jpeg",
    "Median",
    "Noise",
    "Odd",
    "Paste",
    "Range",
    "Resize",
    "RngLike",
    "Rotate",
    "Saturation",
    "Screenshot",
    "Sharpen",
    "Stretch",
    "Text",
    "Transform",
    "TransformResult",
    "VFlip",
    "Webp",
    "as_rng",
    "available_transforms",
    "blur",
    "brightness",
    "caption",
    "contrast",
    "create",
    "crop",
    "emoji",
    "gamma",
    "get_transform",
    "grayscale",
    "hflip",
    "identity",
    "inscribed_size",
    "jpeg",
    "make_result",
    "median",
    "noise",
    "parse_spec",
    "paste",
    "preset",
    "random_background",
    "register",
    "resize",
    "rotate",
    "saturation",
    "screenshot",
    "sharpen",
    "stretch",
    "text",
    "vflip",
    "webp",
)

__all__ = [
    *_SUITE_NAMES,
    "metrics",
    "transforms",
    *_metrics_all,
    *_TRANSFORM_NAMES,
]


def __getattr__(name: str) -> Any:
    """Import the transforms and suites on first use (see the module doc)."""
    if name == "transforms":
        return importlib.import_module(".transforms", __name__)
    if name in _SUITE_NAMES:
        return getattr(importlib.import_module("._suite", __name__), name)
    if name in _TRANSFORM_NAMES:
        return getattr(importlib.import_module(".transforms", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
