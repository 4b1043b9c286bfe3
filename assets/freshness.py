"""Freshness as ops mean it: one `session_fresh` check per daily asset, run by `freshness_sensor` whenever the
answer can change (the deadline passing, a nightly run ending, the code location loading).

A failed check is red in the UI (ERROR) and, because the check job's run succeeds, `slack_on_failed_checks`
posts it to the ops channel like any failed ERROR check.
"""

import dagster as dg

from pipelines.config import MonitorConfig
from pipelines.domain import freshness

DAILY_ASSETS = ["daily_prices", "shares_outstanding", "earnings", "metrics_daily", "watchlist_daily", "alerts"]
JOB_NAME = "freshness"


def build_freshness_checks(cfg: MonitorConfig) -> list[dg.AssetChecksDefinition]:
    def make(asset: str) -> dg.AssetChecksDefinition:
        @dg.asset_check(
            asset=asset,
            name="session_fresh",
            description=f"The latest NYSE session whose deadline ({cfg.schedule.fresh_by_cron}, "
            f"{cfg.schedule.timezone}) has passed is materialized; holidays and weekends "
            "are never stale.",
        )
        def session_fresh(context: dg.AssetCheckExecutionContext) -> dg.AssetCheckResult:
            due = freshness.due_session(freshness.now(), cfg.schedule.fresh_by_cron, cfg.schedule.timezone)
            done = context.instance.get_materialized_partitions(dg.AssetKey(asset))
            passed, text = freshness.describe(due, done, _fetched_nothing(context.instance, asset, due))
            return dg.AssetCheckResult(
                passed=passed,
                severity=dg.AssetCheckSeverity.ERROR,
                description=text,
                metadata={"due_session": str(due), "newest_session": max(done) if done else "none"},
            )

        return session_fresh

    return [make(asset) for asset in DAILY_ASSETS]


def _fetched_nothing(instance: dg.DagsterInstance, asset: str, due) -> str | None:
    """What the due session's newest materialization says it fetched nothing, if it says so: a night every call to
    the source failed still materializes shares_outstanding and earnings (0 rows), and that is not fresh."""
    records = instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=dg.AssetKey(asset), asset_partitions=[due.isoformat()]), limit=1
    ).records
    if not records:
        return None
    meta = records[0].asset_materialization.metadata
    flag = meta.get(freshness.FETCHED_NOTHING)
    if flag is None or not getattr(flag, "value", flag):
        return None
    problems = meta.get("problems")
    first = (getattr(problems, "value", None) or ["the source answered none of the names due"])[0]
    return str(first)


def build_freshness_sensor(cfg: MonitorConfig, checks: list[dg.AssetChecksDefinition], watched_job: str):
    """The freshness checks run whenever their answer can change: when the deadline passes (the session due moves),
    after each run of `watched_job` ends (it may have brought the session due, or failed to), and on the first
    evaluation after the code location loads, so the UI never shows "Not evaluated" for hours. One run per
    (session due, last run ended) pair: the run key dedups, the sensor's minute interval bounds the delay."""
    job = dg.define_asset_job(
        JOB_NAME,
        selection=dg.AssetSelection.checks(*checks),
        description="Checks that the latest session due is in every daily asset.",
    )

    @dg.sensor(
        name="freshness_sensor",
        job=job,
        minimum_interval_seconds=60,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description=f"Runs the session_fresh checks when the deadline ({cfg.schedule.fresh_by_cron}, "
        f"{cfg.schedule.timezone}) passes, after each {watched_job} run ends, and once the code location loads.",
    )
    def freshness_sensor(context: dg.SensorEvaluationContext):
        due = freshness.due_session(freshness.now(), cfg.schedule.fresh_by_cron, cfg.schedule.timezone)
        ended = context.instance.get_runs(
            filters=dg.RunsFilter(
                job_name=watched_job, statuses=[dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE]
            ),
            limit=1,
        )
        after = ended[0].run_id if ended else "none"
        return dg.RunRequest(
            run_key=f"due {due} after {watched_job} run {after}",
            tags={"market_monitor/trigger": "freshness", "market_monitor/due_session": str(due)},
        )

    return job, freshness_sensor
