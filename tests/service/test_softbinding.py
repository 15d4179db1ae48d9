"""The C2PA Soft Binding Resolution API over the manifest repository."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator

import pytest

pytest.importorskip("c2pa", reason="needs the 'credentials' extra")
pytest.importorskip("cryptography", reason="needs the 'credentials' extra")
pytest.importorskip("scipy", reason="needs the 'credentials' extra")
pytest.importorskip("faiss", reason="needs the 'credentials' extra")

from pixelproof.credentials import FINGERPRINT_ALG, WATERMARK_ALG, encode_identifier
from pixelproof.service import ServiceConfig
from pixelproof.settings import Settings
from tests._durable import EXAMPLES, KEY, DurableRepository, build, stripped

from .conftest import Service, start

LIGHTHOUSE = "lighthouse-rotated.jpg"


@pytest.fixture(scope="module")
def durable(tmp_path_factory: pytest.TempPathFactory) -> DurableRepository:
    return build(tmp_path_factory.mktemp("durable"))


@pytest.fixture(scope="module")
def resolver(
    durable: DurableRepository, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Service]:
    folder = tmp_path_factory.mktemp("resolver")
    config = ServiceConfig(data_dir=folder / "data", workers=1, rate_per_s=0)
    settings = Settings(watermark_key=KEY, credentials_repo=str(durable.folder))
    yield from start(config, settings)


def test_by_binding_resolves_a_watermark_identifier(
    resolver: Service, durable: DurableRepository
) -> None:
    signed = durable.signed[LIGHTHOUSE]
    value = encode_identifier(signed.identifier)
    for prefix in ("", "/v1"):
        answer = resolver.client.get(
            f"{prefix}/matches/byBinding", params={"alg": WATERMARK_ALG, "value": value}
        )
        assert answer.status_code == 200
        assert answer.json() == {
            "matches": [{"manifestId": signed.manifest_id, "similarityScore": 100}]
        }
    posted = resolver.client.post("/matches/byBinding", json={"alg": WATERMARK_ALG, "value": value})
    assert posted.json()["matches"][0]["manifestId"] == signed.manifest_id
    unknown = encode_identifier(durable.other.identifier)
    none = resolver.client.get(
        "/matches/byBinding", params={"alg": WATERMARK_ALG, "value": unknown}
    )
    assert none.json() == {"matches": []}


def test_by_binding_resolves_the_fingerprint_from_the_assertion(
    resolver: Service, durable: DurableRepository
) -> None:
    import c2pa

    signed = durable.signed[LIGHTHOUSE]
    with c2pa.Reader("image/jpeg", io.BytesIO(signed.data)) as reader:
        manifest = json.loads(reader.json())["manifests"][signed.manifest_id]
    (binding,) = [
        a["data"]
        for a in manifest["assertions"]
        if a["label"].startswith("c2pa.soft-binding") and a["data"]["alg"] == FINGERPRINT_ALG
    ]
    value = binding["blocks"][0]["value"]
    answer = resolver.client.post(
        "/matches/byBinding", json={"alg": FINGERPRINT_ALG, "value": value}
    )
    best = answer.json()["matches"][0]
    assert best["manifestId"] == signed.manifest_id and best["similarityScore"] >= 95


def test_by_binding_refuses_unknown_algorithms_and_bad_values(resolver: Service) -> None:
    wrong_alg = resolver.client.get("/matches/byBinding", params={"alg": "x.y", "value": "AAAA"})
    assert wrong_alg.status_code == 400
    assert wrong_alg.json()["error_type"] == "unsupported_algorithm"
    bad = resolver.client.get("/matches/byBinding", params={"alg": WATERMARK_ALG, "value": "%%"})
    assert bad.status_code == 400
    short = resolver.client.post(
        "/matches/byBinding", json={"alg": FINGERPRINT_ALG, "value": "AAAA"}
    )
    assert short.status_code == 400


def test_by_content_finds_a_stripped_copy(resolver: Service, durable: DurableRepository) -> None:
    signed = durable.signed[LIGHTHOUSE]
    copy = stripped(signed.data, crop=0.8)
    raw = resolver.client.post(
        "/matches/byContent", content=copy, headers={"Content-Type": "image/jpeg"}
    )
    assert raw.status_code == 200, raw.text
    assert raw.json()["matches"][0] == {"manifestId": signed.manifest_id, "similarityScore": 100}
    by_print = resolver.post(f"/v1/matches/byContent?alg={FINGERPRINT_ALG}", copy)
    assert by_print.json()["matches"][0]["manifestId"] == signed.manifest_id
    unrelated = resolver.post(
        "/matches/byContent", (EXAMPLES / "valley-generated.png").read_bytes()
    )
    assert unrelated.json() == {"matches": []}
    broken = resolver.client.post(
        "/matches/byContent", content=b"not an image", headers={"Content-Type": "image/jpeg"}
    )
    assert broken.status_code == 415


def test_manifest_store_is_served_and_validates(
    resolver: Service, durable: DurableRepository
) -> None:
    import c2pa

    signed = durable.signed[LIGHTHOUSE]
    answer = resolver.client.get(f"/manifests/{signed.manifest_id}")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/c2pa"
    with c2pa.Reader("image/jpeg", io.BytesIO(signed.data), answer.content) as reader:
        store = json.loads(reader.json())
    successes = {s["code"] for s in store["validation_results"]["activeManifest"]["success"]}
    assert {"claimSignature.validated", "assertion.dataHash.match"} <= successes
    assert resolver.client.get("/manifests/urn:c2pa:unknown").status_code == 404
    spec = resolver.client.get("/openapi.json").json()
    for route in ("/matches/byBinding", "/matches/byContent", "/manifests/{manifestId}"):
        assert route in spec["paths"]
    algorithms = resolver.client.get("/services/supportedAlgorithms").json()
    assert algorithms == {
        "watermarks": [{"alg": WATERMARK_ALG}],
        "fingerprints": [{"alg": FINGERPRINT_ALG}],
    }


def test_recover_endpoint_answers_the_command_row(
    resolver: Service, durable: DurableRepository
) -> None:
    signed = durable.signed[LIGHTHOUSE]
    row = resolver.post("/v1/credentials/recover", stripped(signed.data), name="copy.jpg").json()
    assert row["path"] == "copy.jpg"
    assert row["found_by"] == "both"
    assert row["manifest"]["manifest_id"] == signed.manifest_id


def test_without_a_repository_the_api_says_so(service: Service, photo: bytes) -> None:
    answer = service.client.get(
        "/matches/byBinding", params={"alg": WATERMARK_ALG, "value": "AAAAAA=="}
    )
    assert answer.status_code == 404
    assert answer.json()["error_type"] == "no_repository"
    assert service.post("/matches/byContent", photo).status_code == 404
