"""The Dagster code location: assets, checks, schedule and sensors, built from monitor.toml and the env."""

from __future__ import annotations

import dagster as dg

from assets.freshness import build_freshness_checks, build_freshness_sensor
from assets.graph import build_assets
from assets.partitions import session_partitions
from assets.resources import build_resources, slack_from_env
from pipelines.config import Runtime, config_path, load_config
from pipelines.orchestration.schedules import build_nightly
from pipelines.orchestration.sensors import (
    build_failed_checks_sensor,
    build_run_failure_sensor,
    build_unrun_checks_sensor,
)


def build_definitions(runtime: Runtime | None = None, cfg_path: str | None = None) -> dg.Definitions:
    cfg = load_config(cfg_path or config_path())  # parsed once per code-location load
    runtime = runtime or Runtime.from_env()
    checks = build_freshness_checks(cfg)
    job, schedule = build_nightly(
        cfg, session_partitions(cfg.history.start), exclude_checks=checks, source=runtime.source
    )
    fresh_job, fresh_sensor = build_freshness_sensor(cfg, checks, job.name)
    slack = slack_from_env()  # one notification resource: the alert assets and the ops sensors share it
    return dg.Definitions(
        assets=build_assets(cfg),
        asset_checks=checks,
        resources=build_resources(runtime, cfg, slack),
        jobs=[job, fresh_job],
        schedules=[schedule],
        sensors=[
            build_run_failure_sensor(cfg, slack),
            build_failed_checks_sensor(cfg, slack),
            build_unrun_checks_sensor(),
            fresh_sensor,
        ],
    )


defs = build_definitions()
