"""Materialize the asset graph for a range of sessions through Dagster, as the schedule and the UI do."""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field

import dagster as dg
import yaml

from assets.graph import build_assets
from assets.resources import build_resources
from pipelines import calendar
from pipelines.config import ConfigError, MonitorConfig, Runtime, load_config
from pipelines.orchestration.event_log_storage import ephemeral_instance
from pipelines.orchestration.progress import progress_logger
from pipelines.orchestration.unrun_checks import explain_unrun_checks, first_failure

JOB_NAME = "nightly"
LOCATION_NAME = "pipelines.definitions"  # workspace.yaml's python_module: the code location's default name


def run_labels(source: str, trigger: str, sessions: list[dt.date] | None = None) -> dict[str, str]:
    """What every run says about itself in the UI: its source, what started it, the sessions it covers."""
    labels = {"market_monitor/source": source, "market_monitor/trigger": trigger}
    if sessions:
        labels["market_monitor/sessions"] = f"{sessions[0]} .. {sessions[-1]}"
    return labels


@dataclass
class RunReport:
    run_id: str
    success: bool
    sessions: list[dt.date]
    metadata: dict[str, dict] = field(default_factory=dict)  # asset -> metadata of its materialization
    checks: list[tuple[str, str, bool, str, str]] = field(default_factory=list)  # asset, check, passed, sev, desc
    error: str | None = None
    failed_step: str | None = None
    bad_input: bool = False  # the run failed on input no retry fixes (a malformed snapshot, an impossible fact)


def resolve_range(cfg: MonitorConfig, start: dt.date | None, end: dt.date) -> list[dt.date]:
    start = start or end
    days = calendar.sessions(start, end)
    if not days:
        raise ValueError(f"no NYSE trading session between {start} and {end}")
    if days[0] < cfg.history.start:
        raise ValueError(f"{days[0]} is before history.start ({cfg.history.start}) in the config")
    return days


def instance_for_cli() -> dg.DagsterInstance:
    """The instance the UI reads when DAGSTER_HOME is set (runs share one history), else a throwaway one."""
    home = os.environ.get("DAGSTER_HOME")
    if not home:
        return ephemeral_instance()
    if not os.path.isabs(home) or not os.path.isdir(home):
        raise ConfigError(f"DAGSTER_HOME: {home!r} must be an absolute path to an existing directory")
    try:
        return dg.DagsterInstance.get()
    except (dg.DagsterError, yaml.YAMLError, UnicodeDecodeError) as exc:  # off Dagster's schema, or not YAML
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        where = getattr(exc, "problem_mark", None)  # YAML errors say where
        at = f" (line {where.line + 1})" if where is not None else ""
        raise ConfigError(f"DAGSTER_HOME: {home}/dagster.yaml{at}: {first}") from None


def materialize_sessions(
    runtime: Runtime,
    config: MonitorConfig | str,
    sessions: list[dt.date],
    instance: dg.DagsterInstance | None = None,
    tags: dict | None = None,
    retries: int | None = None,
) -> RunReport:
    """config: the parsed config (or its file). retries: overrides history.source_retries (0: fail at once), for
    interactive runs."""
    cfg = config if isinstance(config, MonitorConfig) else load_config(config)
    if retries is not None:
        cfg = cfg.replace(history=cfg.history.replace(source_retries=retries))
    run_tags = {
        "dagster/asset_partition_range_start": sessions[0].isoformat(),
        "dagster/asset_partition_range_end": sessions[-1].isoformat(),
        **run_labels(runtime.source, "cli", sessions),
        # The code location's label: the UI lists a job's runs by it, so CLI runs show under `nightly`
        # beside scheduled and UI runs (an in-process run has no code-location origin of its own).
        ".dagster/repository": f"__repository__@{LOCATION_NAME}",
        **(tags or {}),
    }
    # The graph the UI and the schedule run, under the schedule's job name, so all runs share one history.
    defs = dg.Definitions(
        assets=build_assets(cfg),
        resources=build_resources(runtime, cfg),
        jobs=[dg.define_asset_job(JOB_NAME)],
        loggers={"progress": progress_logger},
    )
    owned = instance is None  # made here: disposed here, so its event log's connections close (and its WAL folds in)
    instance = instance or instance_for_cli()
    try:
        result = defs.resolve_job_def(JOB_NAME).execute_in_process(
            instance=instance,
            tags=run_tags,
            run_config={"loggers": {"progress": {"config": {"retries": cfg.history.source_retries}}}},
            raise_on_error=False,
        )
        if not result.success:  # the daemon's sensor does the same for scheduled and UI runs
            explain_unrun_checks(instance, result.run_id)
    finally:
        if owned:
            instance.dispose()
    report = RunReport(result.run_id, result.success, sessions)
    for event in result.get_asset_materialization_events():
        key = event.asset_key.to_user_string()
        report.metadata.setdefault(key, {k: v.value for k, v in event.materialization.metadata.items()})
    seen = set()
    for ev in result.get_asset_check_evaluations():
        ident = (ev.asset_key.to_user_string(), ev.check_name)
        if ident not in seen:
            seen.add(ident)
            report.checks.append((*ident, ev.passed, ev.severity.value, ev.description or ""))
    if not result.success:
        report.failed_step, report.error, report.bad_input = first_failure(result.all_events)
    return report
