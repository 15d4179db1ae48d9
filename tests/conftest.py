"""Shared fixtures.

Tests generate their own images with numpy and Pillow. The few that read real files
from ``../shared/data`` (next to the repository, never copied into it) ask for the
``shared_data`` fixture, which skips them cleanly when the folder is absent.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"


def shared_path(*parts: str) -> Path:
    """A path inside ``../shared/data``; skips the calling test when it is absent."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"shared data not available: {path}")
    return path


@pytest.fixture
def shared_data() -> Callable[..., Path]:
    """Resolve paths inside ``../shared/data``; skips when the folder is absent.

    ``shared_data("photos", "kodak24")`` gives that folder, or skips the test.
    """
    shared_path()
    return shared_path


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Tests that use the fixture carry the marker, so `-m "not shared_data"` works.
    for item in items:
        if "shared_data" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.shared_data)
