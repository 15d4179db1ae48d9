"""Self-contained HTML reports."""

from ._html import write_html_report

__all__ = ["write_html_report"]
