"""Self-contained HTML reports of any command's rows: ``--report`` of ``pixelproof scan``,
``forensics``, ``match`` and ``dedup``.

>>> from pixelproof.report import write_report
>>> write_report(rows, "report.html", protect=inputs)   # doctest: +SKIP
"""

from ._dedup import write_dedup_report
from ._html import write_html_report
from ._report import kind_of, write_report

__all__ = ["kind_of", "write_dedup_report", "write_html_report", "write_report"]
