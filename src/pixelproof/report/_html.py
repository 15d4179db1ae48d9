"""The self-contained HTML report of ``pixelproof scan --report``.

One file, no network: styles and the few lines of script are inline, and every
picture is a ``data:`` URI. Jinja2 autoescaping is on for the whole template, since
file names, EXIF strings and explanations are untrusted text. A Content-Security-Policy
allows only the report's own inline style and script (by hash) and ``data:`` images.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence
from datetime import datetime
from functools import cache
from importlib import resources
from pathlib import Path

from jinja2 import Environment, PackageLoader, StrictUndefined, Template
from markupsafe import Markup

from .. import __version__
from ..runner import Row
from ..tasks.scan import ScanFindings
from ._images import MAX_SIZE
from ._view import cards, summary_rows

_TEMPLATE = "report.html.j2"


def write_html_report(
    reports: Sequence[Row[ScanFindings]], path: Path, *, analyzer_titles: dict[str, str]
) -> None:
    """Write one self-contained HTML file describing ``reports``.

    Parameters
    ----------
    reports : sequence of Row
        In the order to show them; failed inputs get an error card.
    path : Path
        The file to write (UTF-8); its folder must exist.
    analyzer_titles : dict
        Human-readable analyzer titles by registry name.
    """
    render_html_report(reports, path, analyzer_titles=analyzer_titles)


def render_html_report(
    reports: Sequence[Row[ScanFindings]],
    path: Path,
    *,
    analyzer_titles: dict[str, str],
    generated: datetime | None = None,
) -> None:
    """:func:`write_html_report` with a fixed generation time (for reproducible output)."""
    when = (generated or datetime.now()).astimezone()
    css, js = _asset("report.css"), _asset("report.js")
    failed = sum(not report.ok for report in reports)
    context = {
        "version": __version__,
        "generated_iso": when.isoformat(timespec="seconds"),
        "generated_text": when.strftime("%Y-%m-%d %H:%M:%S ") + _utc_offset(when),
        "total": len(reports),
        "failed": failed,
        "analysed": len(reports) - failed,
        "warned": sum(bool(report.warnings) for report in reports),
        "rows": summary_rows(reports, analyzer_titles),
        "cards": cards(reports, analyzer_titles),
        "css": Markup(css),
        "js": Markup(js),
        "csp": _csp(css, js),
        "max_size": MAX_SIZE,
    }
    # Cards (with their larger pictures) are built one at a time while streaming out,
    # into a temporary file that replaces ``path`` only once the report is complete.
    partial = path.with_name(f".{path.name}.partial")
    try:
        with partial.open("w", encoding="utf-8", newline="\n") as out:
            out.writelines(_template().generate(context))
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)


def _csp(css: str, js: str) -> str:
    return "; ".join(
        [
            "default-src 'none'",
            "img-src data:",
            f"style-src '{_sha256(css)}'",
            f"script-src '{_sha256(js)}'",
            "base-uri 'none'",
            "form-action 'none'",
        ]
    )


def _sha256(text: str) -> str:
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return "sha256-" + base64.b64encode(digest).decode("ascii")


def _utc_offset(when: datetime) -> str:
    offset = when.strftime("%z")  # "+0200"
    if not offset:
        return ""
    return f"UTC{offset[:3]}:{offset[3:]}" if offset != "+0000" else "UTC"


@cache
def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("pixelproof.report", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def _template() -> Template:
    return _environment().get_template(_TEMPLATE)


@cache
def _asset(name: str) -> str:
    return (resources.files("pixelproof.report") / "templates" / name).read_text("utf-8")
