"""Durable signing: mark, fingerprint, bind, sign and store, in that order.

The order matters. The watermark changes the pixels, so it goes in first; the
fingerprint is taken from the marked pixels as written (after the output's own
compression), since those are what will circulate; the soft-binding assertions name
both; and the signature's hard binding (the data hash) is computed last, over the
marked file, so the published pixels are the signed ones.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from pathlib import Path

from ..io import LoadedImage, load_image
from ..match import compute_features
from ..metadata import active_manifest, read_c2pa_store, sign_bytes
from ._bindings import identifier_hex, soft_binding_assertions
from ._repository import ManifestRepository, StoredManifest

WATERMARKED_ACTION = {
    "action": "c2pa.watermarked",
    "description": "pixelproof-tile-v2 watermark carrying this manifest's soft-binding "
    "identifier, added before signing",
}


@dataclass(frozen=True)
class SigningIdentity:
    """Who signs: a PEM certificate chain (leaf first), its key and the algorithm."""

    cert_chain: str | Path
    private_key: str | Path
    algorithm: str = "es256"


@dataclass(frozen=True)
class DurableSignature:
    """A signed, marked copy and what the repository now holds about it."""

    data: bytes
    manifest_id: str
    identifier: int
    mime: str
    manifest_bytes: int
    watermark_read_back: bool

    @property
    def identifier_hex(self) -> str:
        return identifier_hex(self.identifier)


def sign_durable(
    image: LoadedImage,
    repository: ManifestRepository,
    identity: SigningIdentity,
    *,
    watermark_key: str | bytes,
    title: str,
    fmt: str = "PNG",
    quality: int = 95,
    strength: float = 1.0,
    generator: str | None = None,
    digital_source_type: str | None = None,
) -> DurableSignature:
    """Sign ``image`` with durable Content Credentials and store them in ``repository``.

    Parameters
    ----------
    image : LoadedImage
        The decoded source (its metadata is carried over, as ``watermark embed`` does).
    repository : ManifestRepository
        Where the manifest store and the fingerprint go (opened for writing).
    identity : SigningIdentity
        The signing certificate chain and key.
    watermark_key : str or bytes
        The watermark key (``Settings.key``); recovery needs the same one.
    title, fmt, quality, strength, generator, digital_source_type
        The manifest's title, the output format (``PNG``, ``JPEG``, ``WEBP``) and its
        quality, the watermark strength, and the options of
        :func:`pixelproof.metadata.sign_bytes`.

    Returns
    -------
    DurableSignature
        The signed file's bytes (written by the caller), its manifest id and identifier.

    Raises
    ------
    ValueError
        An image too small to carry the mark, an unsupported format or source type.
    """
    from ..watermark import detect, marked_file_bytes

    identifier = repository.new_identifier()
    marked = marked_file_bytes(
        image,
        identifier_hex(identifier),
        key=watermark_key,
        strength=strength,
        fmt=fmt,
        quality=quality,
    )
    published = load_image(marked)
    read_back = detect(published, key=watermark_key).message == identifier_hex(identifier)
    features = compute_features(
        published.pixels,
        path=title,
        sha256=published.sha256,
        options=repository.feature_options(),
    )
    if features.ref_vectors is None:
        raise ValueError("no fingerprint was computed")
    assertions = soft_binding_assertions(
        identifier, features.ref_vectors[0], repository.fingerprints.descriptor.spec
    )
    signed = sign_bytes(
        marked,
        cert_chain=identity.cert_chain,
        private_key=identity.private_key,
        algorithm=identity.algorithm,
        title=title,
        generator=generator,
        digital_source_type=digital_source_type,
        assertions=assertions,
        actions=[WATERMARKED_ACTION],
        parent=image.data,
    )
    _, store = read_c2pa_store(signed.data)
    manifest_id = str((active_manifest(store or {})).get("label") or "")
    if not manifest_id:
        raise ValueError("the signed file's manifest cannot be read back")
    repository.add(
        StoredManifest(
            manifest_id=manifest_id,
            identifier=identifier,
            sha256=hashlib.sha256(signed.data).hexdigest(),
            title=title,
            mime=signed.mime,
            created=time.time(),
            store=signed.manifest_store,
        ),
        features,
    )
    return DurableSignature(
        signed.data, manifest_id, identifier, signed.mime, len(signed.manifest_store), read_back
    )
