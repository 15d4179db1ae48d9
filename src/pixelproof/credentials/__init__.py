"""Durable Content Credentials: C2PA manifests that survive metadata stripping.

A C2PA manifest lives in the file's metadata, which most platforms strip on upload.
Durable credentials bind the manifest to the pixels as well (*soft bindings*), so
that it can be found again from a stripped, re-encoded, cropped copy:

1. :func:`sign_durable` draws a fresh 32-bit identifier, embeds it with pixelproof's
   keyed watermark, fingerprints the marked pixels with the provenance index's
   descriptor, records both in ``c2pa.soft-binding`` assertions
   (:data:`WATERMARK_ALG`, :data:`FINGERPRINT_ALG`), signs (the hard binding covers the
   marked pixels) and stores the manifest store and the fingerprint in a
   :class:`ManifestRepository`;
2. :func:`recover` returns the embedded manifest when it holds, else reads the
   watermark and searches the fingerprint, and looks both up in the repository.

>>> from pixelproof.credentials import ManifestRepository, recover
>>> with ManifestRepository("repo", readonly=True) as repo:      # doctest: +SKIP
...     found = recover(load_image("copy.jpg"), repo, watermark_key="secret")
...     found.found_by, found.manifest["manifest_id"]
('both', 'urn:c2pa:…')

Wrong recoveries: a watermark is only read at p <= 1e-6 (CRC included), and a mark
made with the same key for another repository carries a random identifier, which
names a manifest of this one with probability N / 2^32 for N manifests (2.3e-6 at
N = 10,000); ``found_by = "both"`` also needs the fingerprint of that very manifest at
a calibrated score >= 0.5, which unrelated images reach at most 1 % of the time, so
at most N / 2^32 * 0.01. A fingerprint alone recovers only at a score of 0.9 and a
global similarity of 0.5 (the same picture, not a shared pasted region).
"""

from ._bindings import (
    FINGERPRINT_ALG,
    SOFT_BINDING_LABEL,
    WATERMARK_ALG,
    SoftBindings,
    decode_fingerprint,
    decode_identifier,
    encode_identifier,
    identifier_hex,
    read_soft_bindings,
)
from ._durable import DurableSignature, SigningIdentity, sign_durable
from ._recover import (
    FINGERPRINT_AGREES,
    FINGERPRINT_ALONE,
    SIMILARITY_ALONE,
    ContentMatch,
    FoundBy,
    Recovery,
    RecoveryDict,
    content_matches,
    recover,
)
from ._repository import (
    FingerprintHit,
    ManifestRepository,
    RepositoryError,
    StoredManifest,
    open_readonly,
)
from ._testing import make_test_signer

__all__ = [
    "FINGERPRINT_AGREES",
    "FINGERPRINT_ALG",
    "FINGERPRINT_ALONE",
    "SIMILARITY_ALONE",
    "SOFT_BINDING_LABEL",
    "WATERMARK_ALG",
    "ContentMatch",
    "DurableSignature",
    "FingerprintHit",
    "FoundBy",
    "ManifestRepository",
    "Recovery",
    "RecoveryDict",
    "RepositoryError",
    "SigningIdentity",
    "SoftBindings",
    "StoredManifest",
    "content_matches",
    "decode_fingerprint",
    "decode_identifier",
    "encode_identifier",
    "identifier_hex",
    "make_test_signer",
    "open_readonly",
    "read_soft_bindings",
    "recover",
    "sign_durable",
]
