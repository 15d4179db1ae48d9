"""The FastAPI application: routes, access control, and the path of one upload.

An analysing request goes: key and rate limit (before the body is read) -> admission
to the worker pool (503 when full) -> the upload streamed into the data folder within
its byte limit -> the command's task in a worker process (the runner's
:func:`~pixelproof.runner.process_one`, with the loader's limits) -> the row, its
``path`` the upload's sanitized name and its side files published as download URLs
-> the same JSON as the command line's ``--json``.
"""

from __future__ import annotations

import asyncio
import math
import os
import secrets
import shutil
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Annotated, Any, TypeVar

from fastapi import Depends, FastAPI, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from typing_extensions import TypedDict

from .. import __version__
from .._spec import split_names
from ..evidence import SCHEMA_VERSION
from ..runner import ErrorType, Row, Task
from ..schemas import row_type
from ..settings import Settings
from ._config import ServiceConfig
from ._files import MEDIA_TYPES, FileStore
from ._keys import ApiKey, KeyStore, RateLimiter
from ._logging import LOGGER
from ._pool import PoolBusyError, WorkerPool
from ._uploads import FIELD, Upload, UploadError, receive_upload

T = TypeVar("T")
_Route = TypeVar("_Route", bound=Callable[..., Any])

STATIC = Path(__file__).parent / "static"
FILES_ROUTE = "/v1/files/"

# HTTP status of a row's error_type; anything else is the service's fault (500).
_STATUS: dict[str, int] = {
    ErrorType.EMPTY_FILE: 400,
    ErrorType.FILE_TOO_LARGE: 413,
    ErrorType.TOO_MANY_PIXELS: 413,
    ErrorType.TOO_LARGE: 413,
    ErrorType.UNSUPPORTED_FORMAT: 415,
    ErrorType.MISSING_DECODER: 415,
    ErrorType.CORRUPT_IMAGE: 422,
    ErrorType.NOT_IN_INDEX: 404,
    ErrorType.TIMEOUT: 504,
    ErrorType.WORKER_CRASHED: 500,
}
# 5xx rows whose message is the service's own words (no paths, no exception text).
_PLAIN_MESSAGES = {ErrorType.WORKER_CRASHED, ErrorType.TIMEOUT}

_SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' blob: data:; style-src 'self'; "
        "script-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
        "frame-ancestors 'none'; form-action 'self'"
    ),
}

_UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": [FIELD],
                    "properties": {FIELD: {"type": "string", "format": "binary"}},
                }
            }
        },
    }
}


class ErrorBody(TypedDict):
    """A request refused before any row exists (401, 413, 429, 503...)."""

    error: str
    error_type: str
    request_id: str


class HealthBody(TypedDict):
    status: str
    version: str
    schema_version: str
    workers: int
    busy: int
    queue: int
    admitted: int
    workers_replaced: int
    index_images: int | None
    require_key: bool
    max_upload_bytes: int
    uptime_s: float


_ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorBody, "description": text}
    for code, text in {
        401: "No API key, or an unknown or revoked one",
        413: "Upload too large",
        415: "Not a multipart upload",
        429: "Rate limited (see Retry-After)",
        503: "Every worker busy and the queue full (see Retry-After)",
    }.items()
}


class ApiError(Exception):
    """A refusal with its HTTP status, ``error_type`` and message."""

    def __init__(
        self, status: int, error_type: str, message: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.error_type = error_type
        self.message = message
        self.headers = headers or {}


class _IndexHolder:
    """The provenance index, owned by one thread: every search and write goes there."""

    def __init__(self, db: Path) -> None:
        self.db = db
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="pixelproof-index")
        self._index: Any = None
        self.add_options: Any = None
        self.query_options: Any = None

    async def call(self, work: Callable[[Any], T]) -> T:
        return await asyncio.wrap_future(self._thread.submit(lambda: work(self._index)))

    async def open(self) -> None:
        def opening(_: Any) -> None:
            from ..match import ProvenanceIndex

            self._index = ProvenanceIndex(self.db, create=True)
            self.add_options = self._index.feature_options(query=False)
            self.query_options = self._index.feature_options(
                query=True, reference=False, parts=True
            )

        await self.call(opening)

    def close(self) -> None:
        if self._index is not None:
            self._thread.submit(self._index.close).result()
        self._thread.shutdown(wait=True)


@dataclass
class _Service:
    settings: Settings
    config: ServiceConfig
    pool: WorkerPool
    keys: KeyStore
    limiter: RateLimiter
    files: FileStore
    uploads: Path
    work: Path
    index: _IndexHolder | None
    started: float = 0.0
    closers: list[Callable[[], None]] = field(default_factory=list)


def create_app(
    settings: Settings | None = None, config: ServiceConfig | None = None, **options: Any
) -> FastAPI:
    """The service as an ASGI application (run it with uvicorn).

    Parameters
    ----------
    settings : Settings, optional
        The analyses' configuration (watermark key, trust list, loader limits); the
        loader's file-size limit is lowered to the upload limit.
    config : ServiceConfig, optional
        The service's own; else built from ``options`` (``data_dir=`` at least).
    """
    config = config if config is not None else ServiceConfig(**options)
    settings = settings or Settings()
    limits = replace(
        settings.limits,
        max_file_bytes=min(settings.limits.max_file_bytes, config.max_upload_bytes),
    )
    time_limit = min(settings.time_limit_s or math.inf, config.request_timeout_s)
    settings = replace(settings, limits=limits, time_limit_s=time_limit)
    data = config.data_dir.resolve()
    service = _Service(
        settings=settings,
        config=config,
        pool=WorkerPool(
            config.workers, queue=config.queue, memory_limit_bytes=settings.memory_limit_bytes
        ),
        keys=KeyStore(config.keys_path),
        limiter=RateLimiter(config.rate_per_s, config.burst),
        files=FileStore(data / "files", config.file_ttl_s),
        uploads=data / "uploads",
        work=data / "work",
        index=_IndexHolder(config.index_db) if config.index_db is not None else None,
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> Any:
        _prepare_folders(data, service)
        service.pool.start()
        if service.index is not None:
            await service.index.open()
        service.started = time.monotonic()
        purging = asyncio.create_task(_purge_forever(service))
        LOGGER.info(
            "service started",
            extra={"workers": config.workers, "index": service.index is not None},
        )
        try:
            yield
        finally:
            purging.cancel()
            with suppress(asyncio.CancelledError):
                await purging
            service.pool.close()
            if service.index is not None:
                service.index.close()
            for close in service.closers:
                close()
            LOGGER.info("service stopped")

    app = FastAPI(
        title="pixelproof",
        version=__version__,
        summary="Image provenance and trust, offline: the command line's rows over HTTP.",
        description=(
            f"Upload one image per request as `multipart/form-data` in a field named "
            f"`{FIELD}`; options go in the query string. Each endpoint answers the JSON "
            "row of the matching command (`pixelproof <command> --json`), with `path` the "
            "upload's file name. Write endpoints need an API key (`Authorization: Bearer "
            "<key>` or `X-API-Key`)."
        ),
        lifespan=lifespan,
        docs_url=None,  # Swagger UI and ReDoc load from a CDN: not offline
        redoc_url=None,
    )
    app.state.service = service
    app.add_middleware(_RequestContext)
    _add_error_handlers(app)
    _add_routes(app, service)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    return app


def _prepare_folders(data: Path, service: _Service) -> None:
    """Create the data folder's parts (mode 0700) and drop what a crash left behind."""
    data.mkdir(parents=True, exist_ok=True, mode=0o700)
    for folder in (service.uploads, service.work, service.files.folder):
        folder.mkdir(exist_ok=True, mode=0o700)
    for folder in (service.uploads, service.work):
        for leftover in folder.iterdir():
            if leftover.is_dir() and not leftover.is_symlink():
                shutil.rmtree(leftover, ignore_errors=True)
            else:
                leftover.unlink(missing_ok=True)
    service.files.purge()


async def _purge_forever(service: _Service) -> None:
    period = min(60.0, service.config.file_ttl_s / 4)
    while True:
        await asyncio.sleep(period)
        try:
            service.files.purge()
        except OSError:
            LOGGER.exception("could not purge expired files")


# -- request context: ids, logs, headers, last-resort errors ---------------------------


class _RequestContext:
    """Gives each request an id (``X-Request-ID``), logs it as one JSON line, adds the
    security headers, and turns an unhandled exception into a bare 500."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = secrets.token_hex(8)
        state = scope.setdefault("state", {})
        state["request_id"] = request_id
        started = time.perf_counter()
        status = 500
        response_started = False

        async def sending(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                response_started = True
                status = message["status"]
                headers = MutableHeaders(scope=message)
                headers["X-Request-ID"] = request_id
                for name, value in _SECURITY_HEADERS.items():
                    headers.setdefault(name, value)
            await send(message)

        try:
            await self.app(scope, receive, sending)
        except Exception:
            LOGGER.exception("unhandled error", extra={"request_id": request_id})
            if response_started:
                raise
            state["error_type"] = "internal_error"
            body = _error_body(request_id, "internal_error", "internal error")
            await JSONResponse(body, status_code=500)(scope, receive, sending)
        finally:
            client = scope.get("client")
            LOGGER.info(
                "request",
                extra={
                    "request_id": request_id,
                    "method": scope.get("method"),
                    "path": scope.get("path"),
                    "status": status,
                    "duration_ms": round((time.perf_counter() - started) * 1000.0, 1),
                    "client": client[0] if client else None,
                    "key": state.get("key_id"),
                    "error_type": state.get("error_type"),
                    **({"detail": state["detail"]} if "detail" in state else {}),
                },
            )


def _error_body(request_id: str, error_type: str, message: str) -> ErrorBody:
    return {"error": message, "error_type": error_type, "request_id": request_id}


def _refusal(
    request: Request, status: int, error_type: str, message: str, headers: dict[str, str]
) -> JSONResponse:
    request.state.error_type = error_type
    body = _error_body(request.state.request_id, error_type, message)
    return JSONResponse(body, status_code=status, headers=headers)


def _add_error_handlers(app: FastAPI) -> None:
    async def api_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ApiError)
        return _refusal(request, exc.status, exc.error_type, exc.message, exc.headers)

    async def upload_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, UploadError)
        return _refusal(request, exc.status, exc.error_type, exc.message, {})

    async def busy(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, PoolBusyError)
        headers = {"Retry-After": str(exc.retry_after_s)}
        return _refusal(request, 503, "busy", str(exc), headers)

    async def invalid(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        problems = [
            f"{'.'.join(str(p) for p in error.get('loc', ()) if p != 'query')}: {error.get('msg')}"
            for error in exc.errors()
        ]
        return _refusal(request, 422, "invalid_option", "; ".join(problems), {})

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        error_type = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http")
        headers = dict(exc.headers or {})
        return _refusal(request, exc.status_code, error_type, str(exc.detail), headers)

    app.add_exception_handler(ApiError, api_error)
    app.add_exception_handler(UploadError, upload_error)
    app.add_exception_handler(PoolBusyError, busy)
    app.add_exception_handler(RequestValidationError, invalid)
    app.add_exception_handler(StarletteHTTPException, http_error)


# -- access: keys and rate limits ------------------------------------------------------


def _presented_key(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return request.headers.get("x-api-key") or None


def _access(*, write: bool) -> Callable[[Request], Awaitable[ApiKey | None]]:
    async def check(request: Request) -> ApiKey | None:
        service: _Service = request.app.state.service
        presented = _presented_key(request)
        key = None
        challenge = {"WWW-Authenticate": 'Bearer realm="pixelproof"'}
        if presented is not None:
            key = service.keys.verify(presented)
            if key is None:
                raise ApiError(401, "unauthorized", "the API key is unknown or revoked", challenge)
            request.state.key_id = key.id
        elif write or service.config.require_key:
            what = "writing to the index" if write else "this service"
            raise ApiError(
                401,
                "unauthorized",
                f"{what} needs an API key: send it as 'Authorization: Bearer <key>' "
                "or 'X-API-Key: <key>' (create one with `pixelproof keys create`)",
                challenge,
            )
        client = request.client.host if request.client else "unknown"
        wait = service.limiter.take(f"key:{key.id}" if key else f"addr:{client}")
        if wait > 0:
            seconds = max(1, math.ceil(wait))
            raise ApiError(
                429,
                "rate_limited",
                f"too many requests: try again in {seconds} s",
                {"Retry-After": str(seconds)},
            )
        return key

    return check


READ = [Depends(_access(write=False))]
WRITE = [Depends(_access(write=True))]


# -- one upload through one task ---------------------------------------------------------


Finish = Callable[[Row[Any], Upload], Awaitable[Row[Any]]]


async def _analyse(
    request: Request,
    make_task: Callable[[Path], Task[Any]],
    finish: Finish | None = None,
    *,
    raw: bool = False,
    render: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
) -> JSONResponse:
    """Receive the upload, run the task on it in a worker, and answer its JSON row.

    ``raw`` also accepts the image as the whole body (see :func:`receive_upload`);
    ``render`` turns a row that has a result into another body (an API's own shape).

    The row is sent as the command line prints it: the endpoints' response models (the
    row types) document it, but are not used to filter it (they would drop the fields
    that open mappings such as a metadata finding's carry).
    """
    service: _Service = request.app.state.service
    request_id: str = request.state.request_id
    deadline = time.monotonic() + service.config.request_timeout_s
    work = service.work / request_id
    async with service.pool.admit():
        try:
            upload = await asyncio.wait_for(
                receive_upload(
                    request.headers.get("content-type"),
                    request.headers.get("content-length"),
                    request.stream(),
                    service.uploads,
                    service.config.max_upload_bytes,
                    raw=raw,
                ),
                service.config.request_timeout_s,
            )
        except TimeoutError:
            raise ApiError(408, "timeout", "the upload took longer than the time limit") from None
        try:
            work.mkdir(mode=0o700)
            job = (make_task(work), str(upload.path), service.settings)
            row = await service.pool.run(job, timeout_s=max(0.1, deadline - time.monotonic()))
            row = replace(row, path=upload.name)
            if finish is not None and row.ok:
                row = await finish(row, upload)
            produced = row.to_dict()
            produced = _published(produced, work, service.files)
        finally:
            upload.path.unlink(missing_ok=True)
            shutil.rmtree(work, ignore_errors=True)
    produced = _scrubbed(produced, {str(upload.path): upload.name, str(service.work): "work"})
    if render is not None and "error_type" not in produced:
        return JSONResponse(render(produced))
    return _respond(request, produced)


def _respond(request: Request, row: dict[str, Any]) -> JSONResponse:
    """The row, with the status its ``error_type`` calls for and no internal details."""
    error_type = row.get("error_type")
    if error_type is None:
        return JSONResponse(row)
    status = _STATUS.get(str(error_type), 500)
    request.state.error_type = str(error_type)
    if status >= 500 and error_type not in _PLAIN_MESSAGES:
        request.state.detail = row.get("error")
        row = {
            **row,
            "error": "the analysis failed on this image; the service log has the details "
            f"(request id {request.state.request_id})",
        }
    return JSONResponse(row, status_code=status)


def _published(value: Any, work: Path, files: FileStore) -> Any:
    """Every side file named in a row (a path inside the request's work folder) moved to
    the download store and replaced by its URL."""
    prefix = str(work) + os.sep
    if isinstance(value, str) and value.startswith(prefix):
        path = Path(value)
        if path.suffix.lower() in MEDIA_TYPES and path.is_file() and not path.is_symlink():
            return FILES_ROUTE + files.publish(path)
        return None
    if isinstance(value, dict):
        return {k: _published(v, work, files) for k, v in value.items()}
    if isinstance(value, list):
        return [_published(v, work, files) for v in value]
    return value


def _scrubbed(value: Any, replacements: dict[str, str]) -> Any:
    """The row with the service's own paths replaced (a safety net: messages that
    quote the stored upload show its client name)."""
    if isinstance(value, str):
        for old, new in replacements.items():
            if old in value:
                value = value.replace(old, new)
        return value
    if isinstance(value, dict):
        return {k: _scrubbed(v, replacements) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrubbed(v, replacements) for v in value]
    return value


def _invalid(message: str) -> ApiError:
    return ApiError(400, "invalid_option", message)


# -- routes --------------------------------------------------------------------------


UPLOAD: dict[str, Any] = {"openapi_extra": _UPLOAD_BODY, "responses": _ERRORS}
"""What every route that takes an image upload declares (its body and its error answers)."""


def upload_post(
    app: FastAPI, path: str, command: str, tag: str, dependencies: list[Any] = READ
) -> Callable[[_Route], _Route]:
    """``POST path``: an image upload answered with ``command``'s JSON row."""
    return app.post(
        path, response_model=row_type(command), tags=[tag], dependencies=dependencies, **UPLOAD
    )


def _add_routes(app: FastAPI, service: _Service) -> None:
    from ..tasks.forensics import ForensicsTask
    from ..tasks.meta import MetaTask, VerifyTask
    from ..tasks.scan import ScanTask
    from ..tasks.watermark import DetectTask, EmbedTask, write_marked

    @app.get("/", include_in_schema=False)
    async def page() -> HTMLResponse:
        return HTMLResponse((STATIC / "index.html").read_text("utf-8"))

    @app.get("/v1/health", tags=["service"])
    async def health() -> HealthBody:
        """Liveness and load; needs no key."""
        images = None
        if service.index is not None:
            images = await service.index.call(len)
        return {
            "status": "ok",
            "version": __version__,
            "schema_version": SCHEMA_VERSION,
            "workers": service.pool.size,
            "busy": service.pool.busy,
            "queue": service.pool.queue,
            "admitted": service.pool.admitted,
            "workers_replaced": service.pool.replaced,
            "index_images": images,
            "require_key": service.config.require_key,
            "max_upload_bytes": service.config.max_upload_bytes,
            "uptime_s": round(time.monotonic() - service.started, 1),
        }

    @upload_post(app, "/v1/scan", "scan", "analyse")
    async def scan(
        request: Request,
        only: Annotated[
            str | None, Query(description="Analyzers or capabilities, comma-separated.")
        ] = None,
        skip: Annotated[
            str | None, Query(description="Analyzers or capabilities to leave out.")
        ] = None,
        heatmaps: Annotated[bool, Query(description="Publish each heat-map for download.")] = False,
    ) -> Any:
        """Every installed analyzer's evidence (`pixelproof scan --json`)."""
        task = ScanTask(only=split_names(only), skip=split_names(skip))
        try:
            task.check(service.settings)
        except ValueError as exc:
            raise _invalid(str(exc)) from None

        def make(work: Path) -> ScanTask:
            return replace(task, heatmap_dir=str(work) if heatmaps else None)

        return await _analyse(request, make)

    @upload_post(app, "/v1/forensics", "forensics", "analyse")
    async def forensics(
        request: Request,
        analyses: Annotated[
            str | None, Query(description="Analyses, comma-separated (default: all).")
        ] = None,
        heatmaps: Annotated[
            bool, Query(description="Publish the fused map and each analysis's map for download.")
        ] = False,
    ) -> Any:
        """Where the image was edited, and how sure that is (`pixelproof forensics --json`)."""
        from ..forensics import check_analyses

        try:
            selected = check_analyses(split_names(analyses))
        except ValueError as exc:
            raise _invalid(str(exc)) from None

        def make(work: Path) -> ForensicsTask:
            return ForensicsTask(selected, str(work) if heatmaps else None)

        return await _analyse(request, make)

    @upload_post(app, "/v1/detect", "detect", "analyse")
    async def detect(
        request: Request,
        pixels_only: Annotated[
            bool, Query(description="Judge the pixels alone: no metadata, credentials or marks.")
        ] = False,
        heatmaps: Annotated[
            bool, Query(description="Publish the map of where the image looks generated.")
        ] = False,
    ) -> Any:
        """Was the image generated by an AI: calibrated score, label, evidence
        (`pixelproof detect --json`)."""
        from ..tasks.detect import SyntheticTask

        def make(work: Path) -> SyntheticTask:
            return SyntheticTask(str(work) if heatmaps else None, file_evidence=not pixels_only)

        return await _analyse(request, make)

    @upload_post(app, "/v1/meta", "meta", "analyse")
    async def meta(
        request: Request,
        c2pa: Annotated[bool, Query(description="Validate Content Credentials.")] = True,
        thumbnail: Annotated[
            bool, Query(description="Compare the EXIF thumbnail with the pixels.")
        ] = True,
    ) -> Any:
        """EXIF, XMP, IPTC, generator traces, consistency findings, C2PA
        (`pixelproof meta --json`)."""
        task = MetaTask(c2pa=c2pa, thumbnail=thumbnail)
        return await _analyse(request, lambda work: task)

    @upload_post(app, "/v1/credentials/verify", "credentials verify", "analyse")
    async def credentials_verify(request: Request) -> Any:
        """Content Credentials: integrity, signer trust and claims
        (`pixelproof credentials verify --json`)."""
        return await _analyse(request, lambda work: VerifyTask())

    @upload_post(app, "/v1/watermark/detect", "watermark detect", "watermark")
    async def watermark_detect(
        request: Request,
        threshold: Annotated[
            float, Query(gt=0.0, lt=1.0, description="Largest p-value reported as a detection.")
        ] = 1e-6,
        stable_diffusion: Annotated[
            bool, Query(description="Also read Stable Diffusion's invisible mark.")
        ] = False,
    ) -> Any:
        """Look for pixelproof's mark made with the service's key
        (`pixelproof watermark detect --json`)."""
        task = DetectTask(threshold=threshold, stable_diffusion=stable_diffusion)
        return await _analyse(request, lambda work: task)

    @upload_post(app, "/v1/watermark/embed", "watermark embed", "watermark")
    async def watermark_embed(
        request: Request,
        message: Annotated[
            str, Query(max_length=16, description="The 32-bit payload: up to 8 hexadecimal digits.")
        ],
        strength: Annotated[
            float, Query(ge=0.1, le=4.0, description="Mark strength (1 = about 40-41 dB PSNR).")
        ] = 1.0,
        format: Annotated[
            str,
            Query(
                pattern="^(png|jpeg|jpg|webp|tiff|tif|auto)$",
                description="png, jpeg, webp, tiff or auto.",
            ),
        ] = "png",
        quality: Annotated[int, Query(ge=1, le=100, description="JPEG/WebP quality.")] = 95,
    ) -> Any:
        """A marked copy, with the service's key; `output` is its download URL
        (`pixelproof watermark embed --json`)."""
        try:
            from ..watermark._message import bits_to_hex, message_bits
        except ImportError as exc:
            raise ApiError(501, "not_installed", str(exc)) from None
        try:
            hex_message = bits_to_hex(message_bits(message))
        except (TypeError, ValueError) as exc:
            raise _invalid(f"message: {exc}") from None

        def make(work: Path) -> EmbedTask:
            return EmbedTask(str(work), hex_message, strength, format, quality)

        async def write(row: Row[Any], upload: Upload) -> Row[Any]:
            return next(iter(write_marked([row], [str(upload.path)])))

        return await _analyse(request, make, write)

    _add_index_routes(app, service)
    from ._softbinding import add_soft_binding_routes

    add_soft_binding_routes(app, service)

    @app.get(
        FILES_ROUTE + "{file_id}",
        tags=["service"],
        dependencies=READ,
        response_class=FileResponse,
        responses={200: {"content": {t: {} for t in set(MEDIA_TYPES.values())}}},
    )
    async def download(file_id: str) -> FileResponse:
        """A heat-map or marked image, while it is kept (see `file_ttl_s`)."""
        path = service.files.find(file_id)
        if path is None:
            raise ApiError(404, "not_found", "no such file, or it has expired")
        return FileResponse(
            path,
            media_type=MEDIA_TYPES[path.suffix],
            filename=f"pixelproof-{file_id}",
            content_disposition_type="inline",
            headers={"Cache-Control": "private, max-age=300"},
        )


def _add_index_routes(app: FastAPI, service: _Service) -> None:
    from ..match import ImageFeatures
    from ..tasks.match import FeaturesTask, index_rows, search_rows

    def holder() -> _IndexHolder:
        if service.index is None:
            raise ApiError(
                404, "no_index", "this service has no provenance index (start it with --db)"
            )
        return service.index

    def named(row: Row[Any], upload: Upload) -> Row[Any]:
        if isinstance(row.result, ImageFeatures):
            return replace(row, result=replace(row.result, path=upload.name))
        return row

    @upload_post(app, "/v1/match", "match", "match")
    async def match(
        request: Request,
        top_k: Annotated[int, Query(ge=1, le=100, description="Matches to report.")] = 5,
        verify: Annotated[
            int, Query(ge=0, le=100, description="Candidates checked with local features.")
        ] = 12,
        replication: Annotated[
            bool,
            Query(description="Mark the query replicated when its best score passes threshold."),
        ] = False,
        threshold: Annotated[
            float, Query(ge=0.0, le=1.0, description="Score above which a match counts.")
        ] = 0.5,
    ) -> Any:
        """The indexed images this one is an edited copy of, best first
        (`pixelproof match --json`)."""
        index = holder()
        task = FeaturesTask(index.query_options)

        async def search(row: Row[Any], upload: Upload) -> Row[Any]:
            rows = [named(row, upload)]
            return await index.call(
                lambda ix: next(
                    search_rows(
                        ix,
                        rows,
                        k=top_k,
                        verify_top=verify,
                        replication_threshold=threshold if replication else None,
                    )
                )
            )

        return await _analyse(request, lambda work: task, search)

    @upload_post(app, "/v1/index/add", "index add", "match", WRITE)
    async def index_add(request: Request) -> Any:
        """Add the image to the index under its file name (`pixelproof index add --json`);
        needs a key."""
        index = holder()
        task = FeaturesTask(index.add_options, known_in=str(index.db))

        async def add(row: Row[Any], upload: Upload) -> Row[Any]:
            rows = [named(row, upload)]
            return await index.call(lambda ix: next(index_rows(ix, rows, batch_size=1)))

        return await _analyse(request, lambda work: task, add)

    @app.post(
        "/v1/index/remove",
        response_model=row_type("index remove"),
        tags=["match"],
        dependencies=WRITE,
        responses=_ERRORS,
    )
    async def index_remove(
        request: Request,
        target: Annotated[
            str,
            Query(
                min_length=1,
                max_length=1000,
                description="An indexed file name or path, or a SHA-256.",
            ),
        ],
    ) -> Any:
        """Remove images from the index (`pixelproof index remove --json`); needs a key."""
        index = holder()
        removed = await index.call(lambda ix: ix.remove([target]))
        row: dict[str, Any] = {"schema_version": SCHEMA_VERSION, "path": target}
        if removed:
            row["removed"] = [record.path for record in removed]
        else:
            row.update(error="nothing in the index matches", error_type=ErrorType.NOT_IN_INDEX)
        return _respond(request, row)

    @app.get(
        "/v1/index/stats",
        response_model=row_type("index stats"),
        tags=["match"],
        dependencies=READ,
        responses=_ERRORS,
    )
    async def index_stats() -> Any:
        """Counts and settings of the index (`pixelproof index stats --json`; `path` is the
        index file's name only)."""
        index = holder()
        stats = await index.call(lambda ix: ix.stats())
        row = {"schema_version": SCHEMA_VERSION, **stats.to_dict()}
        row["path"] = Path(row["path"]).name
        return JSONResponse(row)
