"""Dagster resources: the monitor's settings and source, and DuckDB. Built once, from the environment."""

from __future__ import annotations

import dagster as dg
from dagster_duckdb import DuckDBResource

from pipelines.config import MonitorConfig, Runtime, load_config
from pipelines.sources import Source, build_source


class MonitorResource(dg.ConfigurableResource):
    """Where the monitor reads its config and data from. Secrets never live here."""

    config_path: str
    source: str = "yfinance"
    replay_dir: str | None = None
    db_path: str

    def config(self) -> MonitorConfig:
        return load_config(self.config_path)

    def runtime(self) -> Runtime:
        from pathlib import Path

        return Runtime(db_path=Path(self.db_path), source=self.source,
                       replay_dir=Path(self.replay_dir) if self.replay_dir else None)

    def source_client(self) -> Source:
        return build_source(self.runtime(), self.config())


def build_resources(runtime: Runtime, config_path: str) -> dict:
    return {
        "monitor": MonitorResource(config_path=config_path, source=runtime.source,
                                   replay_dir=str(runtime.replay_dir) if runtime.replay_dir else None,
                                   db_path=str(runtime.db_path)),
        # DuckDB admits one writing process; the resource retries while another holds the lock.
        "duckdb": DuckDBResource(database=str(runtime.db_path)),
    }
