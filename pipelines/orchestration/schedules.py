"""The nightly schedule: tonight's session on NYSE trading days, a reason on every other day."""

from __future__ import annotations

import dagster as dg

from pipelines import calendar
from pipelines.config import MonitorConfig


def build_nightly(cfg: MonitorConfig, partitions: dg.PartitionsDefinition, exclude_checks=(), source: str = ""):
    # The freshness checks run on their own schedule at the deadline, not inside (possibly backfill) runs.
    selection = dg.AssetSelection.all()
    if exclude_checks:
        selection = selection - dg.AssetSelection.checks(*exclude_checks)
    nightly_job = dg.define_asset_job(
        "nightly",
        selection=selection,
        partitions_def=partitions,
        # what a run launched by hand carries (the UI's Launchpad or `dagster job execute`: Dagster tags neither, so
        # they cannot be told apart); the schedule and the market-monitor CLI say who they are
        tags={"market_monitor/source": source, "market_monitor/trigger": "manual"},
        # One process for the whole run, as the CLI: the steps run one after another anyway (one DuckDB writer),
        # and the multiprocess executor paid 4-5 s per step to start a process for under a second of work.
        executor_def=dg.in_process_executor,
        description="Tonight's session through the whole graph: prices, fundamentals, metrics, rules, Slack, "
        "the analysts' copy.",
    )

    @dg.schedule(
        cron_schedule=cfg.schedule.cron,
        execution_timezone=cfg.schedule.timezone,
        job=nightly_job,
        default_status=dg.DefaultScheduleStatus.RUNNING,
        description="Runs the session's partition on NYSE trading days; skips holidays and weekends with a reason.",
    )
    def nightly_schedule(context: dg.ScheduleEvaluationContext):
        when = context.scheduled_execution_time.astimezone(calendar.NEW_YORK)
        day = when.date()
        if not calendar.is_session(day):
            return dg.SkipReason(f"{day} ({when:%A}) is not an NYSE trading session")
        key = day.isoformat()
        return dg.RunRequest(
            run_key=key,
            partition_key=key,
            tags={"market_monitor/trigger": "schedule", "market_monitor/sessions": f"{key} .. {key}"},
        )

    return nightly_job, nightly_schedule
