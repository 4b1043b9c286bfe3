"""Dagster's SQLite event logs (the instance's on disk, and the CLI's throwaway one in memory), with their
connections kept open.

Dagster's own `SqliteEventLogStorage` creates an engine, opens a connection, commits and closes it for every
event: a two-year backfill writes ~7,700 asset events, and the per-event engine, the close (which checkpoints
the WAL) and the fsync of each commit made a persistent-instance backfill 4x slower than an ephemeral one
(docs/benchmarks.md). This subclass changes only how connections are made: one engine per shard, kept
(a bounded number of run shards, the index always), and `synchronous=NORMAL`, SQLite's documented setting for
WAL mode, which Dagster already uses: a commit survives a crash of any process; only a power cut can lose the
last commits. Tables, files and queries are Dagster's own, so the UI and `dagster` CLI read the same history,
and switching back to the default storage in dagster.yaml needs no migration.
"""

from __future__ import annotations

import os
import threading
import weakref
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as db
from dagster import Field
from dagster._config import StringSource
from dagster._core.storage.event_log.in_memory import InMemoryEventLogStorage
from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage
from dagster._core.storage.sql import create_engine
from dagster._core.storage.sqlite import SQLITE_BUSY_TIMEOUT_SECONDS
from sqlalchemy.pool import QueuePool

from pipelines.orchestration.remembered_tables import RemembersTables

# The Dagster release whose private methods this module overrides (_connect, _engine's use of _initdb and
# _initialized_dbs, InMemoryEventLogStorage's _held_conn): tests/test_event_log_storage.py fails on any other
# release until someone has re-read them there and re-run that file. The only module of the project that
# subclasses Dagster's private storage; dagster_home/dagster.yaml names it.
WRITTEN_FOR_DAGSTER = "1.13.27"

# Run shards stay open for the run that writes them; older ones are closed (a webserver reads many runs).
OPEN_RUN_SHARDS = 8


def default_base_dir() -> str:
    """Where Dagster's default storage keeps event logs, so history written before stays readable."""
    home = os.environ.get("DAGSTER_HOME")
    if not home:
        raise ValueError("event_log_storage: base_dir is not set and DAGSTER_HOME is not set")
    return os.path.join(home, "history", "runs")


def _dispose_all(engines: OrderedDict) -> None:
    while engines:
        engines.popitem()[1].dispose()


def _tune(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


class KeptConnectionSqliteEventLogStorage(RemembersTables, SqliteEventLogStorage):
    """`SqliteEventLogStorage` whose engines (and one connection each) outlive a single event."""

    def __init__(self, base_dir: str | None = None, inst_data=None):
        self._engines: OrderedDict[str, db.engine.Engine] = OrderedDict()
        self._tables = set()
        # Closed connections fold their WAL into the database file; a process that never disposes its instance
        # closes them at exit instead of leaving a -wal and -shm beside every run's file.
        weakref.finalize(self, _dispose_all, self._engines)
        super().__init__(base_dir or default_base_dir(), inst_data=inst_data)

    @classmethod
    def config_type(cls):
        return {"base_dir": Field(StringSource, is_required=False)}

    @classmethod
    def from_config_value(cls, inst_data, config_value):
        return cls(inst_data=inst_data, **config_value)

    def _engine(self, shard: str) -> db.engine.Engine:
        engine = self._engines.get(shard)
        if engine is not None:
            self._engines.move_to_end(shard)
            return engine
        engine = create_engine(
            self.conn_string_for_shard(shard),
            poolclass=QueuePool,
            pool_size=1,
            max_overflow=4,
            connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS},
        )
        db.event.listen(engine, "connect", _tune)
        if shard not in self._initialized_dbs:
            self._initdb(engine)
            self._initialized_dbs.add(shard)
        self._engines[shard] = engine
        run_shards = [name for name in self._engines if name != "index"]
        for name in run_shards[:-OPEN_RUN_SHARDS]:
            self._engines.pop(name).dispose()
        return engine

    @contextmanager
    def _connect(self, shard: str) -> Iterator[db.engine.Connection]:
        with self._db_lock:
            engine = self._engine(shard)
            with engine.connect() as conn, conn.begin():
                yield conn

    def wipe(self) -> None:
        self.dispose_engines()
        super().wipe()

    def dispose_engines(self) -> None:
        _dispose_all(self._engines)

    def dispose(self) -> None:
        self.dispose_engines()
        super().dispose()


class KeptConnectionInMemoryEventLogStorage(RemembersTables, InMemoryEventLogStorage):
    """The event log of an ephemeral instance (a CLI run without DAGSTER_HOME). Dagster's keeps one connection open
    but opens another, with two PRAGMAs, for every statement batch: ~31,000 of them in a two-year backfill, a
    fifth of its time. This one uses the kept connection from the thread that made it (SQLite connections
    belong to their thread); any other thread gets Dagster's per-call connection, as before."""

    def __init__(self, *args, **kwargs):
        self._owner = threading.get_ident()
        self._tables = set()
        super().__init__(*args, **kwargs)

    @contextmanager
    def _connect(self):
        if threading.get_ident() != self._owner:
            with super()._connect() as conn:
                yield conn
            return
        with self._db_lock, self._held_conn.begin():
            yield self._held_conn


def ephemeral_instance():
    """Dagster's `DagsterInstance.ephemeral()`, with the kept-connection event log."""
    from dagster import DagsterInstance
    from dagster._core.instance.types import InstanceType
    from dagster._core.launcher.sync_in_memory_run_launcher import SyncInMemoryRunLauncher
    from dagster._core.run_coordinator import DefaultRunCoordinator
    from dagster._core.storage.noop_compute_log_manager import NoOpComputeLogManager
    from dagster._core.storage.root import TemporaryLocalArtifactStorage
    from dagster._core.storage.runs import InMemoryRunStorage

    return DagsterInstance(
        instance_type=InstanceType.EPHEMERAL,
        local_artifact_storage=TemporaryLocalArtifactStorage(),
        run_storage=InMemoryRunStorage(),
        event_storage=KeptConnectionInMemoryEventLogStorage(),
        compute_log_manager=NoOpComputeLogManager(),
        run_coordinator=DefaultRunCoordinator(),
        run_launcher=SyncInMemoryRunLauncher(),
    )
