"""Rule evaluations (table alerts) and, downstream, their delivery."""

import dagster as dg
from dagster_duckdb import DuckDBResource

from assets.analytics import recompute_start
from assets.common import ALERT_GROUP, WRITER_POOL, check_result, open_store, spec
from pipelines import evaluation, rules, store
from pipelines.config import MonitorConfig
from pipelines.partitions import session_range
from pipelines.quality import CheckOutcome


def build_alerting_assets(cfg: MonitorConfig, partitions: dg.PartitionsDefinition) -> list:
    @dg.asset(
        deps=["watchlist_daily", "metrics_daily"], partitions_def=partitions,
        backfill_policy=dg.BackfillPolicy.single_run(), pool=WRITER_POOL, group_name=ALERT_GROUP,
        kinds={"duckdb", "python"},
        description="One row per rule, subject and session where a rule held (pipelines/rules.py).",
        check_specs=[spec("data_complete", "alerts", "Every watchlist name and the benchmark had a bar, so the "
                          "basket rules could be evaluated on every session of the run.")],
    )
    def alerts(context: dg.AssetExecutionContext, duckdb: DuckDBResource) -> dg.MaterializeResult:
        start, end = session_range(context)
        first = recompute_start(cfg, start)
        with open_store(duckdb) as con, store.transaction(con):
            findings = evaluation.evaluate_range(con, cfg, first, end)
            rows = rules.store_findings(con, findings, first, end)
        in_run = [f for f in findings if f.as_of >= start]
        gaps = [f for f in in_run if f.rule == "data_incomplete"]
        latest = [f for f in findings if f.as_of == end]
        outcome = CheckOutcome(
            "data_complete", not gaps,
            "basket rules evaluated on every session" if not gaps else "; ".join(f.message for f in gaps[-5:]),
            {"incomplete_sessions": [str(f.as_of) for f in gaps]})
        return dg.MaterializeResult(
            metadata={"rows_written": rows, "sessions": f"{first} .. {end}",
                      "latest_session": str(end),
                      "latest_findings": dg.MetadataValue.md(
                          "\n".join(f"- **{f.severity}** `{f.rule}` {f.subject}: {f.message}" for f in latest)
                          or "No rule held.")},
            check_results=[check_result(outcome)],
        )

    return [alerts]
