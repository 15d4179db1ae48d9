"""Benchmark building blocks: image transformations, suites of them, and metrics.

* :mod:`pixelproof.bench.transforms`: every transform as a function and a class,
  frozen :class:`~pixelproof.bench.transforms.Applied` records, spec strings
  (``"crop:area=0.8,offset=random|resize:scale=0.75|jpeg:q=75"``) and the registry;
* :func:`load_suite`: named sets of transforms from TOML (``"default"``,
  ``"watermark"``, or a file);
* :mod:`pixelproof.bench.metrics`: detection, retrieval, watermark, image-quality
  and localisation metrics as plain numpy functions.

Everything listed in ``__all__`` of the two sub-packages is also importable from
here.
"""

from . import metrics, transforms
from ._suite import (
    Suite,
    SuiteEntry,
    available_suites,
    load_suite,
    nominal_intensity,
    probe_image,
)
from .metrics import *  # noqa: F403
from .metrics import __all__ as _metrics_all
from .transforms import *  # noqa: F403
from .transforms import __all__ as _transforms_all

__all__ = [
    "Suite",
    "SuiteEntry",
    "available_suites",
    "load_suite",
    "metrics",
    "nominal_intensity",
    "probe_image",
    "transforms",
    *_metrics_all,
    *_transforms_all,
]
