"""C2PA round trip with a locally generated certificate chain (needs the 'c2pa' extra)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pixelproof.cli import app
from pixelproof.credentials import make_test_signer
from pixelproof.evidence import Label, SharedWork
from pixelproof.io import load_image
from pixelproof.metadata import read_c2pa, read_metadata, sign_image
from pixelproof.metadata.analyzers import FileMetadataAnalyzer

from ._builders import jpeg, photo, repaint_keeping_manifest

pytest.importorskip("c2pa", reason="needs the 'c2pa' extra (c2pa-python)")
pytest.importorskip("cryptography.x509")


@pytest.fixture(scope="module")
def chain(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A test root CA and an ES256 leaf with the extensions C2PA requires
    (:func:`pixelproof.credentials.make_test_signer`), and another, unrelated root."""
    folder = tmp_path_factory.mktemp("c2pa")
    make_test_signer(folder)
    other = make_test_signer(folder / "other", name="some other")
    paths = {name: folder / f"{name}.pem" for name in ("root", "chain", "key")}
    paths["other"] = Path(other.cert_chain).with_name("root.pem")
    source = folder / "source.jpg"
    source.write_bytes(jpeg(photo(96, 128)))
    signed = folder / "signed.jpg"
    sign_image(
        source,
        signed,
        cert_chain=paths["chain"],
        private_key=paths["key"],
        generator="Test Diffusion 2",
        digital_source_type="trainedAlgorithmicMedia",
    )
    paths["source"], paths["signed"] = source, signed
    return paths


def test_signed_file_is_intact_but_untrusted_without_a_trust_list(chain: dict[str, Path]) -> None:
    report = read_c2pa(chain["signed"])
    assert report.status == "present"
    assert report.integrity["status"] == "intact"
    assert report.trust["status"] == "untrusted: no trust list configured"
    assert report.trust["trust_list"] is None and report.trust["validated_at"]
    assert report.trust["signer"]["common_name"] == "pixelproof test signer"
    codes = [s["code"] for s in report.validation_status]
    assert codes == ["signingCredential.untrusted"]  # c2pa's own words, verbatim
    claims = report.claims
    assert claims["claim_generator"] == "pixelproof"
    assert [d["term"] for d in claims["digital_source_types"]] == ["trainedAlgorithmicMedia"]
    assert claims["actions"][0]["action"] == "c2pa.created"
    assert claims["actions"][0]["software_agent"] == "Test Diffusion 2"


def test_signer_trusted_with_the_test_root(chain: dict[str, Path]) -> None:
    report = read_c2pa(chain["signed"], trust_anchors=chain["root"])
    assert (report.integrity["status"], report.trust["status"]) == ("intact", "trusted")
    assert report.trust["trust_list"] == str(chain["root"])
    assert report.validation_state == "Trusted"
    other = read_c2pa(chain["signed"], trust_anchors=chain["other"])
    assert other.trust["status"] == "untrusted"
    assert other.integrity["status"] == "intact"


def test_changed_pixels_break_the_hash_binding(chain: dict[str, Path]) -> None:
    tampered = repaint_keeping_manifest(chain["signed"].read_bytes())
    report = read_c2pa(tampered, trust_anchors=chain["root"])
    assert report.integrity["status"] == "broken"
    assert "assertion.dataHash.mismatch" in [c["code"] for c in report.integrity["codes"]]
    assert "pixels" in report.integrity["explanation"]
    assert report.trust["status"] == "trusted"  # who signed is still known
    evidence = FileMetadataAnalyzer().analyze(load_image(tampered), SharedWork())
    assert evidence.label == Label.MANIPULATED


def test_no_manifest_is_unknown_provenance(chain: dict[str, Path]) -> None:
    report = read_c2pa(chain["source"])
    assert report.status == "no_manifest"
    assert "unknown" in report.summary
    assert (
        FileMetadataAnalyzer().analyze(load_image(chain["source"]), SharedWork()).label
        == Label.INFO
    )


def test_signed_ai_claim_is_a_generator_trace(chain: dict[str, Path]) -> None:
    report = read_metadata(chain["signed"])
    trace = next(t for t in report.generators if t.source.startswith("C2PA"))
    assert trace.generator == "Test Diffusion 2"
    assert trace.parameters["integrity"] == "intact"
    evidence = FileMetadataAnalyzer().analyze(load_image(chain["signed"]), SharedWork())
    assert evidence.label == Label.SYNTHETIC


def test_cli_sign_and_verify(chain: dict[str, Path], tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "cli.jpg"
    result = runner.invoke(
        app,
        ["credentials", "sign", str(chain["source"]), "--cert", str(chain["chain"]),
         "--key", str(chain["key"]), "-o", str(out), "--digital-source-type", "digitalCapture"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    result = runner.invoke(
        app, ["credentials", "verify", str(out), "--trust-anchors", str(chain["root"]), "--json"]
    )
    assert result.exit_code == 0, result.output
    row = json.loads(result.stdout.strip().splitlines()[-1])
    assert row["c2pa"]["trust"]["status"] == "trusted"
    assert row["c2pa"]["integrity"]["status"] == "intact"
    evidence = FileMetadataAnalyzer().analyze(load_image(out), SharedWork())
    assert evidence.label == Label.INFO  # no trust list in the environment here

    bad = runner.invoke(
        app,
        ["credentials", "sign", str(chain["source"]), "--cert", str(chain["chain"]),
         "--key", str(chain["key"]), "-o", str(out), "--digital-source-type", "nonsense"],
    )  # fmt: skip
    assert bad.exit_code == 2
    assert "not an IPTC term" in bad.output


def test_trust_list_from_environment(
    chain: dict[str, Path], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from pixelproof.metadata._c2pa import TRUST_ANCHORS_ENV
    from pixelproof.metadata.analyzers import c2pa_label
    from pixelproof.settings import Settings

    monkeypatch.setenv(TRUST_ANCHORS_ENV, str(chain["root"]))
    result = CliRunner().invoke(app, ["credentials", "verify", str(chain["signed"]), "--json"])
    assert json.loads(result.stdout.strip())["c2pa"]["trust"]["status"] == "trusted"
    report = read_c2pa(chain["signed"], trust_anchors=chain["root"])
    assert c2pa_label(report) == Label.SYNTHETIC
    capture = tmp_path / "capture.jpg"
    sign_image(
        chain["source"],
        capture,
        cert_chain=chain["chain"],
        private_key=chain["key"],
        digital_source_type="digitalCapture",
    )
    # A trusted, intact manifest declaring a camera capture: the analyzer (given the
    # trust list through its settings, as the CLI does from the environment) calls it
    # authentic; without a trust list it is information only.
    trusting = FileMetadataAnalyzer(Settings(trust_anchors=str(chain["root"])))
    assert trusting.analyze(load_image(capture), SharedWork()).label == Label.AUTHENTIC
    assert FileMetadataAnalyzer().analyze(load_image(capture), SharedWork()).label == Label.INFO
    unsigned_claims = read_c2pa(capture)  # same file, no trust list: information only
    assert c2pa_label(unsigned_claims) == Label.INFO


def test_verify_exits_1_when_a_manifest_is_broken(chain: dict[str, Path], tmp_path: Path) -> None:
    tampered = tmp_path / "tampered.jpg"
    tampered.write_bytes(repaint_keeping_manifest(chain["signed"].read_bytes()))
    runner = CliRunner()
    intact = runner.invoke(app, ["credentials", "verify", str(chain["signed"]), "--json"])
    assert intact.exit_code == 0
    broken = runner.invoke(app, ["credentials", "verify", str(tampered), "--json"])
    assert broken.exit_code == 1  # scripts must not read a broken credential as success
    row = json.loads(broken.stdout.strip())
    assert row["c2pa"]["integrity"]["status"] == "broken"
    assert row["schema_version"] == "1.0" and row["sha256"]
