"""API keys (stored hashed in SQLite) and the per-caller rate limit.

A key reads ``ppk_<id>_<secret>``: ``id`` (8 hex digits) names it in lists and logs,
and only the SHA-256 of the whole key is stored, so the database alone lets nobody
call the service. Keys are random (192 bits), so a fast hash is enough.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
import sqlite3
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path

_KEY_RE = re.compile(r"^ppk_([0-9a-f]{8})_([A-Za-z0-9_-]{16,64})$")
_SCHEMA = """
CREATE TABLE IF NOT EXISTS api_keys (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    hash TEXT NOT NULL,
    created REAL NOT NULL,
    revoked REAL
)
"""


@dataclass(frozen=True)
class ApiKey:
    """A key's record (never its secret)."""

    id: str
    name: str
    created: float
    revoked: float | None = None

    @property
    def active(self) -> bool:
        return self.revoked is None

    def to_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "name": self.name,
            "created": self.created,
            "revoked": self.revoked,
            "active": self.active,
        }


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


class KeyStore:
    """The API keys of one service, in a SQLite file (created with mode 0600)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    @contextmanager
    def _connect(self, *, create: bool = False) -> Iterator[sqlite3.Connection]:
        if create and not self.path.exists():
            self.path.parent.mkdir(parents=True, exist_ok=True)
            os.close(os.open(self.path, os.O_CREAT | os.O_WRONLY, 0o600))
        if not self.path.exists():
            raise FileNotFoundError(f"no key database at {self.path}")
        with closing(sqlite3.connect(self.path, timeout=10)) as db:
            if create:
                db.execute(_SCHEMA)
            with db:
                yield db

    def create(self, name: str = "") -> tuple[ApiKey, str]:
        """A new key: its record and the key itself (shown once, never stored)."""
        key_id = secrets.token_hex(4)
        key = f"ppk_{key_id}_{secrets.token_urlsafe(24)}"
        record = ApiKey(key_id, name.strip() or key_id, time.time())
        with self._connect(create=True) as db:
            db.execute(
                "INSERT INTO api_keys (id, name, hash, created) VALUES (?, ?, ?, ?)",
                (record.id, record.name, _digest(key), record.created),
            )
        return record, key

    def list(self) -> list[ApiKey]:
        if not self.path.exists():
            return []
        with self._connect(create=True) as db:
            rows = db.execute(
                "SELECT id, name, created, revoked FROM api_keys ORDER BY created"
            ).fetchall()
        return [ApiKey(*row) for row in rows]

    def revoke(self, key_id: str) -> bool:
        """Revoke a key by id; False when no active key has that id."""
        if not self.path.exists():
            return False
        with self._connect(create=True) as db:
            done = db.execute(
                "UPDATE api_keys SET revoked = ? WHERE id = ? AND revoked IS NULL",
                (time.time(), key_id),
            )
            return done.rowcount > 0

    def verify(self, key: str) -> ApiKey | None:
        """The active key's record, or None for an unknown, malformed or revoked key."""
        found = _KEY_RE.match(key.strip())
        if found is None or not self.path.exists():
            return None
        with self._connect() as db:
            row = db.execute(
                "SELECT id, name, created, revoked, hash FROM api_keys WHERE id = ?",
                (found.group(1),),
            ).fetchone()
        if row is None or not hmac.compare_digest(row[4], _digest(key.strip())):
            return None
        record = ApiKey(*row[:4])
        return record if record.active else None


class RateLimiter:
    """A token bucket per caller: ``rate`` tokens a second, at most ``burst`` saved.

    Callers are keys (or client addresses); the least recently seen are forgotten past
    ``max_callers`` (they start again with a full bucket).
    """

    def __init__(self, rate: float, burst: int, *, max_callers: int = 10_000) -> None:
        self.rate = rate
        self.burst = max(1, burst)
        self.max_callers = max_callers
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self.rate > 0

    def take(self, caller: str, now: float | None = None) -> float:
        """Spend one token of ``caller``'s: 0.0 when allowed, else the seconds to wait."""
        if not self.enabled:
            return 0.0
        now = time.monotonic() if now is None else now
        with self._lock:
            tokens, last = self._buckets.pop(caller, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - last) * self.rate)
            wait = 0.0
            if tokens >= 1.0:
                tokens -= 1.0
            else:
                wait = (1.0 - tokens) / self.rate
            self._buckets[caller] = (tokens, now)
            while len(self._buckets) > self.max_callers:
                self._buckets.popitem(last=False)
        return wait
