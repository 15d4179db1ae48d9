"""OpenCV, imported once with an error that names the extra to install."""

from __future__ import annotations

try:
    import cv2
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError(
        "pixelproof.watermark needs OpenCV: pip install 'pixelproof[watermark]'"
    ) from exc

__all__ = ["cv2"]
