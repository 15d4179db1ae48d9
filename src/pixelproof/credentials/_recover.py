"""Recovering an image's Content Credentials: from the file, else from its pixels.

1. A manifest embedded in the file whose integrity holds is the answer
   (``found_by = "embedded"``); its watermark binding is still compared with the mark
   read from the pixels.
2. Otherwise (no manifest, a stripped copy, or an embedded manifest whose hard binding
   fails because the pixels were edited) the pixels are the key: the watermark's
   identifier (when detected at p <= 1e-6) is looked up in the repository, and the
   fingerprint is searched in its provenance index.

   - identifier found, and the fingerprint search puts the same manifest at a score
     of at least :data:`FINGERPRINT_AGREES` (0.5, the 1 %-false-match point of the
     calibrated match score): ``both``;
   - identifier found, fingerprint silent or weaker: ``watermark``;
   - no identifier, best fingerprint score at least :data:`FINGERPRINT_ALONE` and
     global similarity at least :data:`SIMILARITY_ALONE`: ``fingerprint``.

   A fingerprint alone must clear a stricter bar than a fingerprint that confirms a
   watermark, because it is the only evidence.

The recovered manifest store is validated against the image: its signature must hold;
its hard binding is expected to fail for a re-encoded copy (it hashes the signed
file's bytes), and is reported as it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from typing_extensions import TypedDict

from ..io import LoadedImage
from ..match import compute_features
from ..metadata import C2paReport, active_manifest, binding_status, read_c2pa_store
from ._bindings import (
    FINGERPRINT_ALG,
    WATERMARK_ALG,
    SoftBindings,
    identifier_hex,
    read_soft_bindings,
)
from ._repository import FingerprintHit, ManifestRepository, StoredManifest

FoundBy = Literal["embedded", "watermark", "fingerprint", "both"]

FINGERPRINT_AGREES = 0.5
"""A fingerprint score that confirms a manifest found by its watermark."""
FINGERPRINT_ALONE = 0.9
"""The fingerprint score that recovers a manifest on its own (no watermark read)."""
SIMILARITY_ALONE = 0.5
"""A fingerprint alone also needs the global descriptor to see the same picture
(cosine similarity; unrelated photos sit near 0.1): a copy, not a region that two
pictures share (an object pasted from one into the other verifies locally too)."""
WATERMARK_THRESHOLD = 1e-6
"""Largest watermark p-value whose identifier is looked up."""


class ManifestSummaryDict(TypedDict):
    """What the recovered manifest says (c2pa's words, summarised)."""

    manifest_id: str
    identifier: str | None
    title: str | None
    claim_generator: str | None
    signer: str | None
    signed_at: str | None
    digital_source_types: list[str]
    actions: list[str]


class VerificationDict(TypedDict):
    """The recovered manifest validated against this image.

    ``status`` is ``valid`` when the signature holds and nothing but the hard binding
    (and the signer's trust, reported apart) failed; ``hard_binding`` is ``match``
    only when these are the signed file's own bytes.
    """

    status: Literal["valid", "invalid"]
    signature: Literal["valid", "invalid"]
    hard_binding: Literal["match", "mismatch", "unknown"]
    trust: str
    failures: list[str]
    explanation: str


class WatermarkBindingDict(TypedDict):
    """The manifest's watermark identifier against the one read from the pixels."""

    expected: str | None
    read: str | None
    agrees: bool | None


class FingerprintBindingDict(TypedDict):
    """The manifest's fingerprint against the image (its calibrated match score)."""

    score: float | None
    agrees: bool | None


class SoftBindingCheckDict(TypedDict):
    """Each soft binding of the found manifest against what the pixels say."""

    algorithms: list[str]
    watermark: WatermarkBindingDict
    fingerprint: FingerprintBindingDict


class EmbeddedDict(TypedDict):
    """The manifest embedded in the file, if any."""

    status: str
    hard_binding: Literal["intact", "broken", "unknown"] | None
    manifest_id: str | None
    summary: str


class WatermarkReadDict(TypedDict):
    """What the watermark detector read (with the configured key)."""

    detected: bool
    identifier: str | None
    p_value: float
    in_repository: bool


class FingerprintMatchDict(TypedDict):
    """A repository manifest whose signed pixels the image resembles."""

    manifest_id: str
    score: float
    similarity: float
    inliers: int


class FingerprintReadDict(TypedDict):
    """The fingerprint search (not run when an intact embedded manifest answers)."""

    searched: bool
    matches: list[FingerprintMatchDict]


class RecoveryDict(TypedDict):
    """The JSON form of :class:`Recovery`: a ``credentials recover`` row's own fields."""

    found_by: FoundBy | None
    manifest: ManifestSummaryDict | None
    verification: VerificationDict | None
    soft_binding_agrees: bool | None
    soft_binding: SoftBindingCheckDict | None
    embedded: EmbeddedDict
    watermark: WatermarkReadDict
    fingerprint: FingerprintReadDict
    summary: str


@dataclass(frozen=True)
class Recovery:
    """The Content Credentials found for one image, and how."""

    found_by: FoundBy | None
    embedded: EmbeddedDict
    watermark: WatermarkReadDict
    fingerprint: FingerprintReadDict
    summary: str
    manifest: ManifestSummaryDict | None = None
    verification: VerificationDict | None = None
    soft_binding: SoftBindingCheckDict | None = None
    soft_binding_agrees: bool | None = None

    @property
    def hard_binding_broken(self) -> bool:
        """An embedded manifest whose hash no longer matches (pixels edited)."""
        return self.embedded["hard_binding"] == "broken"

    def to_dict(self) -> RecoveryDict:
        return {
            "found_by": self.found_by,
            "manifest": self.manifest,
            "verification": self.verification,
            "soft_binding_agrees": self.soft_binding_agrees,
            "soft_binding": self.soft_binding,
            "embedded": self.embedded,
            "watermark": self.watermark,
            "fingerprint": self.fingerprint,
            "summary": self.summary,
        }


def recover(
    image: LoadedImage,
    repository: ManifestRepository,
    *,
    watermark_key: str | bytes,
    trust_anchors: str | None = None,
) -> Recovery:
    """Find the Content Credentials of ``image``: embedded, else through ``repository``.

    Parameters
    ----------
    image : LoadedImage
        The image as loaded (its file bytes are read for an embedded manifest).
    repository : ManifestRepository
        The manifest repository (read-only is enough).
    watermark_key : str or bytes
        The watermark key the repository's images were marked with.
    trust_anchors : str, optional
        PEM file of trusted C2PA roots, for the signer's trust.
    """
    report, store = read_c2pa_store(image.data, trust_anchors=trust_anchors, fmt=image.format)
    embedded = _embedded(report, store)
    read_id, by_mark, watermark = _read_mark(image, repository, watermark_key)
    if store is not None and embedded["hard_binding"] == "intact":
        return _from_embedded(report, store, embedded, watermark, read_id)
    hits = _search(image, repository)
    fingerprint: FingerprintReadDict = {
        "searched": True,
        "matches": [
            {
                "manifest_id": h.manifest_id,
                "score": round(h.score, 4),
                "similarity": round(h.similarity, 4),
                "inliers": h.inliers,
            }
            for h in hits
        ],
    }
    found_by, found = _decide(repository, by_mark, hits)
    if found is None:
        summary = _not_found_summary(embedded, watermark, read_id)
        return Recovery(None, embedded, watermark, fingerprint, summary)
    found_report, found_store = read_c2pa_store(
        image.data, manifest=found.store, trust_anchors=trust_anchors, fmt=image.format
    )
    manifest = _summary_of(found.manifest_id, found_report, found_store, found.identifier)
    verification = _verification(found_report, found_store)
    check = _check(read_soft_bindings(_assertions(found_store)), read_id, found, hits)
    agrees = _agrees(check)
    summary = _found_summary(found_by, manifest, verification, embedded, agrees)
    return Recovery(
        found_by,
        embedded,
        watermark,
        fingerprint,
        summary,
        manifest=manifest,
        verification=verification,
        soft_binding=check,
        soft_binding_agrees=agrees,
    )


@dataclass(frozen=True)
class ContentMatch:
    """A manifest found for an image by one of its soft bindings.

    ``similarity_score`` is 0-100, as the Soft Binding Resolution API has it: 100 for
    a watermark identifier, 100 x the calibrated match score for a fingerprint.
    """

    manifest_id: str
    similarity_score: int
    found_by: Literal["watermark", "fingerprint"]


def content_matches(
    image: LoadedImage,
    repository: ManifestRepository,
    *,
    watermark_key: str | bytes,
    alg: str | None = None,
    max_results: int = 10,
) -> list[ContentMatch]:
    """The manifests ``image``'s pixels lead to, best first (``/matches/byContent``).

    ``alg`` restricts the lookup to one soft binding (:data:`WATERMARK_ALG` or
    :data:`FINGERPRINT_ALG`). Fingerprint candidates are listed from a calibrated
    score of :data:`FINGERPRINT_AGREES` (1 % false matches on unrelated images): the
    client weighs them by their score.
    """
    found: dict[str, ContentMatch] = {}
    if alg in (None, WATERMARK_ALG):
        _, by_mark, _ = _read_mark(image, repository, watermark_key)
        if by_mark is not None:
            found[by_mark.manifest_id] = ContentMatch(by_mark.manifest_id, 100, "watermark")
    if alg in (None, FINGERPRINT_ALG):
        for hit in _search(image, repository, k=max_results):
            score = round(100 * hit.score)
            if hit.score >= FINGERPRINT_AGREES and hit.manifest_id not in found:
                found[hit.manifest_id] = ContentMatch(hit.manifest_id, score, "fingerprint")
    ranked = sorted(found.values(), key=lambda m: -m.similarity_score)
    return ranked[:max_results]


def _read_mark(
    image: LoadedImage, repository: ManifestRepository, watermark_key: str | bytes
) -> tuple[int | None, StoredManifest | None, WatermarkReadDict]:
    from ..watermark import detect

    mark = detect(image, key=watermark_key, threshold=WATERMARK_THRESHOLD)
    read_id = int(mark.message, 16) if mark.detected and mark.message else None
    by_mark = repository.by_identifier(read_id) if read_id is not None else None
    watermark: WatermarkReadDict = {
        "detected": mark.detected,
        "identifier": None if read_id is None else identifier_hex(read_id),
        "p_value": float(mark.p_value),
        "in_repository": by_mark is not None,
    }
    return read_id, by_mark, watermark


def _search(
    image: LoadedImage, repository: ManifestRepository, *, k: int = 5
) -> list[FingerprintHit]:
    features = compute_features(
        image.pixels, path="query", sha256=image.sha256, options=repository.feature_options()
    )
    return repository.search(features, k=k)


def _decide(
    repository: ManifestRepository, by_mark: StoredManifest | None, hits: list[FingerprintHit]
) -> tuple[FoundBy | None, StoredManifest | None]:
    if by_mark is not None:
        confirmed = any(
            h.manifest_id == by_mark.manifest_id and h.score >= FINGERPRINT_AGREES for h in hits
        )
        return ("both" if confirmed else "watermark"), by_mark
    if hits and _recovers_alone(hits[0]):
        return "fingerprint", repository.by_manifest_id(hits[0].manifest_id)
    return None, None


def _recovers_alone(hit: FingerprintHit) -> bool:
    return hit.score >= FINGERPRINT_ALONE and hit.similarity >= SIMILARITY_ALONE


def _embedded(report: C2paReport, store: dict[str, Any] | None) -> EmbeddedDict:
    hard: Literal["intact", "broken", "unknown"] | None = None
    manifest_id = None
    if report.status in ("present", "error"):
        status = str(report.integrity.get("status", "unknown"))
        hard = "intact" if status == "intact" else "broken" if status == "broken" else "unknown"
    if store is not None:
        manifest_id = str(active_manifest(store).get("label") or "") or None
    return {
        "status": report.status,
        "hard_binding": hard,
        "manifest_id": manifest_id,
        "summary": report.summary,
    }


def _from_embedded(
    report: C2paReport,
    store: dict[str, Any],
    embedded: EmbeddedDict,
    watermark: WatermarkReadDict,
    read_id: int | None,
) -> Recovery:
    bindings = read_soft_bindings(_assertions(store))
    manifest = _summary_of(str(embedded["manifest_id"] or ""), report, store, bindings.identifier)
    verification = _verification(report, store)
    check: SoftBindingCheckDict = {
        "algorithms": list(bindings.algorithms),
        "watermark": _watermark_check(bindings.identifier, read_id),
        "fingerprint": {"score": None, "agrees": None},
    }
    agrees = _agrees(check)
    summary = (
        f"Embedded manifest {manifest['manifest_id']}: intact and bound to these pixels"
        f"; signer {verification['trust']}" + _agreement_words(agrees) + "."
    )
    return Recovery(
        "embedded",
        embedded,
        watermark,
        {"searched": False, "matches": []},
        summary,
        manifest=manifest,
        verification=verification,
        soft_binding=check,
        soft_binding_agrees=agrees,
    )


def _assertions(store: dict[str, Any] | None) -> list[Any]:
    found = active_manifest(store or {}).get("assertions")
    return found if isinstance(found, list) else []


def _summary_of(
    manifest_id: str, report: C2paReport, store: dict[str, Any] | None, identifier: int | None
) -> ManifestSummaryDict:
    claims = report.claims
    signer = (report.trust.get("signer") or {}).get("common_name")
    return {
        "manifest_id": manifest_id or str(active_manifest(store or {}).get("label") or ""),
        "identifier": None if identifier is None else identifier_hex(identifier),
        "title": claims.get("title"),
        "claim_generator": claims.get("claim_generator"),
        "signer": None if signer is None else str(signer),
        "signed_at": claims.get("signed_at"),
        "digital_source_types": [str(d["term"]) for d in claims.get("digital_source_types", [])],
        "actions": [str(a.get("action")) for a in claims.get("actions", [])],
    }


def _verification(report: C2paReport, store: dict[str, Any] | None) -> VerificationDict:
    status = binding_status(store or {})
    valid = status["signature"] == "valid" and not status["failures"]
    hard = status["hard_binding"]
    if not valid:
        explanation = "The manifest does not validate: " + (
            "; ".join(status["failures"]) or "its signature does not verify"
        )
    elif hard == "match":
        explanation = "The signature is valid and these are the signed file's own bytes."
    else:
        explanation = (
            "The signature is valid; the hard binding (a hash of the signed file) does not "
            "match these bytes, as expected for a copy whose metadata was stripped or "
            "which was re-encoded, cropped or resized."
        )
    return {
        "status": "valid" if valid else "invalid",
        "signature": status["signature"],
        "hard_binding": hard,
        "trust": str(report.trust.get("status", "unknown")),
        "failures": status["failures"],
        "explanation": explanation,
    }


def _watermark_check(expected: int | None, read: int | None) -> WatermarkBindingDict:
    return {
        "expected": None if expected is None else identifier_hex(expected),
        "read": None if read is None else identifier_hex(read),
        "agrees": None if expected is None or read is None else expected == read,
    }


def _check(
    bindings: SoftBindings,
    read_id: int | None,
    found: StoredManifest,
    hits: list[FingerprintHit],
) -> SoftBindingCheckDict:
    score = next((h.score for h in hits if h.manifest_id == found.manifest_id), None)
    rival = next((h for h in hits if h.manifest_id != found.manifest_id), None)
    fingerprint_agrees: bool | None
    if score is not None and score >= FINGERPRINT_AGREES:
        fingerprint_agrees = True
    elif rival is not None and _recovers_alone(rival):
        fingerprint_agrees = False  # the pixels are another manifest's
    else:
        fingerprint_agrees = None  # too little left of the picture to say
    return {
        "algorithms": list(bindings.algorithms),
        "watermark": _watermark_check(bindings.identifier, read_id),
        "fingerprint": {
            "score": None if score is None else round(score, 4),
            "agrees": fingerprint_agrees,
        },
    }


def _agrees(check: SoftBindingCheckDict) -> bool | None:
    """True when some binding read from the pixels agrees and none contradicts."""
    verdicts = [check["watermark"]["agrees"], check["fingerprint"]["agrees"]]
    if False in verdicts:
        return False
    return True if True in verdicts else None


def _agreement_words(agrees: bool | None) -> str:
    return {
        True: "; its soft bindings agree with the pixels",
        False: "; its soft bindings DISAGREE with the pixels",
        None: "; no soft binding could be checked against the pixels",
    }[agrees]


def _found_summary(
    found_by: FoundBy | None,
    manifest: ManifestSummaryDict,
    verification: VerificationDict,
    embedded: EmbeddedDict,
    agrees: bool | None,
) -> str:
    how = {
        "watermark": "its watermark",
        "fingerprint": "its fingerprint",
        "both": ("its watermark and its fingerprint"),
    }.get(str(found_by), str(found_by))
    head = ""
    if embedded["hard_binding"] == "broken":
        same = embedded["manifest_id"] == manifest["manifest_id"]
        head = "The embedded manifest's hard binding FAILS: the pixels changed after signing. " + (
            "It is the recovered original manifest; " if same else ""
        )
    return (
        f"{head}Recovered original manifest {manifest['manifest_id']} by {how}; "
        f"signature {verification['signature']}, hard binding {verification['hard_binding']}"
        f", signer {verification['trust']}" + _agreement_words(agrees) + "."
    )


def _not_found_summary(
    embedded: EmbeddedDict, watermark: WatermarkReadDict, read_id: int | None
) -> str:
    head = ""
    if embedded["hard_binding"] == "broken":
        head = "The embedded manifest's hard binding FAILS: the pixels changed after signing. "
    if read_id is not None and not watermark["in_repository"]:
        return head + (
            f"A watermark with identifier {identifier_hex(read_id)} was read, but this "
            "repository holds no manifest with it; no fingerprint matched either."
        )
    return head + (
        "No Content Credentials recovered: no embedded manifest holds, no known watermark "
        "and no fingerprint match in the repository. This proves nothing about the image."
    )
