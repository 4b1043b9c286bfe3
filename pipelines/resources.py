"""Dagster resources: the monitor's settings and source, and DuckDB. Built once, from the environment."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import dagster as dg
from dagster_duckdb import DuckDBResource

from pipelines import store
from pipelines.alerting.slack import DEFAULT_API_URL, SlackSettings
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
        return Runtime(db_path=Path(self.db_path), source=self.source,
                       replay_dir=Path(self.replay_dir) if self.replay_dir else None)

    def source_client(self) -> Source:
        return build_source(self.runtime(), self.config())


class MonitorDuckDB(DuckDBResource):
    """dagster-duckdb's resource retries every IO error ten times with backoff, so a file that is not a database
    failed after minutes; this one waits only while another writer holds the lock and fails at once otherwise."""

    @contextlib.contextmanager
    def get_connection(self):
        con = store.open_writer(self.database, {"custom_user_agent": "dagster", **self.connection_config})
        try:
            yield con
        finally:
            con.close()


class SlackResource(dg.ConfigurableResource):
    """Slack delivery settings. Secrets arrive as dg.EnvVar: Dagster resolves them at run time and shows only the
    variable's name, never its value, in the UI, run config and logs."""

    bot_token: str | None = None
    channel: str | None = None
    webhook_url: str | None = None
    api_url: str = DEFAULT_API_URL

    def settings(self) -> SlackSettings:
        return SlackSettings(bot_token=self.bot_token, channel=self.channel, webhook_url=self.webhook_url,
                             api_url=self.api_url)


def slack_from_env() -> SlackResource:
    def secret(name: str):
        return dg.EnvVar(name) if os.environ.get(name) else None

    return SlackResource(bot_token=secret("SLACK_BOT_TOKEN"), channel=os.environ.get("SLACK_CHANNEL") or None,
                         webhook_url=secret("SLACK_WEBHOOK_URL"),
                         api_url=os.environ.get("SLACK_API_URL") or DEFAULT_API_URL)


def build_resources(runtime: Runtime, config_path: str) -> dict:
    return {
        "monitor": MonitorResource(config_path=config_path, source=runtime.source,
                                   replay_dir=str(runtime.replay_dir) if runtime.replay_dir else None,
                                   db_path=str(runtime.db_path)),
        # DuckDB admits one writing process; the resource retries while another holds the lock.
        "duckdb": MonitorDuckDB(database=str(runtime.db_path)),
        "slack": slack_from_env(),
    }
