"""What the file says about being generated: metadata claims, Content Credentials, marks.

Each clue adds fixed log-odds to the pixel-level verdict. They are not fitted (there
is no honest data set of files with and without such claims): they encode how much a
clue is worth by its nature, strongest first:

- a Stable Diffusion invisible watermark, decoded with a tiny chance p-value: +6;
- an intact C2PA manifest declaring generative AI (a signed claim): +6 when the signer
  is trusted, +5 otherwise; an intact, trusted manifest declaring a camera capture: -3;
- generation parameters written by a generator (A1111, ComfyUI, InvokeAI, ...), or an
  IPTC digital source type of generative AI in XMP: +4 (unsigned claims, easy to add
  or strip; their absence proves nothing, so there is no negative counterpart);
- a generator's name in a software or credit field: +2.

Only the strongest clue of each source (``metadata``, ``c2pa``, ``watermark``) counts,
so one fact written twice is not counted twice. A clue names the generator when it
can; that name is the only attribution pixelproof makes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..io import LoadedImage

WATERMARK_LOG_ODDS = 6.0
C2PA_TRUSTED_LOG_ODDS = 6.0
C2PA_UNTRUSTED_LOG_ODDS = 5.0
C2PA_CAPTURE_LOG_ODDS = -3.0
CLAIM_LOG_ODDS = 4.0
MARKER_LOG_ODDS = 2.0
_UNNAMED = ("generative AI (unnamed)", "synthetic media (unnamed)", "None", "")


@dataclass(frozen=True)
class FileClue:
    """One piece of file evidence: where it came from, its weight and what it names."""

    source: str
    log_odds: float
    explanation: str
    generator: str | None = None


def _named(name: Any) -> str | None:
    text = None if name is None else str(name)
    return None if text is None or text in _UNNAMED else text


def metadata_clues(image: LoadedImage, *, trust_anchors: str | None) -> list[FileClue]:
    """Clues from generator traces and C2PA claims read by :mod:`pixelproof.metadata`."""
    from ..metadata import read_metadata
    from ..metadata.analyzers import c2pa_label

    report = read_metadata(image, trust_anchors=trust_anchors)
    clues: list[FileClue] = []
    for trace in report.generators:
        name = _named(trace.generator)
        if trace.source.startswith("C2PA"):
            if trace.parameters.get("integrity") != "intact":
                continue
            trusted = trace.parameters.get("signer_trust") == "trusted"
            weight = C2PA_TRUSTED_LOG_ODDS if trusted else C2PA_UNTRUSTED_LOG_ODDS
            signer = "a trusted" if trusted else "an untrusted"
            text = f"Intact Content Credentials signed by {signer} signer declare generative AI"
            clues.append(FileClue("c2pa", weight, text + (f" ({name})." if name else "."), name))
        elif trace.kind in ("parameters", "source_type"):
            category = trace.parameters.get("category")
            weight = MARKER_LOG_ODDS if category == "synthetic" else CLAIM_LOG_ODDS
            what = "generation parameters" if trace.kind == "parameters" else "a source type"
            text = f"The file carries {what} of {trace.generator} ({trace.source}): a claim."
            clues.append(FileClue("metadata", weight, text, name))
        else:
            text = f"A software or credit field names {trace.generator} ({trace.source})."
            clues.append(FileClue("metadata", MARKER_LOG_ODDS, text, name))
    if report.c2pa.present and c2pa_label(report.c2pa) == "authentic":
        text = "Intact Content Credentials from a trusted signer declare a camera capture."
        clues.append(FileClue("c2pa", C2PA_CAPTURE_LOG_ODDS, text))
    return clues


def watermark_clues(image: LoadedImage) -> list[FileClue]:
    """A clue when the Stable Diffusion invisible watermark is decoded."""
    try:
        from ..watermark import read_stable_diffusion_mark
    except ImportError:
        return []
    result = read_stable_diffusion_mark(image)
    if not result.detected:
        return []
    name = str(result.details.get("generator", "Stable Diffusion"))
    text = (
        f"Carries the invisible watermark {name} adds to its images "
        f"(chance on an unmarked image: {result.p_value:.1e})."
    )
    return [FileClue("watermark", WATERMARK_LOG_ODDS, text, name)]


def strongest_per_source(clues: list[FileClue]) -> list[FileClue]:
    """The clue of largest absolute weight of each source, in order of weight."""
    best: dict[str, FileClue] = {}
    for clue in clues:
        kept = best.get(clue.source)
        if kept is None or abs(clue.log_odds) > abs(kept.log_odds):
            best[clue.source] = clue
    return sorted(best.values(), key=lambda c: -abs(c.log_odds))
