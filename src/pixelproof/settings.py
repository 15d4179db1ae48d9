"""Settings: everything an analyzer or the runner may be configured with, in one object.

Analyzers receive their configuration from a :class:`Settings` passed to them when they
are created (``create_analyzers(settings=...)``), never from environment variables or
globals: the command line, a configuration file or a service builds one and hands it
down. A TOML file holds the same fields::

    # pixelproof.toml
    watermark_key = "my secret"          # or watermark_key_file = "key.bin"
    trust_anchors = "roots.pem"
    max_pixels = 100_000_000
    max_file_mb = 512
    allow_damaged = false                # analyse what a damaged file decodes to
    time_limit_s = 120                   # per input
    memory_limit_mb = 4096               # address space per worker process
    engine = "local"                     # or "ray": run the images on a Ray cluster
    ray_address = "auto"                 # with engine "ray"; unset: a local Ray
    credentials_repo = "manifests/"      # durable Content Credentials repository
    synthetic_model = "my-model/"        # pixelproof train detect's output for detect/scan
    profile = "fast"                     # scan's triage profile (default: "default")
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from .io import LoadLimits

DEMO_WATERMARK_KEY = "pixelproof-demo-key"
"""The public key marks are made and read with when no key is configured."""
ENGINES = ("local", "ray")
"""Where the runner runs the images: local worker processes, or a Ray cluster."""
PROFILES = ("default", "fast")
"""How thoroughly ``scan`` looks: every analysis at full resolution, or fast triage."""


@dataclass(frozen=True)
class Settings:
    """Configuration shared by the runner and every analyzer (picklable).

    Parameters
    ----------
    limits : LoadLimits
        Loader limits (file size, pixel count, damage policy) for every input.
    time_limit_s : float or None
        Wall-time limit per input; an input past it becomes a ``timeout`` row and its
        worker process is replaced. Any limit runs the work in worker processes.
    memory_limit_bytes : int or None
        Address-space limit of each worker process; an input that needs more becomes a
        ``too_large`` row.
    watermark_key : str or bytes or None
        Key of pixelproof's watermark; None means the public demo key.
    trust_anchors : str or None
        PEM file of trusted C2PA root certificates; None means no trust list.
    engine : str
        ``"local"`` (worker processes on this machine) or ``"ray"`` (Ray Data actor
        pools; needs the ``distributed`` extra). Rows are the same either way.
    ray_address : str or None
        The Ray cluster to join with engine ``"ray"`` (``"auto"``, ``ray://host:10001``);
        None starts a local Ray on this machine.
    credentials_repo : str or None
        Manifest repository folder (:mod:`pixelproof.credentials`): ``scan`` recovers
        Content Credentials through it when set.
    synthetic_model : str or None
        Folder of a synthetic-image detector written by ``pixelproof train detect``;
        None means the shipped model.
    profile : str
        ``"default"`` (``scan`` runs every analysis, at the resolution each needs) or
        ``"fast"`` (triage for very large collections: JPEGs decoded at reduced size,
        only metadata, watermarks, the JPEG tables and the learned appearance model;
        each row says what was left out). Only ``scan`` reads it.
    """

    limits: LoadLimits = field(default_factory=LoadLimits)
    time_limit_s: float | None = None
    memory_limit_bytes: int | None = None
    watermark_key: str | bytes | None = None
    trust_anchors: str | None = None
    engine: str = "local"
    ray_address: str | None = None
    credentials_repo: str | None = None
    synthetic_model: str | None = None
    profile: str = "default"

    def __post_init__(self) -> None:
        if self.engine not in ENGINES:
            raise ValueError(f"engine must be one of {', '.join(ENGINES)}, not {self.engine!r}")
        if self.profile not in PROFILES:
            raise ValueError(f"profile must be one of {', '.join(PROFILES)}, not {self.profile!r}")

    @property
    def key(self) -> str | bytes:
        """The watermark key to use (the demo key when none is configured)."""
        return DEMO_WATERMARK_KEY if self.watermark_key is None else self.watermark_key

    @property
    def demo_key(self) -> bool:
        return self.watermark_key is None or self.watermark_key == DEMO_WATERMARK_KEY

    def with_options(self, **changes: Any) -> Settings:
        """A copy with the given fields changed (None values are ignored)."""
        return replace(self, **{k: v for k, v in changes.items() if v is not None})

    @classmethod
    def from_file(cls, path: str | Path) -> Settings:
        """Read a TOML configuration file (see the module docstring for its keys).

        Raises
        ------
        ValueError
            For an unknown key or a value of the wrong kind.
        """
        path = Path(path)
        with path.open("rb") as handle:
            table = tomllib.load(handle)
        return cls.from_mapping(table, base=path.parent)

    @classmethod
    def from_mapping(cls, table: dict[str, Any], *, base: Path = Path()) -> Settings:
        known = {f.name for f in fields(cls)} | {
            "max_pixels",
            "max_file_mb",
            "allow_damaged",
            "memory_limit_mb",
            "watermark_key_file",
        }
        unknown = sorted(set(table) - known - {"limits"})
        if unknown:
            raise ValueError(f"unknown setting(s): {', '.join(unknown)}")
        limits = LoadLimits(
            max_pixels=int(table.get("max_pixels", LoadLimits().max_pixels)),
            max_file_bytes=int(
                float(table.get("max_file_mb", LoadLimits().max_file_bytes / 2**20)) * 2**20
            ),
            allow_damaged=bool(table.get("allow_damaged", False)),
        )
        key: str | bytes | None = table.get("watermark_key")
        if "watermark_key_file" in table:
            key = read_key_file(base / str(table["watermark_key_file"]))
        anchors = table.get("trust_anchors")
        repo = table.get("credentials_repo")
        model = table.get("synthetic_model")
        time_limit = table.get("time_limit_s")
        memory_mb = table.get("memory_limit_mb")
        address = table.get("ray_address")
        return cls(
            limits=limits,
            time_limit_s=None if time_limit is None else float(time_limit),
            memory_limit_bytes=None if memory_mb is None else int(float(memory_mb) * 2**20),
            watermark_key=key,
            trust_anchors=None if anchors is None else str(base / str(anchors)),
            engine=str(table.get("engine", "local")),
            ray_address=None if address is None else str(address),
            credentials_repo=None if repo is None else str(base / str(repo)),
            synthetic_model=None if model is None else str(base / str(model)),
            profile=str(table.get("profile", "default")),
        )


def read_key_file(path: Path) -> bytes:
    """A key file's raw bytes, one trailing newline removed.

    Raises
    ------
    ValueError
        When the file is empty.
    """
    data = path.read_bytes()
    data = data[:-1] if data.endswith(b"\n") else data
    data = data[:-1] if data.endswith(b"\r") else data
    if not data:
        raise ValueError(f"key file {path} is empty")
    return data
