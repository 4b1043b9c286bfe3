"""Dagster resources: where the monitor's data lives, the market-data source, DuckDB and the notification
settings. Built once per code-location load (or CLI run) from the Runtime and the parsed config."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import dagster as dg
from dagster_duckdb import DuckDBResource

from pipelines.channels.slack import DEFAULT_API_URL, TOKEN_VAR, WEBHOOK_VAR, SlackSettings
from pipelines.config import MonitorConfig, Runtime, analytics_path
from pipelines.sources import Source, build_source
from pipelines.storage import store


class MonitorResource(dg.ConfigurableResource):
    """Where the monitor's live database is (the analysts' copy sits beside it). Secrets never live here."""

    db_path: str

    @property
    def analytics_path(self) -> Path:
        return analytics_path(Path(self.db_path))


class SourceResource(dg.ConfigurableResource):
    """The market-data source runs read (pipelines.sources.SOURCES); its policies travel with it: how old stored
    fundamentals may get, which session is tonight."""

    name: str
    folder: str | None = None  # a snapshot folder, for a source that reads one
    cache_dir: str
    timeout_seconds: float

    def client(self) -> Source:
        return build_source(
            self.name, Path(self.folder) if self.folder else None, Path(self.cache_dir), self.timeout_seconds
        )


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
    """Notification settings, for the alert assets and the ops sensors alike. Secrets arrive as dg.EnvVar: Dagster
    resolves them at run time and shows only the variable's name, never its value, in the UI, run config and
    logs."""

    bot_token: str | None = None
    channel: str | None = None
    webhook_url: str | None = None
    api_url: str = DEFAULT_API_URL
    ops_channel: str | None = None  # run failures and failed checks; default: channel
    ui_url: str | None = None  # the Dagster UI, for links to the run (DAGSTER_UI_URL)

    @property
    def configured(self) -> bool:
        return bool((self.bot_token and self.channel) or self.webhook_url)

    def settings(self) -> SlackSettings:
        return SlackSettings(
            bot_token=self.bot_token,
            channel=self.channel,
            webhook_url=self.webhook_url,
            api_url=self.api_url,
            ops_channel=self.ops_channel,
        )

    def run_url(self, run_id: str) -> str | None:
        return f"{self.ui_url.rstrip('/')}/runs/{run_id}" if self.ui_url else None


def slack_from_env() -> SlackResource:
    """SlackSettings.from_env reads the variables; the secrets reach the resource as their names (dg.EnvVar)."""
    found = SlackSettings.from_env()
    return SlackResource(
        bot_token=dg.EnvVar(TOKEN_VAR) if found.bot_token else None,
        channel=found.channel,
        webhook_url=dg.EnvVar(WEBHOOK_VAR) if found.webhook_url else None,
        api_url=found.api_url,
        ops_channel=found.ops_channel,
        ui_url=os.environ.get("DAGSTER_UI_URL") or None,
    )


def build_resources(runtime: Runtime, cfg: MonitorConfig, slack: SlackResource | None = None) -> dict:
    return {
        "monitor": MonitorResource(db_path=str(runtime.db_path)),
        "source": SourceResource(
            name=runtime.source,
            folder=str(runtime.replay_dir) if runtime.replay_dir else None,
            cache_dir=str(runtime.cache_dir),
            timeout_seconds=cfg.history.fetch_timeout_seconds,
        ),
        # DuckDB admits one writing process; the resource retries while another holds the lock.
        "duckdb": MonitorDuckDB(database=str(runtime.db_path)),
        "slack": slack or slack_from_env(),
    }
