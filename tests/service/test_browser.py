"""End to end in a real browser: upload an image on the page, see the verdict, the
heat-map over the image, the matches, and download a watermarked copy.

Runs with pytest-playwright and Debian's Chromium (never a browser fetched by
``playwright install``); skips when either is missing, except in CI (``CI`` set),
where ``make test`` installs both and a missing one fails the test. With
``PIXELPROOF_SCREENSHOT=docs/service.png`` the page with its results is saved there.
"""

from __future__ import annotations

import io
import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

if not os.environ.get("CI"):
    pytest.importorskip("pytest_playwright", reason="pytest-playwright is not installed")
    pytest.importorskip("uvicorn", reason="uvicorn is not installed")

import uvicorn
from playwright.sync_api import Page, expect

from pixelproof.service import KeyStore, ServiceConfig, create_app
from pixelproof.settings import Settings

from .conftest import PHOTO, REPO_ROOT

REFERENCES = ("hats-shared.jpg", "lighthouse-rotated.jpg", "valley-generated.png")


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A service on a free loopback port, its index holding three example images."""
    folder = tmp_path_factory.mktemp("live")
    config = ServiceConfig(
        data_dir=folder / "data", index_db=folder / "index.db", workers=2, rate_per_s=0
    )
    _, key = KeyStore(config.keys_path).create("browser test")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(Settings(), config), host="127.0.0.1", port=port, log_level="warning"
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the service did not start"
        time.sleep(0.05)
    import httpx

    base = f"http://127.0.0.1:{port}"
    for name in REFERENCES:
        added = httpx.post(
            f"{base}/v1/index/add",
            files={"file": (name, (REPO_ROOT / "examples" / name).read_bytes())},
            headers={"X-API-Key": key},
            timeout=60,
        )
        assert added.status_code == 200, added.text
    yield base
    server.should_exit = True
    thread.join(timeout=30)


def test_upload_shows_verdict_heatmap_matches_and_embeds(page: Page, live: str) -> None:
    page.set_viewport_size({"width": 1100, "height": 1000})
    page.goto(live + "/")
    expect(page.locator("#limits")).to_contain_text("MiB")
    page.set_input_files("#file", str(PHOTO))

    expect(page.locator("#status")).to_have_text("Done: parrots-spliced.jpg", timeout=120_000)
    expect(page.locator("#forensics .card")).to_contain_text("manipulated")
    expect(page.locator("#cards .card").first).to_contain_text("tampering")
    expect(page.locator("#heat")).to_be_visible()
    painted = page.evaluate(
        """() => {
            const c = document.getElementById('heat');
            const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
            let bright = 0;
            for (let i = 0; i < d.length; i += 4) if (d[i] > 200) bright++;
            return [c.width, c.height, bright];
        }"""
    )
    assert painted[:2] == [512, 341] and painted[2] > 1000
    page.locator("#opacity").fill("20")
    assert page.eval_on_selector("#heat", "c => c.style.opacity") == "0.2"
    expect(page.locator("#heat-select option")).not_to_have_count(0)
    expect(page.locator("#matches")).to_contain_text("hats-shared.jpg")
    expect(page.locator("#meta")).to_contain_text("Example Camera")
    expect(page.locator("#watermark")).to_contain_text("No pixelproof watermark")

    page.fill("#message", "c0ffee")
    page.click("#embed-form button")
    link = page.locator("#embed-result a")
    expect(link).to_have_attribute("download", "parrots-spliced-marked.png", timeout=60_000)

    screenshot = os.environ.get("PIXELPROOF_SCREENSHOT")
    if screenshot:
        save_screenshot(page, Path(screenshot))


def save_screenshot(page: Page, target: Path) -> None:
    """The page's first screen with the heat-map at its default opacity, as a small
    palette PNG (for the README)."""
    from PIL import Image

    page.locator("#opacity").fill("65")
    page.evaluate("window.scrollTo(0, 0)")
    png = page.screenshot(clip={"x": 0, "y": 0, "width": 1100, "height": 1000})
    with Image.open(io.BytesIO(png)) as shot:
        small = shot.convert("RGB").resize((880, 800), Image.Resampling.LANCZOS)
        palette = small.quantize(
            256, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.FLOYDSTEINBERG
        )
        palette.save(target, optimize=True)


def test_keyboard_and_phone_width(page: Page, live: str) -> None:
    page.set_viewport_size({"width": 375, "height": 740})
    page.goto(live + "/")
    page.keyboard.press("Tab")  # the skip link
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "file"
    page.set_input_files("#file", str(REPO_ROOT / "examples" / "valley-generated.png"))
    expect(page.locator("#status")).to_have_text("Done: valley-generated.png", timeout=120_000)
    width: Any = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375
    expect(page.locator("#matches")).to_contain_text("valley-generated.png")
