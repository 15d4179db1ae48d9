"""Every endpoint answers the same JSON row as the command of the same name (``path``
and ``elapsed_ms`` aside), with the upload's file name as ``path``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from pixelproof.cli import app as cli

from .conftest import PHOTO, Service

# In this process, no worker (no time or memory limit): the CLI's rows as printed.
IN_PROCESS = ("--time-limit", "0", "--memory-limit-mb", "0")


def cli_row(*args: str) -> dict[str, Any]:
    result = CliRunner().invoke(cli, [*args, "--json", *IN_PROCESS])
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    row: dict[str, Any] = json.loads(lines[0])
    return row


def comparable(value: Any, drop: tuple[str, ...] = ()) -> Any:
    """``value`` without ``path``, ``elapsed_ms`` (anywhere) and the keys ``drop``."""
    if isinstance(value, dict):
        return {
            k: comparable(v) for k, v in value.items() if k not in ("path", "elapsed_ms", *drop)
        }
    if isinstance(value, list):
        return [comparable(v) for v in value]
    return value


@pytest.mark.parametrize(
    ("route", "command", "drop"),
    [
        ("/v1/scan", ["scan"], ()),
        ("/v1/scan?only=forensics&skip=ela", ["scan", "--only", "forensics", "--skip", "ela"], ()),
        ("/v1/forensics", ["forensics"], ()),
        ("/v1/forensics?analyses=dq,noise", ["forensics", "--analyses", "dq,noise"], ()),
        ("/v1/detect", ["detect"], ()),
        ("/v1/detect?pixels_only=true", ["detect", "--pixels-only"], ()),
        ("/v1/meta", ["meta"], ()),
        ("/v1/meta?c2pa=false&thumbnail=false", ["meta", "--no-c2pa", "--no-thumbnail"], ()),
        ("/v1/credentials/verify", ["credentials", "verify"], ()),
        ("/v1/watermark/detect", ["watermark", "detect"], ()),
        (
            "/v1/watermark/detect?threshold=0.01&stable_diffusion=true",
            ["watermark", "detect", "--threshold", "0.01", "--stable-diffusion"],
            (),
        ),
    ],
)
def test_rows_equal_the_cli_rows(
    service: Service, photo: bytes, route: str, command: list[str], drop: tuple[str, ...]
) -> None:
    response = service.post(route, photo, name="parrots-spliced.jpg")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    row = response.json()
    assert row["path"] == "parrots-spliced.jpg"
    expected = cli_row(*command, str(PHOTO))
    assert comparable(row, drop) == comparable(expected, drop)


def test_embed_matches_the_cli_and_the_mark_can_be_downloaded_and_read(
    service: Service, photo: bytes, tmp_path: Path
) -> None:
    response = service.post("/v1/watermark/embed?message=c0ffee&format=png", photo)
    assert response.status_code == 200, response.text
    row = response.json()
    expected = cli_row(
        "watermark", "embed", str(PHOTO), "--out-dir", str(tmp_path), "--message", "c0ffee"
    )
    assert comparable(row, ("output",)) == comparable(expected, ("output",))
    assert row["output"].startswith("/v1/files/") and row["output"].endswith(".png")

    marked = service.client.get(row["output"])
    assert marked.status_code == 200
    assert marked.headers["content-type"] == "image/png"
    assert marked.content == Path(expected["output"]).read_bytes()
    found = service.post("/v1/watermark/detect", marked.content, name="marked.png").json()
    assert found["detected"] is True and found["message"] == "00c0ffee"


def test_forensics_heatmaps_are_downloadable_pngs(service: Service, photo: bytes) -> None:
    row = service.post("/v1/forensics?heatmaps=true", photo).json()
    urls = [row["heatmap"]] + [a["heatmap"] for a in row["analyses"].values() if a["heatmap"]]
    assert len(urls) > 3
    for url in urls:
        assert url.startswith("/v1/files/")
        got = service.client.get(url)
        assert got.status_code == 200 and got.content.startswith(b"\x89PNG")
    # Published files carry random names, never the client's.
    names = sorted(p.name for p in (service.data_dir / "files").iterdir())
    assert all("photo" not in name for name in names)


def test_scan_heatmaps_are_published_too(service: Service, photo: bytes) -> None:
    row = service.post("/v1/scan?only=ela&heatmaps=true", photo).json()
    (evidence,) = row["evidence"]
    assert evidence["heatmap"].startswith("/v1/files/")
    assert service.client.get(evidence["heatmap"]).status_code == 200


def test_index_add_match_remove(service: Service, photo: bytes, tmp_path: Path) -> None:
    # Writing needs a key.
    refused = service.post("/v1/index/add", photo, name="ref.jpg")
    assert refused.status_code == 401
    assert "API key" in refused.json()["error"]
    assert refused.headers["www-authenticate"].startswith("Bearer")

    added = service.post("/v1/index/add", photo, name="ref.jpg", headers=service.auth())
    assert added.status_code == 200, added.text
    row = added.json()
    assert row["status"] == "added" and row["path"] == "ref.jpg"
    expected = cli_row("index", "add", str(PHOTO), "--db", str(tmp_path / "cli.db"))
    assert comparable(row, ("id",)) == comparable(expected, ("id",))
    again = service.post("/v1/index/add", photo, name="other.jpg", headers=service.auth())
    assert again.json()["status"] == "present"

    found = service.post("/v1/match?top_k=3", photo, name="query.jpg")
    assert found.status_code == 200
    match = found.json()
    assert match["path"] == "query.jpg"
    assert match["matches"][0]["ref"] == "ref.jpg" and match["matches"][0]["score"] > 0.5
    db = str(service.config.index_db)
    assert comparable(match) == comparable(cli_row("match", str(PHOTO), "--db", db, "-k", "3"))
    replicated = service.post("/v1/match?replication=true", photo).json()
    assert replicated["replicated"] is True

    stats = service.client.get("/v1/index/stats").json()
    assert stats["images"] >= 1 and stats["path"] == "index.db"
    assert service.client.get("/v1/health").json()["index_images"] == stats["images"]

    sha = row["sha256"]
    route = f"/v1/index/remove?target={sha}"
    assert service.client.post(route).status_code == 401
    removed = service.client.post(route, headers=service.auth())
    assert removed.status_code == 200
    assert removed.json() == {"schema_version": "1.0", "path": sha, "removed": ["ref.jpg"]}
    gone = service.client.post(route, headers=service.auth())
    assert gone.status_code == 404 and gone.json()["error_type"] == "not_in_index"


def test_health(service: Service) -> None:
    health = service.client.get("/v1/health")
    assert health.status_code == 200
    body = health.json()
    assert body["status"] == "ok" and body["workers"] == 2
    assert body["max_upload_bytes"] == 2 * 2**20


def test_openapi_documents_every_endpoint_with_its_row_type(service: Service) -> None:
    spec = service.client.get("/openapi.json").json()
    routes = {
        "/v1/scan": "ScanJsonRow",
        "/v1/forensics": "ForensicsJsonRow",
        "/v1/meta": "MetaJsonRow",
        "/v1/credentials/verify": "CredentialsJsonRow",
        "/v1/watermark/embed": "EmbedJsonRow",
        "/v1/watermark/detect": "DetectJsonRow",
        "/v1/match": "MatchJsonRow",
        "/v1/index/add": "IndexAddJsonRow",
        "/v1/index/remove": "IndexRemovedJsonRow",
        "/v1/detect": "SyntheticJsonRow",
    }
    for route, row_type in routes.items():
        operation = spec["paths"][route]["post"]
        assert row_type in json.dumps(operation["responses"]["200"]), route
        if route != "/v1/index/remove":
            body = operation["requestBody"]["content"]["multipart/form-data"]["schema"]
            assert body["required"] == ["file"]
        assert "401" in operation["responses"]
    assert "/v1/health" in spec["paths"] and "/v1/files/{file_id}" in spec["paths"]


def test_the_page_and_its_files_are_served_without_any_cdn(service: Service) -> None:
    page = service.client.get("/")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert "/static/app.js" in page.text and "/static/app.css" in page.text
    assert "default-src 'self'" in page.headers["content-security-policy"]
    for name in ("app.js", "app.css"):
        served = service.client.get(f"/static/{name}")
        assert served.status_code == 200
        assert "http://" not in served.text and "https://" not in served.text
    assert "https://" not in page.text and "http://" not in page.text
