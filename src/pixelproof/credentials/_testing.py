"""A throwaway signing identity for tests, demonstrations and benchmarks.

C2PA needs an X.509 chain whose leaf has the digitalSignature key usage and an allowed
extended key usage; this makes a fresh root CA and such a leaf (ES256) in a folder. No
one trusts them, which is the point: never sign anything real with them.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from ._durable import SigningIdentity


def make_test_signer(folder: str | Path, *, name: str = "pixelproof test") -> SigningIdentity:
    """Write ``root.pem``, ``chain.pem`` (leaf, then root) and ``key.pem`` to ``folder``.

    Needs the ``cryptography`` package (installed with c2pa-python's test tools, or
    ``pip install cryptography``).
    """
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    now = dt.datetime.now(dt.UTC)

    def subject(common: str) -> x509.Name:
        return x509.Name(
            [
                x509.NameAttribute(NameOID.COMMON_NAME, common),
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, name),
            ]
        )

    def usage(*, sign: bool, ca: bool) -> x509.KeyUsage:
        return x509.KeyUsage(
            digital_signature=sign,
            content_commitment=False,
            key_encipherment=False,
            data_encipherment=False,
            key_agreement=False,
            key_cert_sign=ca,
            crl_sign=ca,
            encipher_only=False,
            decipher_only=False,
        )

    def certificate(common: str, key: Any, issuer: x509.Name, days: int) -> Any:
        return (
            x509.CertificateBuilder()
            .subject_name(subject(common))
            .issuer_name(issuer)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=days))
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        )

    root_key = ec.generate_private_key(ec.SECP256R1())
    root = (
        certificate(f"{name} root", root_key, subject(f"{name} root"), 3650)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(usage(sign=False, ca=True), critical=True)
        .sign(root_key, hashes.SHA256())
    )
    leaf_key = ec.generate_private_key(ec.SECP256R1())
    leaf = (
        certificate(f"{name} signer", leaf_key, root.subject, 365)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(usage(sign=True, ca=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()), False
        )
        .sign(root_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    (folder / "root.pem").write_bytes(root.public_bytes(pem))
    (folder / "chain.pem").write_bytes(leaf.public_bytes(pem) + root.public_bytes(pem))
    (folder / "key.pem").write_bytes(
        leaf_key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return SigningIdentity(folder / "chain.pem", folder / "key.pem")
