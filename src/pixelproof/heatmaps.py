"""Writing heat-maps of reports to disk as grayscale PNGs."""

from __future__ import annotations

import re
from pathlib import Path

from .evidence import ImageReport

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def write_heatmaps(report: ImageReport, folder: Path) -> dict[str, str]:
    """Save every heat-map of ``report`` as ``<stem>-<sha8>.<analyzer>.png`` in ``folder``.

    Returns the written paths by analyzer name. The file hash in the name keeps
    images with the same name in different folders apart.
    """
    folder.mkdir(parents=True, exist_ok=True)
    stem = _UNSAFE.sub("_", Path(report.path).stem)[:80] or "image"
    tag = (report.sha256 or "")[:8]
    written: dict[str, str] = {}
    for evidence in report.evidence:
        if evidence.heatmap is None:
            continue
        name = f"{stem}-{tag}.{_UNSAFE.sub('_', evidence.analyzer)}.png"
        target = folder / name
        target.write_bytes(evidence.heatmap.to_png())
        written[evidence.analyzer] = str(target)
    return written
