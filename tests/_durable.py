"""A small manifest repository of durable Content Credentials, shared by the tests of
``pixelproof.credentials`` and of the service's Soft Binding Resolution API."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from pixelproof.credentials import (
    DurableSignature,
    ManifestRepository,
    SigningIdentity,
    make_test_signer,
    sign_durable,
)
from pixelproof.io import load_image

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
KEY = "tests durable key"
SIGNED = ("parrots-spliced.jpg", "lighthouse-rotated.jpg")
OTHER = "hats-shared.jpg"


@dataclass(frozen=True)
class DurableRepository:
    """A repository with the examples in ``SIGNED`` signed into it (as JPEG), and
    ``OTHER`` signed with the same key into another repository."""

    folder: Path
    identity: SigningIdentity
    root: Path
    signed: dict[str, DurableSignature]
    other: DurableSignature


def build(folder: Path) -> DurableRepository:
    identity = make_test_signer(folder / "certs")
    signed = _sign_into(folder / "repo", identity, SIGNED)
    (other,) = _sign_into(folder / "other-repo", identity, (OTHER,)).values()
    return DurableRepository(
        folder / "repo", identity, folder / "certs" / "root.pem", signed, other
    )


def _sign_into(
    repo: Path, identity: SigningIdentity, names: tuple[str, ...]
) -> dict[str, DurableSignature]:
    with ManifestRepository(repo, create=True) as repository:
        return {
            name: sign_durable(
                load_image(EXAMPLES / name),
                repository,
                identity,
                watermark_key=KEY,
                title=name,
                fmt="JPEG",
            )
            for name in names
        }


def stripped(data: bytes, *, crop: float = 1.0, quality: int = 80) -> bytes:
    """The pixels only (no metadata), the top-left ``crop`` of each side, as a JPEG."""
    pixels = np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))
    height, width = pixels.shape[:2]
    kept = pixels[: round(height * crop), : round(width * crop)]
    buffer = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(kept)).save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()
