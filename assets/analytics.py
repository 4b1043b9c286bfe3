"""Derived tables: metrics_daily per ticker and session, watchlist_daily per session."""

import dagster as dg
from dagster_duckdb import DuckDBResource

from assets.common import DERIVED_GROUP, WRITER_POOL, newest_session_metadata, open_store, repair_failed_partitions
from assets.partitions import session_range
from pipelines.channels import charts
from pipelines.config import MonitorConfig
from pipelines.domain import metrics
from pipelines.sqlfiles import sql
from pipelines.storage import ingest, store


def build_analytics_assets(cfg: MonitorConfig, partitions: dg.PartitionsDefinition) -> list:
    common = dict(
        partitions_def=partitions,
        backfill_policy=dg.BackfillPolicy.single_run(),
        pool=WRITER_POOL,
        group_name=DERIVED_GROUP,
        kinds={"duckdb", "sql"},
    )

    @dg.asset(
        deps=["daily_prices", "shares_outstanding", "earnings"],
        **common,
        description="Per ticker and session: market cap, 1d/5d returns and $ changes, 52-week drawdown, "
        "worst 5-session drawdown, TTM EPS and P/E (sql/models/metrics_daily.sql).",
    )
    def metrics_daily(context: dg.AssetExecutionContext, duckdb: DuckDBResource) -> dg.MaterializeResult:
        start, end = session_range(context)
        with open_store(duckdb, cfg) as con, store.transaction(con):
            first = ingest.recompute_from(con, cfg, start, "metrics_daily")
            rows = metrics.compute_metrics(con, first, end, cfg.fundamentals.eps_report_lag_days)
            ingest.settle_recompute(con, "metrics_daily", first, end)
            no_cap = [
                r[0]
                for r in con.execute(
                    sql("checks/without_market_cap"), {"day": end, "benchmarks": [b.benchmark for b in cfg.baskets]}
                ).fetchall()
            ]
        repair_failed_partitions(context, cfg, "metrics_daily", start)
        return dg.MaterializeResult(
            metadata={
                "rows_written": rows,
                "sessions": f"{first} .. {end}",
                "tickers_without_market_cap": dg.MetadataValue.json(no_cap),
            }
        )

    @dg.asset(
        deps=["metrics_daily"],
        **common,
        description="Per session: the watchlist's market cap and its 5-session change over the same "
        "constituents, breadth, worst name, benchmark return (sql/models/watchlist_daily.sql).",
    )
    def watchlist_daily(context: dg.AssetExecutionContext, duckdb: DuckDBResource) -> dg.MaterializeResult:
        start, end = session_range(context)
        with open_store(duckdb, cfg) as con, store.transaction(con):
            first = ingest.recompute_from(con, cfg, start, "watchlist_daily")
            rows = metrics.compute_watchlist(con, first, end, cfg.baskets)
            ingest.settle_recompute(con, "watchlist_daily", first, end)
            latest = {
                b.name: con.execute(sql("models/watchlist_session"), {"basket": b.name, "session": end}).df()
                for b in cfg.baskets
            }
            names = charts.names_markdown(con, cfg, end)
        repair_failed_partitions(context, cfg, "watchlist_daily", start)
        # The chart, which marks alert sessions, is drawn by the alerts asset once tonight's rules have run.
        meta = {
            "rows_written": rows,
            "sessions": f"{first} .. {end}",
            **newest_session_metadata(
                context, end, {"latest_session_names": dg.MetadataValue.md(f"**{end}**\n\n{names}")}
            ),
        }
        for basket, frame in latest.items():  # per basket: the first one's keys stay as they were before baskets
            if not len(frame):
                continue
            row = frame.iloc[0]
            prefix = "latest" if basket == cfg.baskets[0].name else f"{basket}_latest"
            meta |= {
                f"{prefix}_cap_change_5d_usd": float(row["cap_change_5d"] or 0),
                f"{prefix}_cap_return_5d": float(row["cap_return_5d"] or 0),
                f"{prefix}_missing_tickers": dg.MetadataValue.json(list(row["missing_tickers"])),
            }
        return dg.MaterializeResult(metadata=meta)

    return [metrics_daily, watchlist_daily]
