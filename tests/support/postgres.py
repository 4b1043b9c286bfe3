"""The production instance (deploy/dagster.yaml) on a real PostgreSQL, one fresh database per test.

The server is the one `deploy/local-postgres.sh` starts (`.ci/run` does): its DAGSTER_PG_* settings are read when
this module is imported, before the tests' isolated environment drops them. Without them the tests skip with one
line, except under CI (CI or MARKET_MONITOR_REQUIRE_POSTGRES set), where a missing server fails the run."""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
KEYS = ("DAGSTER_PG_HOST", "DAGSTER_PG_PORT", "DAGSTER_PG_USER", "DAGSTER_PG_PASSWORD", "DAGSTER_PG_DB")
SERVER = {k: os.environ[k] for k in KEYS if k in os.environ}
REQUIRED = bool(os.environ.get("CI") or os.environ.get("MARKET_MONITOR_REQUIRE_POSTGRES"))


def _connect(db: str):
    import psycopg2

    return psycopg2.connect(
        host=SERVER["DAGSTER_PG_HOST"],
        port=int(SERVER["DAGSTER_PG_PORT"]),
        user=SERVER["DAGSTER_PG_USER"],
        password=SERVER["DAGSTER_PG_PASSWORD"],
        dbname=db,
        connect_timeout=5,
    )


def server_or_skip() -> None:
    missing = [k for k in KEYS if k not in SERVER]
    reason = None
    if missing:
        reason = f'no PostgreSQL: {", ".join(missing)} not set (eval "$(deploy/local-postgres.sh)" starts one)'
    else:
        try:
            _connect(SERVER["DAGSTER_PG_DB"]).close()
        except Exception as exc:  # any reason the server cannot be reached is the one line we give
            reason = f"PostgreSQL at {SERVER['DAGSTER_PG_HOST']}:{SERVER['DAGSTER_PG_PORT']} unreachable: {exc}"
    if reason:
        if REQUIRED:
            pytest.fail(f"CI needs a PostgreSQL and has none: {reason.splitlines()[0]}")
        pytest.skip(reason.splitlines()[0])


@contextlib.contextmanager
def fresh_database() -> Iterator[str]:
    """A new, empty database on the server, dropped afterwards (with whatever connections are left on it)."""
    server_or_skip()
    name = f"mm_test_{uuid.uuid4().hex[:12]}"
    admin = _connect(SERVER["DAGSTER_PG_DB"])
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{name}"')
    try:
        yield name
    finally:
        with admin.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def production_home(home: Path, extra: dict | None = None) -> Path:
    """DAGSTER_HOME with deploy/dagster.yaml as shipped, minus the Kubernetes run launcher (runs start as local
    processes, as docs/deploy.md's single-VM setup does)."""
    config = yaml.safe_load((ROOT / "deploy" / "dagster.yaml").read_text())
    del config["run_launcher"]
    config.update(extra or {})
    home.mkdir(parents=True, exist_ok=True)
    (home / "dagster.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    return home


def instance_env(db: str) -> dict[str, str]:
    return {**SERVER, "DAGSTER_PG_DB": db}


def sessions_opened(db: str) -> int:
    """Connections made to `db` so far (PostgreSQL counts each in pg_stat_database.sessions)."""
    conn = _connect(SERVER["DAGSTER_PG_DB"])
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT pg_stat_force_next_flush()")
            cur.execute("SELECT sessions FROM pg_stat_database WHERE datname = %s", (db,))
            return int(cur.fetchone()[0])
    finally:
        conn.close()
