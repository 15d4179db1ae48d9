"""The C2PA Soft Binding Resolution API, backed by the manifest repository.

Routes (the API's own shape, camelCase included; see the C2PA "Soft Binding API"
specification), answered from ``Settings.credentials_repo``:

- ``GET /matches/byBinding?alg=&value=&maxResults=`` (or ``POST`` with a JSON body
  ``{"alg", "value"}``): manifests whose soft binding is this value:
  ``{"matches": [{"manifestId", "similarityScore"}]}``; a watermark identifier is
  looked up exactly (score 100), a fingerprint vector by global similarity (score 100
  x cosine);
- ``POST /matches/byContent?alg=&maxResults=``: the same for an image, sent as the
  body (``image/*``) or as the service's usual multipart upload; its watermark is read
  and its fingerprint searched (score 100 x the calibrated match score, from 50);
- ``GET /manifests/{manifestId}``: the manifest store, ``application/c2pa``;
- ``GET /services/supportedAlgorithms``: the algorithm names this repository resolves.

The same routes are also served under ``/v1`` (the specification's example server URL
ends in ``/v1``), and ``POST /v1/credentials/recover`` answers the row of
``pixelproof credentials recover --json``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Body, FastAPI, Query, Request, Response
from fastapi import Path as PathParam
from typing_extensions import TypedDict

from ..credentials import (
    FINGERPRINT_ALG,
    WATERMARK_ALG,
    ManifestRepository,
    decode_fingerprint,
    decode_identifier,
)
from ._app import READ, UPLOAD, ApiError, _analyse, _invalid, _Service, upload_post

T = TypeVar("T")
MAX_RESULTS = 100
MaxResults = Annotated[
    int, Query(alias="maxResults", ge=1, le=MAX_RESULTS, description="Matches to return.")
]


class AlgorithmDict(TypedDict):
    alg: str


class SupportedAlgorithmsBody(TypedDict):
    """``GET /services/supportedAlgorithms``."""

    watermarks: list[AlgorithmDict]
    fingerprints: list[AlgorithmDict]


class MatchBody(TypedDict):
    manifestId: str
    similarityScore: int


class MatchesBody(TypedDict):
    """Manifests found, best first."""

    matches: list[MatchBody]


class BindingQuery(TypedDict):
    """``POST /matches/byBinding``: one soft binding (the value base64, as in the assertion)."""

    alg: str
    value: str


class _RepositoryHolder:
    """The repository, opened read-only on first use, owned by one thread."""

    def __init__(self, folder: str | None) -> None:
        self.folder = folder
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="pixelproof-manifests")
        self._repository: ManifestRepository | None = None

    async def call(self, work: Callable[[ManifestRepository], T]) -> T:
        if self.folder is None:
            raise ApiError(
                404,
                "no_repository",
                "this service has no manifest repository (set credentials_repo in --config)",
            )
        return await asyncio.wrap_future(self._thread.submit(self._run, work))

    def _run(self, work: Callable[[ManifestRepository], T]) -> T:
        if self._repository is None:
            assert self.folder is not None
            self._repository = ManifestRepository(self.folder, readonly=True)
        return work(self._repository)

    def close(self) -> None:
        if self._repository is not None:
            self._thread.submit(self._repository.close).result()
        self._thread.shutdown(wait=True)


def add_soft_binding_routes(app: FastAPI, service: _Service) -> None:
    """The Soft Binding Resolution API at the root and under ``/v1``, and ``recover``."""
    from ..tasks.credentials import ContentMatchTask, RecoverTask

    holder = _RepositoryHolder(service.settings.credentials_repo)
    service.closers.append(holder.close)
    router = APIRouter(tags=["soft binding"], dependencies=READ)

    async def by_binding(alg: str, value: str, max_results: int) -> MatchesBody:
        if alg == WATERMARK_ALG:
            identifier = decode_identifier(value)
            if identifier is None:
                raise _invalid("value: a watermark binding is 4 bytes, base64-encoded")
            found = await holder.call(lambda repo: repo.by_identifier(identifier))
            matches = [] if found is None else [_match(found.manifest_id, 100)]
        elif alg == FINGERPRINT_ALG:

            def nearest(repo: ManifestRepository) -> list[MatchBody]:
                vector = decode_fingerprint(value, repo.fingerprints.descriptor.dim)
                if vector is None:
                    raise _invalid("value: not a fingerprint of this repository's descriptor")
                hits = repo.by_vector(vector, k=max_results)
                return [_match(h.manifest_id, round(100 * max(0.0, h.similarity))) for h in hits]

            matches = await holder.call(nearest)
        else:
            raise ApiError(
                400,
                "unsupported_algorithm",
                f"alg {alg[:80]!r} is not resolved here (known: {WATERMARK_ALG}, "
                f"{FINGERPRINT_ALG})",
            )
        return {"matches": matches[:max_results]}

    @router.get("/matches/byBinding")
    async def match_by_binding(
        alg: Annotated[str, Query(min_length=1, max_length=200)],
        value: Annotated[str, Query(min_length=1, max_length=20_000)],
        max_results: MaxResults = 10,
    ) -> MatchesBody:
        """Manifests whose soft binding ``alg`` has this (base64) ``value``."""
        return await by_binding(alg, value, max_results)

    @router.post("/matches/byBinding")
    async def match_by_binding_post(
        query: Annotated[BindingQuery, Body()], max_results: MaxResults = 10
    ) -> MatchesBody:
        """As ``GET``, for values too long for a URL."""
        return await by_binding(query["alg"], query["value"], max_results)

    @router.post("/matches/byContent", response_model=MatchesBody, **UPLOAD)
    async def match_by_content(
        request: Request,
        alg: Annotated[str | None, Query(max_length=200)] = None,
        max_results: MaxResults = 10,
    ) -> Any:
        """Manifests this image leads to, by its watermark and its fingerprint."""
        await holder.call(len)  # 404 before the upload when there is no repository
        if alg not in (None, WATERMARK_ALG, FINGERPRINT_ALG):
            raise ApiError(400, "unsupported_algorithm", f"alg {alg[:80]!r} is not resolved here")
        task = ContentMatchTask(alg, max_results)

        def spec_body(row: dict[str, Any]) -> dict[str, Any]:
            return {"matches": row.get("matches", [])}

        return await _analyse(request, lambda work: task, raw=True, render=spec_body)

    @router.get(
        "/manifests/{manifestId}",
        response_class=Response,
        responses={200: {"content": {"application/c2pa": {}}}},
    )
    async def manifest(
        manifest_id: Annotated[str, PathParam(alias="manifestId", max_length=200)],
        return_active_manifest: Annotated[bool, Query(alias="returnActiveManifest")] = False,
    ) -> Response:
        """The manifest store (each holds one manifest: the active one)."""
        found = await holder.call(lambda repo: repo.by_manifest_id(manifest_id))
        if found is None:
            raise ApiError(404, "not_found", "no manifest with this id in the repository")
        return Response(found.store, media_type="application/c2pa")

    @router.get("/services/supportedAlgorithms")
    async def supported() -> SupportedAlgorithmsBody:
        """The soft binding algorithms this repository resolves."""
        return {"watermarks": [{"alg": WATERMARK_ALG}], "fingerprints": [{"alg": FINGERPRINT_ALG}]}

    app.include_router(router)
    app.include_router(router, prefix="/v1", include_in_schema=False)

    @upload_post(app, "/v1/credentials/recover", "credentials recover", "analyse")
    async def credentials_recover(request: Request) -> Any:
        """Content Credentials embedded, else recovered by watermark and fingerprint
        (`pixelproof credentials recover --json`)."""
        await holder.call(len)
        return await _analyse(request, lambda work: RecoverTask())


def _match(manifest_id: str, score: int) -> MatchBody:
    return {"manifestId": manifest_id, "similarityScore": int(min(100, max(0, score)))}
