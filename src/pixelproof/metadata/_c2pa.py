"""Content Credentials (C2PA): read, validate and sign manifests with ``c2pa-python``.

Three questions get three separate answers, because verifiers that merge them confuse
people (a valid file shown as "untrusted", silence taken as validity):

1. **Integrity**: is the manifest intact, its signature valid, and its hard binding
   (the hash over the file's bytes) still matching, i.e. were these pixels signed?
2. **Signer trust**: does the signing certificate chain to a configured trust anchor?
   Without a configured list the answer is "untrusted: no trust list configured", which
   says nothing bad about the file.
3. **Claims**: what the manifest says (generator, digital source type, actions,
   ingredients). Claims are only as good as the answers to 1 and 2.

A file without a manifest has *unknown* provenance; that is not evidence of anything.
``c2pa-python`` is an optional dependency (``pip install 'pixelproof[c2pa]'``), imported
on first use. Validation is offline: remote manifests and OCSP are never fetched.
"""

from __future__ import annotations

import importlib
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any, NotRequired

from typing_extensions import TypedDict

from ..io import sniff_format
from ._generators import DIGITAL_SOURCE_TYPES, IPTC_SOURCE_TYPE_URI, source_type_term

TRUST_ANCHORS_ENV = "PIXELPROOF_TRUST_ANCHORS"
"""The variable the command line reads a trust list from (never read below the CLI)."""

_MIME = {
    "JPEG": "image/jpeg",
    "PNG": "image/png",
    "WEBP": "image/webp",
    "HEIF": "image/heif",
    "AVIF": "image/avif",
    "TIFF": "image/tiff",
    "GIF": "image/gif",
}
# Codes about the signer's credential rather than the integrity of the content.
_TRUST_PREFIXES = ("signingCredential.", "timeStamp.trusted", "timeStamp.untrusted")
_HASH_MATCH = (
    "assertion.dataHash.match",
    "assertion.boxesHash.match",
    "assertion.bmffHash.match",
    "assertion.collectionHash.match",
)


def load_c2pa() -> ModuleType:
    """Import ``c2pa`` (the ``c2pa-python`` package) or say which extra provides it."""
    try:
        return importlib.import_module("c2pa")
    except ImportError as exc:
        raise ImportError(
            "Content Credentials need the 'c2pa' extra: pip install 'pixelproof[c2pa]'"
        ) from exc


class C2paReportDict(TypedDict):
    """The JSON form of a :class:`C2paReport` (a ``meta`` or ``credentials verify``
    row's ``c2pa``); the manifest's fields only when one is ``present``."""

    status: str
    summary: str
    integrity: NotRequired[dict[str, Any]]
    trust: NotRequired[dict[str, Any]]
    claims: NotRequired[dict[str, Any]]
    validation_state: NotRequired[str | None]
    validation_status: NotRequired[list[dict[str, Any]]]
    validation_results: NotRequired[dict[str, Any]]
    manifests: NotRequired[int]
    error: NotRequired[str]


@dataclass(frozen=True)
class C2paReport:
    """What a C2PA manifest store says and how much of it holds.

    Attributes
    ----------
    status : str
        ``"no_manifest"`` (unknown provenance), ``"present"``, ``"unavailable"`` (a
        manifest seems present but c2pa-python is not installed) or ``"error"`` (the
        manifest store cannot be read at all).
    integrity : dict
        ``{"status": "intact" | "broken" | "unknown", "explanation", "codes"}``.
    trust : dict
        ``{"status": "trusted" | "untrusted" | "untrusted: no trust list configured" |
        "unknown", "trust_list", "validated_at", "signer", "explanation"}``.
    claims : dict
        Claim generator, title, digital source types, actions, ingredients, assertion
        labels and signature information of the active manifest.
    validation_state : str or None
        c2pa's overall state (``"Invalid"``, ``"Valid"``, ``"Trusted"``), verbatim.
    validation_status : list of dict
        c2pa's failure codes verbatim (``code``, ``url``, ``explanation``).
    validation_results : dict
        c2pa's full success / informational / failure lists, verbatim.
    summary : str
        One plain-language sentence.
    """

    status: str
    summary: str
    integrity: dict[str, Any] = field(default_factory=dict)
    trust: dict[str, Any] = field(default_factory=dict)
    claims: dict[str, Any] = field(default_factory=dict)
    validation_state: str | None = None
    validation_status: list[dict[str, Any]] = field(default_factory=list)
    validation_results: dict[str, Any] = field(default_factory=dict)
    manifests: int = 0
    error: str | None = None

    @property
    def present(self) -> bool:
        return self.status in ("present", "error", "unavailable")

    def to_dict(self) -> C2paReportDict:
        row: C2paReportDict = {"status": self.status, "summary": self.summary}
        if self.status == "present":
            row["integrity"] = self.integrity
            row["trust"] = self.trust
            row["claims"] = self.claims
            row["validation_state"] = self.validation_state
            row["validation_status"] = self.validation_status
            row["validation_results"] = self.validation_results
            row["manifests"] = self.manifests
        if self.error:
            row["error"] = self.error
        return row


def has_c2pa_marker(data: bytes) -> bool:
    """Cheap test: could the file carry an embedded or referenced manifest?"""
    return b"c2pa" in data or b"jumb" in data or b"contentauth" in data


def read_c2pa(
    source: bytes | str | Path,
    *,
    trust_anchors: str | Path | None = None,
    fmt: str | None = None,
) -> C2paReport:
    """Read and validate the C2PA manifest store of an image, offline.

    Parameters
    ----------
    source : bytes, str or Path
        The file's bytes or its path.
    trust_anchors : str or Path, optional
        A PEM file of trusted root (or intermediate) certificates. Without one, the
        signer is reported "untrusted: no trust list configured" (not invalid).
    fmt : str, optional
        The container format (``"JPEG"``, ``"PNG"``...); sniffed when omitted.

    Returns
    -------
    C2paReport
        Validation failures are data in the report, never exceptions.
    """
    return read_c2pa_store(source, trust_anchors=trust_anchors, fmt=fmt)[0]


def read_c2pa_store(
    source: bytes | str | Path,
    *,
    manifest: bytes | None = None,
    trust_anchors: str | Path | None = None,
    fmt: str | None = None,
) -> tuple[C2paReport, dict[str, Any] | None]:
    """:func:`read_c2pa`, plus c2pa's JSON form of the manifest store (None without one).

    With ``manifest`` (a detached manifest store, ``application/c2pa``), that store is
    validated against the asset ``source`` instead of any manifest embedded in it: the
    signature is checked as usual, and the hard binding tells whether ``source`` is
    the very file that was signed.
    """
    data = source if isinstance(source, bytes) else Path(source).read_bytes()
    if manifest is None and not has_c2pa_marker(data):
        return _no_manifest(), None
    try:
        c2pa = load_c2pa()
    except ImportError as exc:
        unavailable = C2paReport(
            status="unavailable",
            summary="The file may carry Content Credentials, but c2pa-python is not installed.",
            error=str(exc),
        )
        return unavailable, None
    anchors_path = str(trust_anchors) if trust_anchors else None
    settings: dict[str, Any] = {"verify": {"remote_manifest_fetch": False, "ocsp_fetch": False}}
    if anchors_path:
        pem = Path(anchors_path).read_text(encoding="utf-8")
        settings["trust"] = {"trust_anchors": pem}
    mime = _MIME.get(fmt or sniff_format(data[:32]) or "")
    validated_at = datetime.now(UTC).isoformat(timespec="seconds")
    try:
        context = c2pa.Context.from_dict(settings)
        reader = c2pa.Reader.try_create(mime, io.BytesIO(data), manifest, context)
        if reader is None:
            return _no_manifest(), None
        with reader:
            store = json.loads(reader.json())
    except c2pa.C2paError as exc:
        failed = C2paReport(
            status="error",
            summary="A Content Credentials manifest is present but cannot be read or validated.",
            integrity={"status": "broken", "explanation": str(exc), "codes": []},
            error=f"{type(exc).__name__}: {exc}",
        )
        return failed, None
    return _report(store, anchors_path, validated_at), store


def active_manifest(store: dict[str, Any]) -> dict[str, Any]:
    """The active manifest of c2pa's JSON form of a store (empty when there is none)."""
    manifests = store.get("manifests") or {}
    found = manifests.get(store.get("active_manifest") or "")
    return found if isinstance(found, dict) else {}


def binding_status(store: dict[str, Any]) -> dict[str, Any]:
    """Signature and hard binding of a store's active manifest, told apart.

    ``{"signature": "valid" | "invalid", "hard_binding": "match" | "mismatch" |
    "unknown", "failures": [codes that are neither about trust nor the hash]}``: a
    manifest found again for a re-encoded copy keeps a valid signature while its hard
    binding no longer matches, which is expected there and fatal for an embedded one.
    """
    results = (store.get("validation_results") or {}).get("activeManifest") or {}
    successes = [str(s.get("code")) for s in results.get("success") or []]
    failures = [str(f.get("code")) for f in results.get("failure") or []]
    if not results and store.get("validation_status"):
        failures = [str(f.get("code")) for f in store["validation_status"]]
    hash_failed = any("Hash.mismatch" in code for code in failures)
    signed = "claimSignature.validated" in successes and not any(
        code.startswith("claimSignature.") for code in failures
    )
    hard_binding = (
        "mismatch"
        if hash_failed
        else "match"
        if any(code in _HASH_MATCH for code in successes)
        else "unknown"
    )
    other = [c for c in failures if not _is_trust_code(c) and "Hash.mismatch" not in c]
    return {
        "signature": "valid" if signed else "invalid",
        "hard_binding": hard_binding,
        "failures": list(dict.fromkeys(other)),
    }


def _no_manifest() -> C2paReport:
    return C2paReport(
        status="no_manifest",
        summary=(
            "No Content Credentials: provenance unknown. Most images have none, "
            "so this is not evidence of anything."
        ),
    )


def _report(store: dict[str, Any], anchors: str | None, validated_at: str) -> C2paReport:
    manifests = store.get("manifests") or {}
    active = active_manifest(store)
    results = store.get("validation_results") or {}
    active_results = results.get("activeManifest") or {}
    failures = list(active_results.get("failure") or [])
    successes = list(active_results.get("success") or [])
    if not results and store.get("validation_status"):
        failures = list(store["validation_status"])
    integrity = _integrity(failures, successes)
    trust = _trust(failures, successes, active, anchors, validated_at, store)
    claims = _claims(active)
    ingredient_failures = [
        code
        for delta in results.get("ingredientDeltas") or []
        for code in ((delta.get("validationDeltas") or {}).get("failure") or [])
    ]
    if ingredient_failures:
        integrity["ingredient_failures"] = ingredient_failures
    summary = _summary(integrity, trust, claims)
    return C2paReport(
        status="present",
        summary=summary,
        integrity=integrity,
        trust=trust,
        claims=claims,
        validation_state=store.get("validation_state"),
        validation_status=list(store.get("validation_status") or []),
        validation_results=results,
        manifests=len(manifests),
    )


def _is_trust_code(code: str) -> bool:
    return code.startswith(_TRUST_PREFIXES)


def _integrity(failures: list[dict[str, Any]], successes: list[dict[str, Any]]) -> dict[str, Any]:
    broken = [f for f in failures if not _is_trust_code(str(f.get("code", "")))]
    codes = [str(s.get("code")) for s in successes]
    bound = any(code in _HASH_MATCH for code in codes)
    signed = "claimSignature.validated" in codes
    if broken:
        hash_broken = any("Hash.mismatch" in str(f.get("code")) for f in broken)
        explanation = (
            "The hash that binds the manifest to the file no longer matches: the pixels "
            "(or other bytes) changed after signing."
            if hash_broken
            else "The manifest failed validation: " + "; ".join(str(f.get("code")) for f in broken)
        )
        return {"status": "broken", "explanation": explanation, "codes": broken}
    if signed and bound:
        return {
            "status": "intact",
            "explanation": "The signature is valid and the file's bytes match the signed hash.",
            "codes": [],
        }
    return {
        "status": "unknown",
        "explanation": "c2pa reported no failure, but neither a valid signature and a "
        "matching content hash.",
        "codes": [],
    }


def _trust(
    failures: list[dict[str, Any]],
    successes: list[dict[str, Any]],
    active: dict[str, Any],
    anchors: str | None,
    validated_at: str,
    store: dict[str, Any],
) -> dict[str, Any]:
    signature = active.get("signature_info") or {}
    signer = {
        key: signature[key]
        for key in ("common_name", "issuer", "cert_serial_number", "alg", "time")
        if signature.get(key) is not None
    }
    trusted = [s for s in successes if str(s.get("code")) == "signingCredential.trusted"]
    bad = [f for f in failures if _is_trust_code(str(f.get("code", "")))]
    trust_list = anchors or None
    base = {"trust_list": trust_list, "validated_at": validated_at, "signer": signer}
    list_uri = (store.get("validation_results") or {}).get("trustListUri")
    if list_uri:
        base["c2pa_trust_list_uri"] = list_uri
    if trusted and not bad:
        where = anchors or "c2pa's built-in trust list"
        return {
            "status": "trusted",
            "explanation": f"The signing certificate chains to a trust anchor in {where}.",
            **base,
        }
    codes = [str(f.get("code")) for f in bad]
    if anchors is None and codes in ([], ["signingCredential.untrusted"]):
        return {
            "status": "untrusted: no trust list configured",
            "explanation": (
                "No trust list is configured, so the signer cannot be vouched for; this "
                "is not a sign that the file is invalid. Pass --trust-anchors (or set "
                f"${TRUST_ANCHORS_ENV}) to check the signer."
            ),
            **base,
        }
    if codes:
        reasons = {
            "signingCredential.untrusted": "does not chain to any configured trust anchor",
            "signingCredential.expired": "had expired when it signed",
            "signingCredential.revoked": "was revoked",
            "signingCredential.invalid": "is not valid for signing",
        }
        why = "; ".join(reasons.get(code, code) for code in codes)
        return {
            "status": "untrusted",
            "explanation": f"The signing certificate {why} (trust list: {trust_list}).",
            "codes": bad,
            **base,
        }
    return {"status": "unknown", "explanation": "c2pa did not report on the signer.", **base}


def _claims(active: dict[str, Any]) -> dict[str, Any]:
    claims: dict[str, Any] = {}
    generator_info = active.get("claim_generator_info") or []
    names = [str(g.get("name")) for g in generator_info if isinstance(g, dict) and g.get("name")]
    claims["claim_generator"] = active.get("claim_generator") or (names[0] if names else None)
    if generator_info:
        claims["claim_generator_info"] = generator_info
    for key in ("title", "format", "instance_id", "label"):
        if active.get(key):
            claims[key] = active[key]
    actions: list[dict[str, Any]] = []
    labels: list[str] = []
    source_types: list[str] = []
    for assertion in active.get("assertions") or []:
        label = str(assertion.get("label", ""))
        labels.append(label)
        if label.startswith("c2pa.actions"):
            for action in (assertion.get("data") or {}).get("actions") or []:
                entry = {"action": action.get("action")}
                agent = action.get("softwareAgent")
                if isinstance(agent, dict):
                    agent = agent.get("name")
                if agent:
                    entry["software_agent"] = agent
                for key in ("digitalSourceType", "when", "description", "reason"):
                    if action.get(key):
                        entry[_snake(key)] = action[key]
                dst = action.get("digitalSourceType")
                if isinstance(dst, str):
                    term = source_type_term(dst) or dst
                    if term not in source_types:
                        source_types.append(term)
                actions.append(entry)
    claims["actions"] = actions
    claims["digital_source_types"] = [
        {"term": term, "meaning": DIGITAL_SOURCE_TYPES.get(term, ("unknown term", "other"))[0]}
        for term in source_types
    ]
    claims["ingredients"] = [
        {
            key: ingredient.get(key)
            for key in ("title", "format", "relationship", "instance_id", "active_manifest")
            if ingredient.get(key) is not None
        }
        for ingredient in active.get("ingredients") or []
    ]
    claims["assertions"] = labels
    if any("soft-binding" in label or "watermark" in label for label in labels):
        claims["soft_binding"] = True
    signature = active.get("signature_info") or {}
    if signature.get("time"):
        claims["signed_at"] = signature["time"]
    return claims


def _summary(integrity: dict[str, Any], trust: dict[str, Any], claims: dict[str, Any]) -> str:
    generator = claims.get("claim_generator") or "an unnamed application"
    parts = [f"Content Credentials written by {generator}"]
    parts.append(
        {
            "intact": "intact and bound to these pixels",
            "broken": "BROKEN (" + str(integrity.get("explanation", "")).rstrip(".") + ")",
        }.get(str(integrity.get("status")), "integrity unknown")
    )
    parts.append(f"signer {trust.get('status')}")
    terms = [t["term"] for t in claims.get("digital_source_types", [])]
    if terms:
        parts.append("declares " + ", ".join(terms))
    return "; ".join(parts) + "."


def _snake(name: str) -> str:
    return "".join("_" + c.lower() if c.isupper() else c for c in name)


# -- signing ---------------------------------------------------------------------------


def source_type_uri(value: str) -> str:
    """The full IPTC URI for a digital source type given as a term or URI.

    Raises
    ------
    ValueError
        When the term is not in the IPTC vocabulary (the message lists the terms).
    """
    term = source_type_term(value)
    if term not in DIGITAL_SOURCE_TYPES:
        known = ", ".join(sorted(DIGITAL_SOURCE_TYPES))
        raise ValueError(f"digital source type {value!r} is not an IPTC term (known: {known})")
    return IPTC_SOURCE_TYPE_URI + term


@dataclass(frozen=True)
class SignedAsset:
    """A signed copy of an asset and the manifest store embedded in it."""

    data: bytes
    manifest_store: bytes
    mime: str


def sign_image(
    source: str | Path,
    destination: str | Path,
    *,
    cert_chain: str | Path,
    private_key: str | Path,
    generator: str | None = None,
    digital_source_type: str | None = None,
    title: str | None = None,
    algorithm: str = "es256",
) -> int:
    """Attach a signed C2PA manifest to a copy of an image.

    Parameters
    ----------
    source, destination : str or Path
        The image to sign and where to write the signed copy (never the same file).
    cert_chain : str or Path
        PEM file: the signing certificate first, then its intermediates. C2PA requires
        a leaf with the digitalSignature key usage and an allowed extended key usage
        (e.g. emailProtection or documentSigning, 1.3.6.1.5.5.7.3.36).
    private_key : str or Path
        PEM file of the signing key (PKCS#8).
    generator : str, optional
        Name of the software that made the content: the software agent of the
        ``c2pa.created`` action when a digital source type is given, else recorded in
        the claim generator information (``org.pixelproof.generator``).
    digital_source_type : str, optional
        IPTC term or URI (e.g. ``trainedAlgorithmicMedia`` for AI-generated content);
        recorded in a ``c2pa.created`` action. Without it the manifest records the
        source file as its parent ingredient (action ``c2pa.opened``).
    title : str, optional
        Defaults to the source's file name.
    algorithm : str
        ``es256`` (default), ``es384``, ``es512``, ``ps256``, ``ps384``, ``ps512`` or ``ed25519``.

    Returns
    -------
    int
        Size in bytes of the manifest store written.

    Raises
    ------
    ValueError
        For an unknown digital source type, an unsupported format, or source ==
        destination. ``ImportError`` without c2pa-python; ``c2pa.C2paError`` when the
        library refuses the certificate or the file.
    """
    source, destination = Path(source), Path(destination)
    if source.resolve() == destination.resolve():
        raise ValueError("destination must differ from source (the source is never modified)")
    signed = sign_bytes(
        source.read_bytes(),
        cert_chain=cert_chain,
        private_key=private_key,
        generator=generator,
        digital_source_type=digital_source_type,
        title=title or source.name,
        algorithm=algorithm,
    )
    destination.write_bytes(signed.data)
    return len(signed.manifest_store)


def sign_bytes(
    data: bytes,
    *,
    cert_chain: str | Path,
    private_key: str | Path,
    title: str,
    generator: str | None = None,
    digital_source_type: str | None = None,
    algorithm: str = "es256",
    assertions: Sequence[dict[str, Any]] = (),
    actions: Sequence[dict[str, Any]] = (),
    parent: bytes | None = None,
) -> SignedAsset:
    """Sign an image file held in memory (see :func:`sign_image` for the options).

    ``assertions`` are added to the manifest as given (``{"label", "data"}``), and
    ``actions`` after the ``c2pa.created`` or ``c2pa.opened`` action that starts every
    manifest. The hard binding (a hash over ``data``, the manifest excluded) covers
    exactly these bytes, so any change made to the pixels must happen before.
    ``parent`` is the file ``data`` was made from (without a digital source type): it
    becomes the parent ingredient instead of ``data`` itself, so that a manifest it
    carries stays in the chain.
    """
    mime = _MIME.get(sniff_format(data[:32]) or "")
    if mime is None:
        raise ValueError("cannot sign this file: format not supported (JPEG, PNG, WebP, ...)")
    c2pa = load_c2pa()
    from .. import __version__

    manifest: dict[str, Any] = {
        "claim_generator_info": [{"name": "pixelproof", "version": __version__}],
        "title": title,
        "format": mime,
    }
    listed: list[dict[str, Any]] = []
    if digital_source_type:
        # New content of a declared kind: a c2pa.created action naming its source type.
        action: dict[str, Any] = {
            "action": "c2pa.created",
            "digitalSourceType": source_type_uri(digital_source_type),
        }
        if generator:
            action["softwareAgent"] = {"name": generator}
        listed.append(action)
    elif generator:
        manifest["claim_generator_info"][0]["org.pixelproof.generator"] = generator
    listed.extend(actions)
    manifest["assertions"] = list(assertions)
    if listed:
        manifest["assertions"].append({"label": "c2pa.actions", "data": {"actions": listed}})
    info = c2pa.C2paSignerInfo(
        alg=algorithm.lower().encode("ascii"),
        sign_cert=Path(cert_chain).read_bytes(),
        private_key=Path(private_key).read_bytes(),
        ta_url=None,
    )
    settings = {
        "verify": {"verify_after_sign": False, "remote_manifest_fetch": False},
        "builder": {"thumbnail": {"enabled": False}},
    }
    context = c2pa.Context.from_dict(settings)
    signer = c2pa.Signer.from_info(info)
    out = io.BytesIO()
    with c2pa.Builder(manifest, context=context) as builder:
        if not digital_source_type:
            # Nothing declared about the content's origin: record the source file as the
            # parent ingredient, opened and signed (c2pa's "edit" intent).
            if parent is not None:
                parent_mime = _MIME.get(sniff_format(parent[:32]) or "", mime)
                ingredient = {"title": title, "relationship": "parentOf"}
                builder.add_ingredient_from_stream(ingredient, parent_mime, io.BytesIO(parent))
            builder.set_intent(c2pa.C2paBuilderIntent.EDIT)
        manifest_bytes = builder.sign(signer, mime, io.BytesIO(data), out)
    return SignedAsset(out.getvalue(), bytes(manifest_bytes), mime)
