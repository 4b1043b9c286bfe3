"""Raw facts: daily prices (one batched fetch a run) and fundamentals (shares, EPS; refreshed when stale)."""

import dagster as dg
from dagster_duckdb import DuckDBResource

from assets.common import (
    RAW_GROUP,
    WRITER_POOL,
    check_result,
    open_store,
    repair_failed_partitions,
    sessions_reread_before,
    source_retry,
    spec,
)
from assets.partitions import session_range
from assets.resources import SourceResource
from pipelines import calendar
from pipelines.config import MonitorConfig
from pipelines.domain import freshness, quality
from pipelines.storage import ingest


def build_market_data_assets(cfg: MonitorConfig, partitions: dg.PartitionsDefinition) -> list:
    @dg.asset(
        partitions_def=partitions,
        backfill_policy=dg.BackfillPolicy.single_run(),
        pool=WRITER_POOL,
        retry_policy=source_retry(cfg),
        group_name=RAW_GROUP,
        kinds={"duckdb", "python"},
        description="Daily OHLCV bars (table prices_daily) for the watchlist and the benchmark, upserted. "
        "Metadata symbols_missing: every symbol without a bar for a session of the run.",
        check_specs=[
            spec(
                "bars_present",
                "daily_prices",
                "Every symbol has a bar for every session of the run (from its listing on).",
            ),
            spec(
                "names_arriving",
                "daily_prices",
                "No symbol has gone 3 sessions without a bar (one that has stopped arriving: delisted, renamed, "
                "a new ticker; replace or drop it in monitor.toml).",
            ),
            # Not blocking: a bar that cannot be true never reaches prices_daily (it is kept aside in
            # rejected_facts), so downstream never reads it; blocking would silence every alert for the refetch
            # window because of one bad bar. The session shows as missing (bars_present, the incomplete-data rule).
            spec(
                "prices_valid",
                "daily_prices",
                "No bar of the sessions the run read was refused: closes positive, "
                "finite, believable and inside the day's range (refused bars are listed in rejected_facts).",
            ),
            spec("moves_plausible", "daily_prices", "No one-session move beyond ±40% that no split explains."),
        ],
    )
    def daily_prices(
        context: dg.AssetExecutionContext, source: SourceResource, duckdb: DuckDBResource
    ) -> dg.MaterializeResult:
        start, end = session_range(context)
        with open_store(duckdb, cfg, cfg.history.source_retries) as con:
            summary = ingest.load_prices(con, source.client(), cfg, start, end)
            for symbol in summary.missing:
                context.log.warning(f"{symbol}: the source returned no bars for {summary.fetch_start}..{end}")
            for line in summary.problems + summary.rejected:
                context.log.warning(line)
            before = calendar.previous_session(start)
            complete = quality.sessions_in(con, cfg.symbols, min(summary.fetch_start, before), before)
            outcomes = [
                quality.also_newest(quality.check_bars_present, con, cfg.symbols, start, end),
                quality.check_names_arriving(
                    con, cfg.symbols, max(end, quality.newest_session(con, cfg.symbols) or end)
                ),
                quality.check_prices_valid(con, cfg.symbols, summary.fetch_start, end),
                quality.check_moves_plausible(con, cfg.symbols, start, end),
            ]
        repaired = repair_failed_partitions(context, cfg, "daily_prices", start, when=complete)
        # the source's missing names (nothing in the whole window) and those without a bar for a run's session
        no_bar = outcomes[0].metadata["symbols_missing"]
        return dg.MaterializeResult(
            metadata={
                "rows_upserted": summary.rows,
                "failed_sessions_completed": dg.MetadataValue.json(repaired),
                "sessions": f"{start} .. {end}",
                "fetched_range": f"{summary.fetch_start} .. {summary.fetch_end}",
                "symbols_missing": dg.MetadataValue.json(sorted(set(summary.missing) | set(no_bar))),
                "splits_applied": dg.MetadataValue.json(summary.splits_applied),
                "bars_refused": dg.MetadataValue.json(summary.rejected),
                "source_problems": dg.MetadataValue.json(summary.problems),
            },
            check_results=[check_result(o, warn=o.name == "moves_plausible") for o in outcomes],
        )

    @dg.multi_asset(
        specs=[
            dg.AssetSpec(
                "shares_outstanding",
                group_name=RAW_GROUP,
                kinds={"duckdb"},
                description="Share counts as of their dates (current split basis).",
            ),
            dg.AssetSpec(
                "earnings",
                group_name=RAW_GROUP,
                kinds={"duckdb"},
                description="Quarterly GAAP diluted EPS with announcement dates.",
            ),
        ],
        partitions_def=partitions,
        backfill_policy=dg.BackfillPolicy.single_run(),
        pool=WRITER_POOL,
        retry_policy=source_retry(cfg),
        check_specs=[
            spec("shares_fresh", "shares_outstanding", "Each ticker has a share count within the configured age."),
            spec(
                "shares_confirmed",
                "shares_outstanding",
                "No share count is held: each count within fundamentals.max_share_change of the previous one, or "
                "confirmed by a later count.",
            ),
            spec("eps_fresh", "earnings", "Each ticker has an EPS announcement within the configured age."),
        ],
    )
    def fundamentals(context: dg.AssetExecutionContext, source: SourceResource, duckdb: DuckDBResource):
        start, end = session_range(context)
        fcfg = cfg.fundamentals
        with open_store(duckdb, cfg, cfg.history.source_retries) as con:
            summary = ingest.load_fundamentals(con, source.client(), cfg, start, end)
            for problem in summary.problems:
                context.log.warning(problem)
            shares = quality.check_shares_fresh(
                con, cfg.tickers, end, fcfg.shares_stale_after_days, fcfg.eps_report_lag_days
            )
            held = quality.check_shares_confirmed(con, cfg.tickers)
            eps = quality.check_eps_fresh(con, cfg.tickers, end, fcfg.eps_stale_after_days, fcfg.eps_report_lag_days)
        problems = dg.MetadataValue.json(summary.problems)
        if not summary.fetched_nothing:  # shares and EPS are current: earlier failed nights are behind them
            behind = sessions_reread_before(cfg, start)
            for asset in ("shares_outstanding", "earnings"):
                repair_failed_partitions(context, cfg, asset, start, when=behind)
        nothing = {freshness.FETCHED_NOTHING: summary.fetched_nothing}  # session_fresh reads it
        yield dg.MaterializeResult(
            asset_key="shares_outstanding",
            metadata={"rows_upserted": summary.rows, "problems": problems, **nothing},
        )
        yield dg.MaterializeResult(
            asset_key="earnings", metadata={"rows_upserted": summary.earnings_rows, "problems": problems, **nothing}
        )
        yield check_result(shares, warn=True, asset_key="shares_outstanding")
        yield check_result(held, warn=True, asset_key="shares_outstanding")
        yield check_result(eps, warn=True, asset_key="earnings")

    return [daily_prices, fundamentals]
