"""The HTTP service's own configuration (the analyses' is
:class:`~pixelproof.settings.Settings`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

DEFAULT_MAX_UPLOAD_BYTES = 50 * 2**20


@dataclass(frozen=True)
class ServiceConfig:
    """How the service is run: where it keeps files, its limits, who may call it.

    Parameters
    ----------
    data_dir : Path
        The service's folder: uploads being analysed, heat-maps and marked images
        waiting to be downloaded, and (by default) the API keys. Nothing is written
        anywhere else, but the index.
    index_db : Path or None
        The provenance index searched by ``/v1/match`` and written by ``/v1/index/*``
        (created when missing); None disables those endpoints.
    keys_db : Path or None
        SQLite file of the API keys (default ``<data_dir>/keys.db``).
    require_key : bool
        Every ``/v1`` endpoint but ``health`` needs a key (write endpoints always do).
    workers : int
        Worker processes analysing uploads, one request each at a time.
    queue : int
        Requests that may wait for a worker; past ``workers + queue`` admitted
        requests the service answers 503 with ``Retry-After``.
    request_timeout_s : float
        Wall-clock seconds a request may take, waiting for a worker included.
    max_upload_bytes : int
        Largest accepted upload (checked on ``Content-Length``, then on the bytes
        actually received).
    rate_per_s, burst : float, int
        Token bucket of each key (or, without a key, each client address):
        ``rate_per_s`` requests a second on average, ``burst`` at once. 0 disables.
    file_ttl_s : float
        How long heat-maps and marked images stay downloadable.
    """

    data_dir: Path
    index_db: Path | None = None
    keys_db: Path | None = None
    require_key: bool = False
    workers: int = 2
    queue: int = 8
    request_timeout_s: float = 60.0
    max_upload_bytes: int = DEFAULT_MAX_UPLOAD_BYTES
    rate_per_s: float = 5.0
    burst: int = 20
    file_ttl_s: float = 900.0

    def __post_init__(self) -> None:
        if self.workers < 1:
            raise ValueError(f"workers must be at least 1, got {self.workers}")
        if self.queue < 0:
            raise ValueError(f"queue must not be negative, got {self.queue}")
        if self.request_timeout_s <= 0:
            raise ValueError("request_timeout_s must be positive")
        if self.max_upload_bytes <= 0:
            raise ValueError("max_upload_bytes must be positive")
        if self.rate_per_s < 0 or self.burst < 0:
            raise ValueError("rate_per_s and burst must not be negative")
        if self.file_ttl_s <= 0:
            raise ValueError("file_ttl_s must be positive")

    @property
    def keys_path(self) -> Path:
        return self.keys_db if self.keys_db is not None else self.data_dir / "keys.db"
