"""Fixtures of the HTTP service's tests: running services (in this process, through
Starlette's TestClient), API keys, the example photo, and the browser's launch options."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("fastapi", reason="the service extra is not installed")
pytest.importorskip("python_multipart", reason="the service extra is not installed")

from fastapi.testclient import TestClient

from pixelproof.service import KeyStore, ServiceConfig, create_app
from pixelproof.settings import Settings

REPO_ROOT = Path(__file__).resolve().parents[2]
PHOTO = REPO_ROOT / "examples" / "parrots-spliced.jpg"
CHROMIUM = Path("/usr/bin/chromium")


@dataclass
class Service:
    """A started service: its client, folders and a key that may write."""

    client: TestClient
    config: ServiceConfig
    key: str

    @property
    def data_dir(self) -> Path:
        return self.config.data_dir

    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}

    def post(self, route: str, data: bytes, name: str = "photo.jpg", **kwargs: Any) -> Any:
        return self.client.post(route, files={"file": (name, data, "image/jpeg")}, **kwargs)


def start(config: ServiceConfig, settings: Settings | None = None) -> Iterator[Service]:
    """Run a service for the duration of a ``with`` block (generator for fixtures)."""
    _, key = KeyStore(config.keys_path).create("tests")
    app = create_app(settings or Settings(), config)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield Service(client, config, key)


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    """Two workers, an index, a 2 MiB upload limit, no rate limit."""
    folder = tmp_path_factory.mktemp("service")
    config = ServiceConfig(
        data_dir=folder / "data",
        index_db=folder / "index.db",
        workers=2,
        max_upload_bytes=2 * 2**20,
        rate_per_s=0,
    )
    yield from start(config)


@pytest.fixture(scope="session")
def photo() -> bytes:
    return PHOTO.read_bytes()


# -- the browser test: pytest-playwright with the system's Chromium ----------------------


@pytest.fixture(scope="session")
def browser_type_launch_args() -> dict[str, Any]:
    """Debian's Chromium, never a browser downloaded by `playwright install`."""
    executable = os.environ.get("PIXELPROOF_CHROMIUM") or str(CHROMIUM)
    if not Path(executable).is_file() and shutil.which("chromium") is None:
        message = f"Chromium is not installed ({executable}): apt-get install chromium"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    if not Path(executable).is_file():
        executable = str(shutil.which("chromium"))
    return {
        "executable_path": executable,
        "headless": True,
        "args": ["--headless", "--no-sandbox", "--disable-gpu"],
    }
