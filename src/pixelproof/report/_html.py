"""The page machinery every pixelproof HTML page shares (templates/base.html.j2), and
:func:`write_html_report`, the scan report's original entry point.

One file, no network: styles and the few lines of script are inline, and every
picture is a ``data:`` URI. Jinja2 autoescaping is on for the whole template, since
file names, EXIF strings and explanations are untrusted text. A Content-Security-Policy
allows only the report's own inline style and script (by hash) and ``data:`` images.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from functools import cache
from importlib import resources
from pathlib import Path

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from .. import __version__
from ..io import ProtectedFiles, write_output
from ..runner import Row
from ..tasks.scan import ScanFindings


def write_html_report(
    reports: Sequence[Row[ScanFindings]], path: Path, *, analyzer_titles: dict[str, str]
) -> None:
    """Write one self-contained HTML file describing ``scan`` rows.

    :func:`~pixelproof.report.write_report` of ``reports``, kept for existing callers.

    Parameters
    ----------
    reports : sequence of Row
        In the order to show them; failed inputs get an error card.
    path : Path
        The file to write (UTF-8); its folder must exist.
    analyzer_titles : dict
        Human-readable analyzer titles by registry name.
    """
    from ._report import write_report

    write_report(reports, path, analyzer_titles=analyzer_titles, kind="scan")


def page_context(generated: datetime | None, *, css: str, js: str = "") -> dict[str, object]:
    """What ``base.html.j2`` needs: version, generation time, inline CSS and script
    (``js`` empty: none) and the Content-Security-Policy that allows just those."""
    when = (generated or datetime.now()).astimezone()
    return {
        "version": __version__,
        "generated_iso": when.isoformat(timespec="seconds"),
        "generated_text": when.strftime("%Y-%m-%d %H:%M:%S ") + _utc_offset(when),
        "css": Markup(css),
        "js": Markup(js),
        "csp": _csp(css, js),
    }


def write_page(
    template: str,
    context: Mapping[str, object],
    path: Path,
    *,
    protect: ProtectedFiles | Iterable[str | Path] = (),
) -> Path:
    """Render ``template`` to ``path`` with :func:`pixelproof.io.write_output`: streamed
    (pictures are made one at a time) into a temporary file that replaces ``path`` only
    once the page is complete, never through a link nor over a ``protect``-ed file."""
    pieces = _environment().get_template(template).generate(context)
    return write_output(path, _utf8(pieces), protect=protect)


def _utf8(pieces: Iterable[str], size: int = 1 << 16) -> Iterator[bytes]:
    """The rendered text as UTF-8, in chunks of about ``size`` characters."""
    buffer: list[str] = []
    held = 0
    for piece in pieces:
        buffer.append(piece)
        held += len(piece)
        if held >= size:
            yield "".join(buffer).encode("utf-8")
            buffer.clear()
            held = 0
    if buffer:
        yield "".join(buffer).encode("utf-8")


def _csp(css: str, js: str) -> str:
    return "; ".join(
        [
            "default-src 'none'",
            "img-src data:",
            f"style-src '{_sha256(css)}'",
            f"script-src '{_sha256(js)}'" if js else "script-src 'none'",
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


@cache
def asset(name: str) -> str:
    """A file of the templates folder (CSS, script) as text."""
    return (resources.files("pixelproof.report") / "templates" / name).read_text("utf-8")
