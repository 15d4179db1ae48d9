"""Self-contained HTML reports: ``pixelproof scan --report`` and ``pixelproof dedup --report``."""

from ._dedup import write_dedup_report
from ._html import write_html_report

__all__ = ["write_dedup_report", "write_html_report"]
