"""``pixelproof keys``: keys are shown once and stored hashed; the rate limiter."""

from __future__ import annotations

import json
import stat
from pathlib import Path

from typer.testing import CliRunner

from pixelproof.cli import app
from pixelproof.service import KeyStore, RateLimiter


def keys(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["keys", *args])
    assert "Traceback" not in result.output
    return result.exit_code, result.stdout


def test_create_list_revoke(tmp_path: Path) -> None:
    db = tmp_path / "data" / "keys.db"
    code, out = keys("create", "--db", str(db), "--name", "ci uploads")
    assert code == 0
    key = out.strip()
    assert key.startswith("ppk_")
    assert stat.S_IMODE(db.stat().st_mode) == 0o600
    assert key.encode() not in db.read_bytes()  # only its hash is stored
    record = KeyStore(db).verify(key)
    assert record is not None and record.name == "ci uploads"

    code, out = keys("list", "--db", str(db), "--json")
    (listed,) = [json.loads(line) for line in out.splitlines()]
    assert listed["id"] == record.id and listed["active"] is True and "key" not in listed
    code, out = keys("list", "--db", str(db))
    assert record.id in out and "active" in out and key not in out

    assert keys("revoke", record.id, "--db", str(db))[0] == 0
    assert KeyStore(db).verify(key) is None
    assert keys("revoke", record.id, "--db", str(db))[0] == 1
    assert "revoked" in keys("list", "--db", str(db))[1]


def test_create_json(tmp_path: Path) -> None:
    code, out = keys("create", "--db", str(tmp_path / "k.db"), "--json")
    row = json.loads(out)
    assert code == 0 and row["key"].startswith(f"ppk_{row['id']}_")


def test_verify_refuses_lookalikes(tmp_path: Path) -> None:
    store = KeyStore(tmp_path / "k.db")
    _, key = store.create()
    assert store.verify(key) is not None
    assert store.verify(f"  {key}\n") is not None
    assert store.verify(key[:-1] + ("A" if key[-1] != "A" else "B")) is None
    assert store.verify("ppk_" + key[4:12] + "_" + "x" * 32) is None
    assert store.verify("") is None
    assert KeyStore(tmp_path / "absent.db").verify(key) is None


def test_token_bucket() -> None:
    limiter = RateLimiter(rate=2.0, burst=3)
    assert [limiter.take("a", now=0.0) for _ in range(3)] == [0.0, 0.0, 0.0]
    assert limiter.take("a", now=0.0) == 0.5
    assert limiter.take("b", now=0.0) == 0.0  # each caller its own bucket
    assert limiter.take("a", now=0.5) == 0.0  # one token back after 0.5 s
    assert not RateLimiter(rate=0.0, burst=1).enabled
    assert RateLimiter(rate=0.0, burst=1).take("a") == 0.0


def test_forgotten_callers_are_bounded() -> None:
    limiter = RateLimiter(rate=1.0, burst=1, max_callers=10)
    for caller in range(100):
        limiter.take(str(caller), now=0.0)
    assert len(limiter._buckets) == 10
