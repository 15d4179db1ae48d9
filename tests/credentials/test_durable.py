"""Durable Content Credentials: sign --durable, then recover from the file or the pixels."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

pytest.importorskip("c2pa", reason="needs the 'credentials' extra")
pytest.importorskip("cryptography", reason="needs the 'credentials' extra")
pytest.importorskip("scipy", reason="needs the 'credentials' extra")
pytest.importorskip("faiss", reason="needs the 'credentials' extra")
pytest.importorskip("onnxruntime", reason="needs the 'credentials' extra")

from pixelproof.cli import app
from pixelproof.credentials import (
    FINGERPRINT_ALG,
    SOFT_BINDING_LABEL,
    WATERMARK_ALG,
    ManifestRepository,
    decode_identifier,
    encode_identifier,
    read_soft_bindings,
    recover,
)
from pixelproof.io import load_image
from tests._durable import EXAMPLES, KEY, DurableRepository, build, stripped
from tests.metadata._builders import repaint_keeping_manifest

PARROTS, LIGHTHOUSE = "parrots-spliced.jpg", "lighthouse-rotated.jpg"


@pytest.fixture(scope="module")
def durable(tmp_path_factory: pytest.TempPathFactory) -> DurableRepository:
    return build(tmp_path_factory.mktemp("durable"))


def _recover(durable: DurableRepository, data: bytes, key: str = KEY) -> dict[str, object]:
    with ManifestRepository(durable.folder, readonly=True) as repository:
        found = recover(
            load_image(data), repository, watermark_key=key, trust_anchors=str(durable.root)
        )
    return dict(found.to_dict())


def test_durable_manifest_validates_and_its_soft_bindings_read_back(
    durable: DurableRepository,
) -> None:
    import c2pa

    signed = durable.signed[PARROTS]
    pem = durable.root.read_text()
    context = c2pa.Context.from_dict({"trust": {"trust_anchors": pem}})
    with c2pa.Reader("image/jpeg", io.BytesIO(signed.data), None, context) as reader:
        store = json.loads(reader.json())
    assert store["validation_state"] == "Trusted"
    assert store["active_manifest"] == signed.manifest_id
    successes = {s["code"] for s in store["validation_results"]["activeManifest"]["success"]}
    assert "assertion.dataHash.match" in successes  # the hard binding covers the marked pixels
    manifest = store["manifests"][signed.manifest_id]
    bindings = [a for a in manifest["assertions"] if a["label"].startswith(SOFT_BINDING_LABEL)]
    assert [b["data"]["alg"] for b in bindings] == [WATERMARK_ALG, FINGERPRINT_ALG]
    value = bindings[0]["data"]["blocks"][0]["value"]
    assert decode_identifier(value) == signed.identifier
    assert value == encode_identifier(signed.identifier)
    assert bindings[1]["data"]["name"].endswith("whitening=effnet_lite0_v2")
    parsed = read_soft_bindings(manifest["assertions"])
    assert parsed.identifier == signed.identifier and parsed.descriptor is not None
    actions = next(a for a in manifest["assertions"] if a["label"].startswith("c2pa.actions"))
    assert [x["action"] for x in actions["data"]["actions"]] == ["c2pa.opened", "c2pa.watermarked"]


def test_intact_file_is_found_embedded(durable: DurableRepository) -> None:
    signed = durable.signed[PARROTS]
    row = _recover(durable, signed.data)
    assert row["found_by"] == "embedded"
    assert row["manifest"]["manifest_id"] == signed.manifest_id  # type: ignore[index]
    assert row["verification"]["hard_binding"] == "match"  # type: ignore[index]
    assert row["verification"]["trust"] == "trusted"  # type: ignore[index]
    assert row["soft_binding_agrees"] is True
    assert row["fingerprint"] == {"searched": False, "matches": []}


def test_stripped_cropped_copy_is_found_by_watermark_and_fingerprint(
    durable: DurableRepository,
) -> None:
    signed = durable.signed[LIGHTHOUSE]
    row = _recover(durable, stripped(signed.data, crop=0.7, quality=70))
    assert row["embedded"]["status"] == "no_manifest"  # type: ignore[index]
    assert row["found_by"] == "both"
    assert row["manifest"]["manifest_id"] == signed.manifest_id  # type: ignore[index]
    assert row["manifest"]["identifier"] == signed.identifier_hex  # type: ignore[index]
    assert row["watermark"]["p_value"] < 1e-6  # type: ignore[index]
    verification = row["verification"]
    assert verification["signature"] == "valid"  # type: ignore[index]
    assert verification["hard_binding"] == "mismatch"  # type: ignore[index]
    assert verification["status"] == "valid"  # type: ignore[index]
    assert row["soft_binding"]["watermark"]["agrees"] is True  # type: ignore[index]
    assert row["soft_binding_agrees"] is True


def test_without_the_key_the_fingerprint_alone_finds_it(durable: DurableRepository) -> None:
    signed = durable.signed[PARROTS]
    row = _recover(durable, stripped(signed.data), key="not the signing key")
    assert row["watermark"]["detected"] is False  # type: ignore[index]
    assert row["found_by"] == "fingerprint"
    assert row["manifest"]["manifest_id"] == signed.manifest_id  # type: ignore[index]
    assert row["fingerprint"]["matches"][0]["score"] >= 0.9  # type: ignore[index]


def test_edited_pixels_break_the_hard_binding_and_name_the_original(
    durable: DurableRepository, tmp_path: Path
) -> None:
    signed = durable.signed[PARROTS]
    edited = tmp_path / "edited.jpg"
    edited.write_bytes(repaint_keeping_manifest(signed.data))
    row = _recover(durable, edited.read_bytes())
    assert row["embedded"]["hard_binding"] == "broken"  # type: ignore[index]
    assert row["embedded"]["manifest_id"] == signed.manifest_id  # type: ignore[index]
    assert row["found_by"] in ("watermark", "both")
    assert row["manifest"]["manifest_id"] == signed.manifest_id  # type: ignore[index]
    assert "hard binding FAILS" in str(row["summary"])
    assert signed.manifest_id in str(row["summary"])
    result = CliRunner().invoke(
        app, ["credentials", "recover", str(edited), "--repo", str(durable.folder), "--json"]
    )
    assert result.exit_code == 1  # like `credentials verify` on a broken manifest
    assert json.loads(result.stdout)["embedded"]["hard_binding"] == "broken", result.stdout


def test_unsigned_and_foreign_images_recover_nothing(durable: DurableRepository) -> None:
    unsigned = _recover(durable, stripped((EXAMPLES / "hats-shared.jpg").read_bytes()))
    assert unsigned["found_by"] is None and unsigned["manifest"] is None
    foreign = _recover(durable, stripped(durable.other.data))
    assert foreign["watermark"]["identifier"] == durable.other.identifier_hex  # type: ignore[index]
    assert foreign["watermark"]["in_repository"] is False  # type: ignore[index]
    assert foreign["found_by"] is None
    assert "holds no manifest" in str(foreign["summary"])


def test_cli_sign_durable_then_recover(durable: DurableRepository, tmp_path: Path) -> None:
    repo, out = tmp_path / "repo", tmp_path / "signed.png"
    runner = CliRunner()
    sign = [
        "credentials",
        "sign",
        str(EXAMPLES / "hats-shared.jpg"),
        "--cert",
        str(durable.identity.cert_chain),
        "--key",
        str(durable.identity.private_key),
        "--out",
        str(out),
        "--durable",
        "--repo",
        str(repo),
    ]
    result = runner.invoke(app, sign)
    assert result.exit_code == 0, result.output
    assert "manifest urn:c2pa:" in result.stderr
    copy = tmp_path / "copy.jpg"
    copy.write_bytes(stripped(out.read_bytes(), crop=0.8))
    recovered = runner.invoke(
        app, ["credentials", "recover", str(out), str(copy), "--repo", str(repo), "--json"]
    )
    assert recovered.exit_code == 0, recovered.output
    rows = [json.loads(line) for line in recovered.stdout.splitlines()]
    assert [r["found_by"] for r in rows] == ["embedded", "both"]
    assert rows[0]["manifest"]["manifest_id"] == rows[1]["manifest"]["manifest_id"]
    again = runner.invoke(app, [*sign[:6], "--out", str(out), "--durable"])
    assert again.exit_code == 2  # --durable without a repository
    missing = runner.invoke(app, ["credentials", "recover", str(copy), "--repo", str(tmp_path)])
    assert missing.exit_code == 2 and "no manifest repository" in missing.stderr


def test_scan_reports_recovered_credentials(durable: DurableRepository, tmp_path: Path) -> None:
    copy = tmp_path / "copy.jpg"
    copy.write_bytes(stripped(durable.signed[LIGHTHOUSE].data))
    config = tmp_path / "pixelproof.toml"
    config.write_text(f'watermark_key = "{KEY}"\ncredentials_repo = "{durable.folder}"\n')
    result = CliRunner().invoke(
        app, ["scan", str(copy), "--only", "credentials", "--config", str(config), "--json"]
    )
    assert result.exit_code == 0, result.output
    (evidence,) = json.loads(result.stdout)["evidence"]
    assert evidence["label"] == "match"
    assert evidence["details"]["found_by"] == "both"
    plain = CliRunner().invoke(app, ["scan", str(copy), "--only", "metadata", "--json"])
    assert [e["analyzer"] for e in json.loads(plain.stdout)["evidence"]] == ["metadata"]


def test_malformed_soft_bindings_are_ignored() -> None:
    found = read_soft_bindings(
        [
            "not a dict",
            {"label": SOFT_BINDING_LABEL, "data": {"alg": WATERMARK_ALG, "blocks": "x"}},
            {
                "label": SOFT_BINDING_LABEL,
                "data": {"alg": WATERMARK_ALG, "blocks": [{"value": "@@"}]},
            },
            {"label": "c2pa.actions", "data": {"alg": WATERMARK_ALG}},
        ]
    )
    assert found.identifier is None and found.algorithms == (WATERMARK_ALG, WATERMARK_ALG)
    assert decode_identifier("AAAA") is None  # 3 bytes, not 4


def test_a_repository_of_a_retired_fingerprint_descriptor_is_refused(tmp_path: Path) -> None:
    # Fingerprints made with the whitening retired on 2026-12-07 cannot be compared with
    # today's: `recover` refuses the repository with a usage error that says so.
    import sqlite3

    from pixelproof.credentials import RepositoryError

    folder = tmp_path / "repo"
    ManifestRepository(folder, create=True).close()
    old = "effnet:size=256,layer=head,regions=false,whitening=effnet_lite0"
    conn = sqlite3.connect(folder / "fingerprints.db")
    with conn:
        (raw,) = conn.execute("SELECT value FROM meta WHERE key = 'settings'").fetchone()
        settings = {**json.loads(raw), "descriptor": old}
        conn.execute("UPDATE meta SET value = ? WHERE key = 'settings'", (json.dumps(settings),))
    conn.close()
    with pytest.raises(RepositoryError, match="no longer ships"):
        ManifestRepository(folder, readonly=True)
    image = tmp_path / "q.jpg"
    image.write_bytes((EXAMPLES / PARROTS).read_bytes())
    result = CliRunner().invoke(app, ["credentials", "recover", str(image), "--repo", str(folder)])
    assert result.exit_code == 2, result.output
    assert "no longer ships" in " ".join(result.stderr.split())
    assert "Traceback" not in result.output
    # nor does the service start on it (it would answer every lookup with a 500)
    config = tmp_path / "pixelproof.toml"
    config.write_text('credentials_repo = "repo"\n')
    result = CliRunner().invoke(
        app, ["serve", "--config", str(config), "--data-dir", str(tmp_path / "data")]
    )
    assert result.exit_code == 2, result.output
    assert "no longer ships" in " ".join(result.stderr.split())
