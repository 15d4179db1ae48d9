"""Human-readable terminal rendering of reports (the non-``--json`` output)."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.text import Text

from ..runner import Row

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


def print_report(row: Row[Any]) -> None:
    """Print one scan row as a header line plus one line per piece of evidence."""
    header = Text(row.path, style="bold")
    if row.result is None:
        header.append(f"  error ({row.error_type}): {row.error}", style="red")
        stdout.print(header)
        return
    if row.image is not None:
        facts = row.image
        header.append(f"  {facts.format} {facts.width}x{facts.height}", style="dim")
    stdout.print(header)
    for warning in row.warnings:
        stdout.print(Text(f"  ! {warning}", style="yellow"))
    findings = row.result
    for evidence in findings.evidence:
        line = Text("  ")
        line.append(f"{evidence.analyzer:<12}")
        line.append(f"{evidence.label:<13}", style=_LABEL_STYLES.get(evidence.label, ""))
        if evidence.score is not None:
            line.append(f"{evidence.score:5.2f}  ")
        line.append(evidence.explanation)
        stdout.print(line)
    for name, message in findings.analyzer_errors.items():
        stdout.print(Text(f"  {name:<12}failed: {message}", style="red"))
    if findings.skipped:
        stdout.print(
            Text(
                f"  {findings.profile} profile (triage): not run: {', '.join(findings.skipped)}; "
                "their silence is no finding.",
                style="yellow",
            )
        )
