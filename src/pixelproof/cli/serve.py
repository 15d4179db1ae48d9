"""``pixelproof serve`` (the HTTP service and its web page) and ``pixelproof keys``."""

from __future__ import annotations

import ipaddress
import json
import time
from pathlib import Path
from typing import Annotated

import typer

from ._common import (
    DEFAULT_MEMORY_LIMIT_MB,
    DEFAULT_PIXELS,
    EXIT_OK,
    EXIT_SOME_FAILED,
    ConfigFile,
    MaxPixels,
    MemoryLimitMb,
    build_settings,
    check_repository,
    stderr,
    usage_error,
)

DEFAULT_DATA_DIR = Path("pixelproof-data")

KeysDb = Annotated[
    Path,
    typer.Option(
        "--db", help="The key database (SQLite; `serve` reads <data-dir>/keys.db by default)."
    ),
]


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="Port to listen on.")] = 8000,
    db: Annotated[
        Path | None,
        typer.Option(
            "--db",
            help="Provenance index for /v1/match and /v1/index (created when missing).",
            show_default=False,
        ),
    ] = None,
    config: ConfigFile = None,
    data_dir: Annotated[
        Path,
        typer.Option(
            "--data-dir",
            help="The service's folder: uploads in progress, heat-maps and marked images "
            "to download, keys.db.",
        ),
    ] = DEFAULT_DATA_DIR,
    workers: Annotated[
        int, typer.Option("--workers", "-w", min=1, help="Worker processes analysing uploads.")
    ] = 2,
    require_key: Annotated[
        bool,
        typer.Option(
            "--require-key", help="Every endpoint but health needs an API key (writes always do)."
        ),
    ] = False,
    queue: Annotated[
        int, typer.Option(min=0, help="Requests that may wait for a worker; then 503.")
    ] = 8,
    timeout: Annotated[
        float, typer.Option(min=0.1, help="Seconds one request may take, waiting included.")
    ] = 60.0,
    max_upload_mb: Annotated[
        float, typer.Option(min=0.001, help="Largest accepted upload (MiB).")
    ] = 50.0,
    rate: Annotated[
        float,
        typer.Option(min=0.0, help="Requests a second per key (or client address); 0: no limit."),
    ] = 5.0,
    burst: Annotated[int, typer.Option(min=1, help="Requests at once per key.")] = 20,
    file_ttl: Annotated[
        float, typer.Option(min=1.0, help="Seconds heat-maps and marked images stay available.")
    ] = 900.0,
    keys_db: Annotated[
        Path | None,
        typer.Option(help="Key database (default: <data-dir>/keys.db).", show_default=False),
    ] = None,
    max_pixels: MaxPixels = DEFAULT_PIXELS,
    memory_limit_mb: MemoryLimitMb = DEFAULT_MEMORY_LIMIT_MB,
) -> None:
    """Run the HTTP service and its web page (needs the 'service' extra).

    Endpoints under /v1 answer the commands' --json rows; the page is at /.
    """
    try:
        import uvicorn

        from ..service import ServiceConfig, create_app
        from ..service._logging import LOGGER, configure_logging
    except ImportError as exc:
        raise usage_error(f"{exc.name} is missing: pip install 'pixelproof[service]'") from None
    settings = build_settings(config=config, max_pixels=max_pixels, memory_limit_mb=memory_limit_mb)
    try:
        service_config = ServiceConfig(
            data_dir=data_dir,
            index_db=db,
            keys_db=keys_db,
            require_key=require_key,
            workers=workers,
            queue=queue,
            request_timeout_s=timeout,
            max_upload_bytes=int(max_upload_mb * 2**20),
            rate_per_s=rate,
            burst=burst,
            file_ttl_s=file_ttl,
        )
        data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    except (ValueError, OSError) as exc:
        raise usage_error(str(exc)) from None
    if db is not None:
        _check_index(db)
    check_repository(settings)
    configure_logging()
    if not require_key and not _loopback(host):
        LOGGER.warning(
            "listening beyond this machine without --require-key: anyone who can reach "
            "it may analyse images",
            extra={"host": host},
        )
    app = create_app(settings, service_config)
    uvicorn.run(
        app,
        host=host,
        port=port,
        log_config=None,
        access_log=False,
        server_header=False,
        timeout_keep_alive=5,
        # Connections past this get 503 from uvicorn itself, before any parsing.
        limit_concurrency=max(64, 4 * (workers + queue)),
    )


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _check_index(db: Path) -> None:
    """Open (or create) the index once, so a bad --db is a usage error, not a crash."""
    from ..match import IndexFormatError, ProvenanceIndex

    try:
        ProvenanceIndex(db, create=True).close()
    except ImportError as exc:
        raise usage_error(f"--db: {exc}") from None
    except (IndexFormatError, ValueError, OSError) as exc:
        raise usage_error(f"--db: {exc}") from None


keys_app = typer.Typer(
    name="keys",
    help="API keys of the HTTP service (stored hashed; a key is shown once, when created).",
    no_args_is_help=True,
)


@keys_app.command("create")
def keys_create(
    db: KeysDb = DEFAULT_DATA_DIR / "keys.db",
    name: Annotated[str, typer.Option(help="What the key is for (shown in lists and logs).")] = "",
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Create a key and print it (it cannot be shown again)."""
    from ..service._keys import KeyStore

    try:
        record, key = KeyStore(db).create(name)
    except (OSError, ValueError) as exc:
        raise usage_error(f"--db: {exc}") from None
    if json_output:
        typer.echo(json.dumps({**record.to_dict(), "key": key}))
    else:
        typer.echo(key)
        stderr.print(
            f"key {record.id} ({record.name}) created in {db}; keep it secret, it is not "
            "stored and cannot be shown again",
            markup=False,
        )
    raise typer.Exit(EXIT_OK)


@keys_app.command("list")
def keys_list(
    db: KeysDb = DEFAULT_DATA_DIR / "keys.db",
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON Lines.")] = False,
) -> None:
    """List the keys (ids, names, dates; never the keys themselves)."""
    from ..service._keys import KeyStore

    for record in KeyStore(db).list():
        if json_output:
            typer.echo(json.dumps(record.to_dict()))
            continue
        created = time.strftime("%Y-%m-%d %H:%M", time.localtime(record.created))
        state = "active" if record.active else "revoked"
        typer.echo(f"{record.id}  {state:8} {created}  {record.name}")
    raise typer.Exit(EXIT_OK)


@keys_app.command("revoke")
def keys_revoke(
    key_id: Annotated[str, typer.Argument(metavar="ID", help="The key's id (see `keys list`).")],
    db: KeysDb = DEFAULT_DATA_DIR / "keys.db",
) -> None:
    """Revoke a key: requests made with it are refused from now on."""
    from ..service._keys import KeyStore

    if KeyStore(db).revoke(key_id):
        stderr.print(f"key {key_id} revoked", markup=False)
        raise typer.Exit(EXIT_OK)
    stderr.print(f"no active key {key_id} in {db}", markup=False)
    raise typer.Exit(EXIT_SOME_FAILED)
