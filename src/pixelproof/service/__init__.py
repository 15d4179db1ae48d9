"""The HTTP service and its web page: ``pixelproof serve``.

::

    upload ──> key · rate limit · admission ──> stream to the data folder ──> worker pool
               (401, 429, 503 + Retry-After)     (413 past the byte limit)    process_one(task)
                                                                                  │
    JSON row (the CLI's --json row, path = upload name) <── side files -> /v1/files/{id}

:func:`create_app` builds the FastAPI application from :class:`~pixelproof.settings.Settings`
(the analyses' configuration) and a :class:`ServiceConfig` (folders, limits, keys);
uvicorn runs it. Every analysing endpoint runs the same task as the command of the
same name (:mod:`pixelproof.tasks`) through :func:`pixelproof.runner.process_one` in
a bounded pool of worker processes (:class:`WorkerPool`), so a crashing decoder, a
timeout or an out-of-memory input costs one request. API keys are kept hashed in
SQLite (:class:`KeyStore`). Needs the ``service`` extra.
"""

from ._app import create_app
from ._config import ServiceConfig
from ._keys import ApiKey, KeyStore, RateLimiter
from ._pool import PoolBusyError, WorkerPool
from ._uploads import sanitize_name

__all__ = [
    "ApiKey",
    "KeyStore",
    "PoolBusyError",
    "RateLimiter",
    "ServiceConfig",
    "WorkerPool",
    "create_app",
    "sanitize_name",
]
