"""Human-readable terminal rendering of reports (the non-``--json`` output)."""

from __future__ import annotations

from rich.console import Console
from rich.text import Text

from ..evidence import ImageReport

stdout = Console(highlight=False, soft_wrap=True)

_LABEL_STYLES = {
    "manipulated": "bold red",
    "synthetic": "bold magenta",
    "watermarked": "bold cyan",
    "match": "bold cyan",
    "authentic": "green",
    "real": "green",
    "inconclusive": "yellow",
    "info": "dim",
}


def print_report(report: ImageReport) -> None:
    """Print one report as a header line plus one line per piece of evidence."""
    header = Text(report.path, style="bold")
    if not report.ok:
        header.append(f"  error ({report.error_type}): {report.error}", style="red")
        stdout.print(header)
        return
    if report.image is not None:
        facts = report.image
        header.append(f"  {facts.format} {facts.width}x{facts.height}", style="dim")
    stdout.print(header)
    for warning in report.warnings:
        stdout.print(Text(f"  ! {warning}", style="yellow"))
    for evidence in report.evidence:
        line = Text("  ")
        line.append(f"{evidence.analyzer:<12}")
        line.append(f"{evidence.label:<13}", style=_LABEL_STYLES.get(evidence.label, ""))
        if evidence.score is not None:
            line.append(f"{evidence.score:5.2f}  ")
        line.append(evidence.explanation)
        stdout.print(line)
    for name, message in report.analyzer_errors.items():
        stdout.print(Text(f"  {name:<12}failed: {message}", style="red"))
