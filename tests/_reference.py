"""Reference dependencies: skipped locally when missing, required in CI.

The reference tests compare pixelproof with an independent implementation (the
EfficientNet-Lite0 graph with torch's, SSIM with scikit-image's). ``make test``
installs the ``reference`` extra, so in CI (``CI`` set) a missing one is a failure,
never a silent skip.
"""

from __future__ import annotations

import importlib
import os
from types import ModuleType

import pytest


def reference_module(name: str) -> ModuleType:
    """Import ``name``; skip the test without it, except in CI, where it fails."""
    if os.environ.get("CI"):
        return importlib.import_module(name)
    return pytest.importorskip(name, reason="needs the 'reference' extra (torch, scikit-image)")
