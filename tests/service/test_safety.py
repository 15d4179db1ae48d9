"""What the service refuses, and how: uploads that are too big, malformed or not
images, requests without a key, too many requests, a full pool, a crashing decoder,
a timeout; and what it never shows: stack traces, its own paths."""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

from pixelproof.service import KeyStore, ServiceConfig, sanitize_name
from pixelproof.tasks.watermark import DetectTask

from .._images import encode, noise, png_chunk, png_ihdr, smooth
from .conftest import Service, start

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_of_width(width: int) -> bytes:
    return encode(smooth(16, width), "PNG")


# -- uploads ---------------------------------------------------------------------------


def test_not_multipart_is_415_with_how_to_send(service: Service, photo: bytes) -> None:
    response = service.client.post(
        "/v1/scan", content=photo, headers={"Content-Type": "image/jpeg"}
    )
    assert response.status_code == 415
    body = response.json()
    assert body["error_type"] == "invalid_upload"
    assert "multipart/form-data" in body["error"] and "'file'" in body["error"]
    assert body["request_id"] == response.headers["x-request-id"]


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"files": {"image": ("a.jpg", b"x")}}, "unexpected file 'image'"),
        (
            {"files": {"file": ("a.jpg", b"x")}, "data": {"heatmaps": "true"}},
            "options in the query string",
        ),
        ({"files": [("file", ("a.jpg", b"x")), ("file", ("b.jpg", b"y"))]}, "one image"),
    ],
)
def test_malformed_forms_are_400_with_a_clear_message(
    service: Service, kwargs: dict[str, Any], expected: str
) -> None:
    response = service.client.post("/v1/watermark/detect", **kwargs)
    assert response.status_code == 400, response.text
    assert expected in response.json()["error"]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b"--b0undary--\r\n", "no image"),
        (b"this is not multipart at all", "malformed"),
        (
            b'--b0undary\r\nContent-Disposition: form-data; name="file"; filename="a.jpg"'
            b"\r\n\r\n\xff\xd8\xff\xe0 and then the body stops",
            "truncated",
        ),
    ],
)
def test_broken_multipart_bodies_are_400(service: Service, body: bytes, expected: str) -> None:
    response = service.client.post(
        "/v1/scan",
        content=body,
        headers={"Content-Type": "multipart/form-data; boundary=b0undary"},
    )
    assert response.status_code == 400
    assert expected in response.json()["error"]
    assert list((service.data_dir / "uploads").iterdir()) == []


def test_an_upload_over_the_limit_is_413_before_reading(service: Service) -> None:
    big = os.urandom(3 * 2**20)
    response = service.post("/v1/scan", big, name="big.jpg")
    assert response.status_code == 413
    assert response.json()["error_type"] == "file_too_large"
    assert "2.0 MiB" in response.json()["error"]


def test_a_chunked_upload_is_counted_as_it_comes(service: Service) -> None:
    def body() -> Iterator[bytes]:
        yield (
            b'--b0undary\r\nContent-Disposition: form-data; name="file"; filename="a.jpg"'
            b"\r\nContent-Type: image/jpeg\r\n\r\n"
        )
        for _ in range(40):  # 2.5 MiB in all, no Content-Length
            yield bytes(64 * 1024)
        yield b"\r\n--b0undary--\r\n"

    response = service.client.post(
        "/v1/scan",
        content=body(),
        headers={"Content-Type": "multipart/form-data; boundary=b0undary"},
    )
    assert response.status_code == 413
    assert list((service.data_dir / "uploads").iterdir()) == []


@pytest.mark.parametrize(
    ("data", "name", "status", "error_type"),
    [
        (b"just some text\n", "notes.txt", 415, "unsupported_format"),
        (b"", "empty.jpg", 400, "empty_file"),
        (
            PNG_SIGNATURE + png_ihdr(30000, 30000, 1, 0) + png_chunk(b"IEND", b""),
            "bomb.png",
            413,
            "too_many_pixels",
        ),
    ],
)
def test_inputs_the_loader_refuses_are_4xx_rows(
    service: Service, data: bytes, name: str, status: int, error_type: str
) -> None:
    response = service.post("/v1/forensics", data, name=name)
    assert response.status_code == status, response.text
    row = response.json()
    assert row["error_type"] == error_type and row["path"] == name
    assert set(row) == {"schema_version", "path", "error", "error_type"}


def test_a_corrupt_image_is_422(service: Service) -> None:
    data = encode(noise(64, 64), "JPEG", quality=90)
    response = service.post("/v1/scan", data[: len(data) // 2], name="half.jpg")
    assert response.status_code == 422
    assert response.json()["error_type"] == "corrupt_image"


@pytest.mark.parametrize(
    ("route", "status", "expected"),
    [
        ("/v1/watermark/embed", 422, "message"),
        ("/v1/watermark/embed?message=xyz", 400, "message"),
        ("/v1/watermark/embed?message=1&format=gif", 422, "format"),
        ("/v1/scan?only=nothing-like-this", 400, "nothing-like-this"),
        ("/v1/forensics?analyses=nope", 400, "nope"),
        ("/v1/match?top_k=0", 422, "top_k"),
        ("/v1/watermark/detect?threshold=2", 422, "threshold"),
    ],
)
def test_invalid_options_are_refused_before_the_upload(
    service: Service, photo: bytes, route: str, status: int, expected: str
) -> None:
    response = service.post(route, photo)
    assert response.status_code == status, response.text
    assert response.json()["error_type"] == "invalid_option"
    assert expected in response.json()["error"]


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("../../etc/passwd.jpg", "passwd.jpg"),
        ("C:\\Users\\someone\\holiday photo.jpg", "holiday photo.jpg"),
        ("<img src=x onerror=alert(1)>.jpg", "_img src_x onerror_alert(1)_.jpg"),
        ("...", "upload"),
    ],
)
def test_the_row_path_is_the_sanitized_upload_name(
    service: Service, photo: bytes, name: str, shown: str
) -> None:
    row = service.post("/v1/credentials/verify", photo, name=name).json()
    assert row["path"] == shown


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("a/b/c.jpg", "c.jpg"),
        ("pass\x01w\x7fd.jpg", "passwd.jpg"),
        ("  .hidden.png ", "hidden.png"),
        ("x" * 300 + ".jpeg", "x" * 95 + ".jpeg"),
        (None, "upload"),
        ("caf\u00e9 \u00fcber.jpg", "caf\u00e9 \u00fcber.jpg"),
    ],
)
def test_sanitize_name(raw: str | None, clean: str) -> None:
    assert sanitize_name(raw) == clean


def test_nothing_is_left_in_the_data_folder_but_published_files(
    service: Service, photo: bytes
) -> None:
    service.post("/v1/forensics?heatmaps=true&analyses=noise", photo)
    service.post("/v1/scan", b"nope", name="x.txt")
    assert list((service.data_dir / "uploads").iterdir()) == []
    assert list((service.data_dir / "work").iterdir()) == []


# -- downloads ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "file_id",
    ["nope", "..%2Fkeys.db", "AAAAAAAAAAAAAAAAAAAAAA.png", "AAAAAAAAAAAAAAAAAAAAAA.db"],
)
def test_unknown_files_are_404(service: Service, file_id: str) -> None:
    response = service.client.get(f"/v1/files/{file_id}")
    assert response.status_code == 404
    assert response.json()["error_type"] == "not_found"


def test_files_expire(service: Service, photo: bytes) -> None:
    row = service.post("/v1/forensics?heatmaps=true&analyses=noise", photo).json()
    url = row["heatmap"]
    assert service.client.get(url).status_code == 200
    stored = service.data_dir / "files" / url.rsplit("/", 1)[1]
    old = time.time() - service.config.file_ttl_s - 10
    os.utime(stored, (old, old))
    assert service.client.get(url).status_code == 404
    service.client.app.state.service.files.purge()  # type: ignore[attr-defined]
    assert not stored.exists()


# -- keys and rate limits ----------------------------------------------------------------


@pytest.fixture(scope="module")
def strict(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    """Keys required everywhere, 3 requests at once then one every 2 s, no index."""
    folder = tmp_path_factory.mktemp("strict")
    config = ServiceConfig(
        data_dir=folder / "data", require_key=True, workers=1, rate_per_s=0.5, burst=3
    )
    yield from start(config)


def test_with_require_key_everything_but_health_and_the_page_needs_a_key(
    strict: Service, photo: bytes
) -> None:
    assert strict.client.get("/v1/health").json()["require_key"] is True
    assert strict.client.get("/").status_code == 200
    assert strict.client.get("/openapi.json").status_code == 200
    for response in (
        strict.post("/v1/watermark/detect", photo),
        strict.client.get("/v1/files/AAAAAAAAAAAAAAAAAAAAAA.png"),
        strict.post("/v1/meta", photo, headers={"X-API-Key": "ppk_00000000_" + "x" * 32}),
    ):
        assert response.status_code == 401
        assert response.json()["error_type"] == "unauthorized"
    ok = strict.post("/v1/watermark/detect", photo, headers={"X-API-Key": strict.key})
    assert ok.status_code == 200


def test_a_revoked_key_is_refused(strict: Service, photo: bytes) -> None:
    store = KeyStore(strict.config.keys_path)
    record, key = store.create("short-lived")
    headers = {"Authorization": f"Bearer {key}"}
    assert strict.post("/v1/credentials/verify", photo, headers=headers).status_code == 200
    assert store.revoke(record.id)
    refused = strict.post("/v1/credentials/verify", photo, headers=headers)
    assert refused.status_code == 401 and "revoked" in refused.json()["error"]


def test_each_key_has_its_own_rate_limit(strict: Service) -> None:
    store = KeyStore(strict.config.keys_path)
    _, first = store.create("first")
    _, second = store.create("second")
    route = "/v1/files/AAAAAAAAAAAAAAAAAAAAAA.png"
    statuses = [
        strict.client.get(route, headers={"X-API-Key": first}).status_code for _ in range(4)
    ]
    assert statuses == [404, 404, 404, 429]
    limited = strict.client.get(route, headers={"X-API-Key": first})
    assert limited.json()["error_type"] == "rate_limited"
    assert int(limited.headers["retry-after"]) >= 1
    assert strict.client.get(route, headers={"X-API-Key": second}).status_code == 404


def test_without_an_index_match_is_404(strict: Service, photo: bytes) -> None:
    response = strict.post("/v1/match", photo, headers={"X-API-Key": strict.key})
    assert response.status_code == 404
    assert "--db" in response.json()["error"]


# -- crashes, timeouts, a full pool --------------------------------------------------------


@pytest.fixture(scope="module")
def fragile(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    """One worker, no queue, 2 s per request; ``watermark detect`` crashes its worker on
    13-pixel-wide images, hangs on 17, raises on 19 (the patch is in place before the
    worker processes are forked, so they inherit it)."""
    original = DetectTask.process

    def fragile_process(self: DetectTask, image: Any, path: str, settings: Any) -> Any:
        if image.width == 13:
            os._exit(7)  # what a decoder's segfault looks like from outside
        if image.width == 17:
            time.sleep(30)
        if image.width == 19:
            raise RuntimeError(f"boom while reading {path}")
        return original(self, image, path, settings)

    folder = tmp_path_factory.mktemp("fragile")
    config = ServiceConfig(
        data_dir=folder / "data", workers=1, queue=0, request_timeout_s=2.0, rate_per_s=0
    )
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(DetectTask, "process", fragile_process)
        yield from start(config)


def test_a_crashing_decoder_costs_one_request(fragile: Service) -> None:
    crashed = fragile.post("/v1/watermark/detect", png_of_width(13), name="crash.png")
    assert crashed.status_code == 500
    row = crashed.json()
    assert row["error_type"] == "worker_crashed" and "exit code 7" in row["error"]
    assert row["path"] == "crash.png"
    after = fragile.post("/v1/watermark/detect", png_of_width(32))
    assert after.status_code == 200 and after.json()["detected"] is False
    assert fragile.client.get("/v1/health").json()["workers_replaced"] >= 1


def test_a_request_past_the_time_limit_is_504_and_the_next_works(fragile: Service) -> None:
    started = time.monotonic()
    slow = fragile.post("/v1/watermark/detect", png_of_width(17))
    assert slow.status_code == 504
    assert slow.json()["error_type"] == "timeout"
    assert time.monotonic() - started < 10
    assert fragile.post("/v1/watermark/detect", png_of_width(32)).status_code == 200


def test_a_full_pool_answers_503_with_retry_after(fragile: Service) -> None:
    statuses: list[int] = []
    thread = threading.Thread(
        target=lambda: statuses.append(
            fragile.post("/v1/watermark/detect", png_of_width(17)).status_code
        )
    )
    thread.start()
    deadline = time.monotonic() + 5
    while fragile.client.get("/v1/health").json()["admitted"] < 1:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    busy = fragile.post("/v1/watermark/detect", png_of_width(32))
    thread.join()
    assert busy.status_code == 503
    assert busy.json()["error_type"] == "busy"
    assert int(busy.headers["retry-after"]) >= 1
    assert statuses == [504]


def test_an_analysis_error_is_500_without_trace_or_path(
    fragile: Service, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="pixelproof.service"):
        failed = fragile.post("/v1/watermark/detect", png_of_width(19), name="boom.png")
    assert failed.status_code == 500
    text = failed.text
    assert "boom while" not in text and "Traceback" not in text
    assert str(fragile.data_dir) not in text and "uploads" not in text
    request_id = failed.headers["x-request-id"]
    assert request_id in failed.json()["error"]
    (logged,) = [r for r in caplog.records if getattr(r, "request_id", None) == request_id]
    assert logged.status == 500  # type: ignore[attr-defined]
    assert "boom while reading" in logged.detail  # type: ignore[attr-defined]
    assert logged.error_type == "analysis_error"  # type: ignore[attr-defined]


def test_every_request_is_logged_with_its_id(
    service: Service, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="pixelproof.service"):
        response = service.client.get("/v1/health")
    (record,) = [r for r in caplog.records if r.getMessage() == "request"]
    assert record.request_id == response.headers["x-request-id"]  # type: ignore[attr-defined]
    assert record.path == "/v1/health" and record.status == 200  # type: ignore[attr-defined]
    from pixelproof.service._logging import JsonFormatter

    line = JsonFormatter().format(record)
    assert '"request_id"' in line and '"duration_ms"' in line


def test_a_tiny_image_is_a_normal_request(service: Service) -> None:
    data = encode(np.zeros((8, 8, 3), np.uint8), "PNG")
    assert service.post("/v1/watermark/detect", data, name="tiny.png").status_code == 200
