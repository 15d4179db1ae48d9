"""Placeholder replaced by the HTML report implementation."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ..evidence import ImageReport


def write_html_report(
    reports: Sequence[ImageReport], path: Path, *, analyzer_titles: dict[str, str]
) -> None:
    path.write_text("<html></html>")
