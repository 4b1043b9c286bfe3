"""Shared pieces of the asset layer: the writer pool, retry policy, groups and check helpers."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator

import dagster as dg
import duckdb as duckdb_module
from dagster_duckdb import DuckDBResource

from pipelines import calendar
from pipelines.config import MonitorConfig
from pipelines.domain.quality import CheckOutcome
from pipelines.errors import DatabaseError, PermanentError
from pipelines.sources.base import RateLimited
from pipelines.storage import store

# DuckDB admits one writing process: every asset that writes runs in this pool (limit 1 in dagster.yaml).
WRITER_POOL = "duckdb_writer"
RAW_GROUP = "market_data"
DERIVED_GROUP = "analytics"
ALERT_GROUP = "alerting"


def source_retry(cfg: MonitorConfig) -> dg.RetryPolicy:
    """Yahoo fails in bursts (429s, resets): back off exponentially with jitter before giving up."""
    return dg.RetryPolicy(
        max_retries=cfg.history.source_retries,
        delay=cfg.history.retry_delay_seconds,
        backoff=dg.Backoff.EXPONENTIAL,
        jitter=dg.Jitter.PLUS_MINUS,
    )


RATE_LIMIT_WAIT_SECONDS = 300  # Yahoo's 429 blocks last minutes: a retry after seconds only extends it


@contextlib.contextmanager
def step_errors(retries: int = 0) -> Iterator[None]:
    """What no retry can fix (a malformed snapshot, an impossible fact, a database file that is not one) fails the
    step now with its cause, bypassing the retry policy; a rate limit waits minutes before its retries; everything
    else is left to the retry policy."""
    try:
        yield
    except PermanentError as exc:
        raise dg.Failure(
            description=str(exc),
            allow_retries=False,
            metadata={"bad_input": not isinstance(exc, DatabaseError), "error": type(exc).__name__},
        ) from exc
    except RateLimited as exc:
        raise dg.RetryRequested(max_retries=retries, seconds_to_wait=RATE_LIMIT_WAIT_SECONDS) from exc


@contextlib.contextmanager
def open_store(
    duckdb: DuckDBResource, cfg: MonitorConfig, retries: int = 0
) -> Iterator[duckdb_module.DuckDBPyConnection]:
    """A connection to the monitor's database with its schema and session table in place (a database from before
    baskets migrates its history into the configuration's first basket)."""
    with step_errors(retries), duckdb.get_connection() as con:
        store.prepare(con, cfg.baskets[0].name)
        yield con


def spec(name: str, asset: str, description: str, blocking: bool = False) -> dg.AssetCheckSpec:
    return dg.AssetCheckSpec(name, asset=asset, description=description, blocking=blocking)


def check_result(outcome: CheckOutcome, warn: bool = False, asset_key: str | None = None) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(
        check_name=outcome.name,
        asset_key=asset_key,
        passed=outcome.passed,
        severity=dg.AssetCheckSeverity.WARN if warn else dg.AssetCheckSeverity.ERROR,
        description=outcome.description,
        metadata={
            k: dg.MetadataValue.json(v) if isinstance(v, list | dict) else v for k, v in outcome.metadata.items()
        },
    )


def sessions_reread_before(cfg: MonitorConfig, start) -> list:
    """The sessions before `start` that a run starting there re-reads (`history.refetch_sessions`)."""
    return calendar.sessions(calendar.sessions_back(start, cfg.history.refetch_sessions), start)[:-1]


def repair_failed_partitions(
    context: dg.AssetExecutionContext, cfg: MonitorConfig, asset: str, start, when: Iterable | dict | None = None
) -> list[str]:
    """The sessions of the re-read window before this run's own (`history.refetch_sessions`) whose partition of
    `asset` a run failed (red in the UI) and whose data this run has now stored: a materialization is recorded for
    each (metadata says which run completed it), so the next good night turns them green without a re-run.
    `when`: which of those sessions count as complete (default: those whose daily_prices partition is in); a dict
    gives each session's extra metadata too."""
    keys = [d.isoformat() for d in sessions_reread_before(cfg, start)]
    if not keys:
        return []
    instance, partitions = context.instance, context.assets_def.partitions_def
    ended_badly = dg.RunsFilter(statuses=[dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED])
    if not instance.get_runs_count(ended_badly):  # no run ever failed: no partition is red (the usual night)
        return []
    status = instance.get_status_by_partition(dg.AssetKey(asset), keys, partitions) or {}
    failed = [k for k in keys if status.get(k) == dg.AssetPartitionStatus.FAILED]
    if not failed:
        return []
    if when is None:
        prices = instance.get_status_by_partition(dg.AssetKey("daily_prices"), failed, partitions) or {}
        complete = {k for k in failed if prices.get(k) == dg.AssetPartitionStatus.MATERIALIZED}
    else:
        complete = {d.isoformat() for d in when}
    extra = {d.isoformat(): meta for d, meta in when.items()} if isinstance(when, dict) else {}
    repaired = [k for k in failed if k in complete]
    for key in repaired:
        context.log_event(
            dg.AssetMaterialization(
                asset_key=asset,
                partition=key,
                description=f"completed by the run of {start}: its data arrived with that run's re-read window",
                metadata={
                    "completed_by_run_of": str(start),
                    **{k: dg.MetadataValue.json(v) for k, v in extra.get(key, {}).items()},
                },
            )
        )
    if repaired:
        context.log.info(f"{asset}: failed session(s) {', '.join(repaired)} completed by this run")
    return repaired


def newest_session_metadata(context: dg.AssetExecutionContext, end, details: dict) -> dict:
    """Metadata that describes only the newest session (the chart, the per-name tables). A one-session run
    carries it on its materialization; a range run records it once, as an observation of the newest partition,
    instead of copying it onto every partition's materialization (a two-year backfill wrote the chart 480 times,
    78 MB of event log)."""
    keys = context.partition_key_range
    if keys.start == keys.end:
        return details
    context.log_event(dg.AssetObservation(asset_key=context.asset_key, partition=end.isoformat(), metadata=details))
    return {
        "newest_session_details": dg.MetadataValue.text(
            f"observation of partition {end} (the chart and tables, recorded once for this range run)"
        )
    }
