"""pixelproof: where an image came from and whether it can be trusted, offline.

The public entry points of the core are :func:`pixelproof.io.load_image`,
:func:`pixelproof.scan.scan_image` and the evidence types in
:mod:`pixelproof.evidence`; each capability lives in its own sub-package.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("pixelproof")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0"

__all__ = ["__version__"]
