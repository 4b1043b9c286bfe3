"""A snapshot of what the code location shows ops: assets, their checks and partitions, jobs, schedules and
sensors. An accidental change fails here and shows in review; a deliberate one regenerates the file with
`UPDATE_SNAPSHOTS=1 pytest tests/test_graph_snapshot.py` and commits the diff."""

import json
import os
from pathlib import Path

import dagster as dg

from pipelines.config import Runtime
from pipelines.definitions import build_definitions

SNAPSHOT = Path(__file__).parent / "snapshots" / "asset_graph.json"


def _describe(defs) -> dict:
    graph = defs.resolve_asset_graph()
    assets = {}
    for key in sorted(graph.get_all_asset_keys(), key=lambda k: k.to_user_string()):
        node = graph.get(key)
        parts = node.partitions_def
        assets[key.to_user_string()] = {
            "group": node.group_name,
            "deps": sorted(d.to_user_string() for d in node.parent_keys),
            "checks": sorted(c.name for c in node.check_keys),
            "partitions": f"{type(parts).__name__} from {parts.start:%Y-%m-%d} {parts.timezone}" if parts else None,
            "backfill_policy": str(node.backfill_policy.policy_type) if node.backfill_policy else None,
        }
    repo = defs.get_repository_def()
    return {
        "assets": assets,
        "jobs": sorted(j.name for j in repo.get_all_jobs() if not j.name.startswith("__")),
        "nightly_executor": repo.get_job("nightly").executor_def.name,
        "schedules": {s.name: [s.cron_schedule, s.execution_timezone, s.job_name] for s in repo.schedule_defs},
        "sensors": sorted(s.name for s in repo.sensor_defs),
    }


def test_the_asset_graph_matches_its_snapshot(tmp_path, monkeypatch):
    for name in ("SLACK_BOT_TOKEN", "SLACK_CHANNEL", "SLACK_WEBHOOK_URL"):
        monkeypatch.delenv(name, raising=False)
    defs = build_definitions(Runtime(db_path=tmp_path / "mm.duckdb", source="replay", replay_dir=tmp_path))
    # An instance of its own: Dagster keeps the current instance's state storage in a context variable, and an
    # earlier test's closed instance must not be the one the graph resolves against.
    with dg.instance_for_test():
        now = _describe(defs)
    if os.environ.get("UPDATE_SNAPSHOTS") == "1":
        SNAPSHOT.write_text(json.dumps(now, indent=2, sort_keys=True) + "\n")
    assert now == json.loads(SNAPSHOT.read_text())
