"""The production instance's storage (deploy/dagster.yaml): dagster-postgres' own run and event log storage, each
keeping one connection open.

dagster-postgres opens a new connection (a server process and a SCRAM handshake, ~7 ms here) for every statement
batch: a two-year backfill makes ~25,000 of them, and ran 10x slower than on the SQLite instance. Its own
webserver setting, one kept connection (`optimize_for_webserver`), serves a run process as well; the webserver
still applies its own on top. Tables, queries and migrations are dagster-postgres', so switching back to
`storage: postgres` needs no migration. It also turns on Dagster's batched event writes (DAGSTER_EVENT_BATCH_SIZE),
which dagster-postgres supports: a two-year backfill writes ~7,700 materialization and planned events.
Public dagster-postgres classes only (no `dagster._` import)."""

from __future__ import annotations

import os

from dagster_postgres import PostgresEventLogStorage, PostgresRunStorage
from dagster_postgres.utils import get_token_provider_from_config, pg_url_from_config

from pipelines.orchestration.remembered_tables import RemembersTables

# Dagster writes materializations (one per partition per asset) and planned events in batches of this size where the
# storage supports it, Postgres among them; read from the environment by every process that writes events.
EVENT_BATCH_SIZE = "100"
MAX_OVERFLOW = 4  # connections a run process may open beyond the kept one (its threads, the event watcher)
POOL_RECYCLE_SECONDS = 3600


def _keep_a_connection(storage) -> None:
    # no statement timeout: a run's reads may be long (the webserver sets its own)
    storage.optimize_for_webserver(statement_timeout=0, pool_recycle=POOL_RECYCLE_SECONDS, max_overflow=MAX_OVERFLOW)


def _from_config(cls, inst_data, config_value):
    """As dagster-postgres' own from_config_value, which names its class instead of `cls`."""
    return cls(
        pg_url_from_config(config_value),
        config_value.get("should_autocreate_tables", True),
        inst_data,
        get_token_provider_from_config(config_value),
    )


class PooledPostgresEventLogStorage(RemembersTables, PostgresEventLogStorage):
    def __init__(self, postgres_url: str, should_autocreate_tables: bool = True, inst_data=None, token_provider=None):
        # Set by the storage that benefits, in each process that loads it (CLI, run worker, daemon), so nobody has
        # to remember it in a ConfigMap; an explicit DAGSTER_EVENT_BATCH_SIZE (0 turns it off) wins.
        os.environ.setdefault("DAGSTER_EVENT_BATCH_SIZE", EVENT_BATCH_SIZE)
        self._tables = set()
        super().__init__(postgres_url, should_autocreate_tables, inst_data=inst_data, token_provider=token_provider)
        _keep_a_connection(self)

    @classmethod
    def from_config_value(cls, inst_data, config_value):
        return _from_config(cls, inst_data, config_value)


class PooledPostgresRunStorage(PostgresRunStorage):
    def __init__(self, postgres_url: str, should_autocreate_tables: bool = True, inst_data=None, token_provider=None):
        super().__init__(postgres_url, should_autocreate_tables, inst_data=inst_data, token_provider=token_provider)
        _keep_a_connection(self)

    @classmethod
    def from_config_value(cls, inst_data, config_value):
        return _from_config(cls, inst_data, config_value)
