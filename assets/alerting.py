"""Rule evaluations (table alerts) and, downstream, their delivery."""

import dagster as dg
from dagster_duckdb import DuckDBResource

from assets.common import (
    ALERT_GROUP,
    WRITER_POOL,
    check_result,
    newest_session_metadata,
    open_store,
    repair_failed_partitions,
    spec,
)
from assets.partitions import session_range
from assets.resources import MonitorResource, SlackResource, SourceResource
from pipelines import rules
from pipelines.channels import charts
from pipelines.channels.notify import due_sessions, notify
from pipelines.channels.routes import Routes
from pipelines.config import MonitorConfig
from pipelines.domain import evaluation
from pipelines.domain.quality import CheckOutcome
from pipelines.storage import ingest, publish, store

NOTIFY_HISTORY_TAG = "market_monitor/notify_history"
UNDELIVERED_PREFIX = "alerts not delivered"


def sessions_to_notify(context: dg.AssetExecutionContext, source: SourceResource, start, end) -> set:
    return due_sessions(
        start, end, history=context.run.tags.get(NOTIFY_HISTORY_TAG) == "true", tonight=source.client().tonight(end)
    )


def build_alerting_assets(cfg: MonitorConfig, partitions: dg.PartitionsDefinition) -> list:
    @dg.asset(
        deps=["watchlist_daily", "metrics_daily"],
        partitions_def=partitions,
        backfill_policy=dg.BackfillPolicy.single_run(),
        pool=WRITER_POOL,
        group_name=ALERT_GROUP,
        kinds={"duckdb", "python"},
        description="One row per rule, subject and session where a rule held (pipelines/rules/).",
        check_specs=[
            spec(
                "data_complete",
                "alerts",
                "Every watchlist name and the benchmark had a bar, and enough "
                "names a market cap, so the basket rules could decide every session of the run.",
            )
        ],
    )
    def alerts(context: dg.AssetExecutionContext, duckdb: DuckDBResource) -> dg.MaterializeResult:
        start, end = session_range(context)
        with open_store(duckdb, cfg) as con:
            first = evaluation.first_evaluable_of_all(con, cfg, ingest.recompute_from(con, cfg, start, "alerts"))
            with store.transaction(con):
                findings = evaluation.evaluate_range(con, cfg, first, end, whole_windows=True)
                rows = rules.store_findings(con, findings, first, end)
                ingest.settle_recompute(con, "alerts", first, end)
            names = charts.names_markdown(con, cfg, end)
            # The first basket's chart every night; another basket's when a rule of the basket as a whole holds
            # tonight (a chart costs ~0.15 s: 20 baskets drawn every night were 4 s of a 5 s night)
            loud = {f.basket for f in findings if f.as_of == end and rules.is_basket_rule(f.rule)}
            loud |= {cfg.baskets[0].name}
            basket_charts = {
                b.name: charts.as_markdown_image(charts.watchlist_chart(con, b, end), f"{b.title}, last 60 sessions")
                if b.name in loud
                else f"_no rule of {b.title} as a whole holds on {end}: no chart tonight_"
                for b in cfg.baskets
            }
            newer_gaps = evaluation.gaps_after(con, end)  # a backfill must not hide tonight's gap
        repair_failed_partitions(context, cfg, "alerts", start)
        in_run = [f for f in findings if f.as_of >= start]
        several = len(cfg.baskets) > 1
        gaps = [f"{f.basket}: {f.message}" if several else f.message for f in in_run if f.rule == rules.INCOMPLETE]
        gaps += [f"{b}: {m}" if several else m for b, m in newer_gaps]
        latest = [f for f in findings if f.as_of == end]
        outcome = CheckOutcome(
            "data_complete",
            not gaps,
            f"basket rules evaluated on every session of {start} .. {end} and since"
            if not gaps
            else "; ".join(gaps[-5:]),
            {"incomplete_sessions": gaps[-50:]},
        )
        return dg.MaterializeResult(
            metadata={
                "rows_written": rows,
                "sessions": f"{first} .. {end}",
                "latest_session": str(end),
                "baskets": dg.MetadataValue.md(_baskets_table(cfg, latest)),
                "latest_findings": dg.MetadataValue.md(_findings_markdown(cfg, latest)),
                **newest_session_metadata(
                    context,
                    end,
                    {
                        "latest_session_names": dg.MetadataValue.md(f"**{end}**\n\n{names}"),
                        # the first basket's chart under the name it always had; each further basket's beside it
                        **{
                            ("chart" if i == 0 else f"chart_{b.name}"): dg.MetadataValue.md(basket_charts[b.name])
                            for i, b in enumerate(cfg.baskets)
                        },
                    },
                ),
            },
            check_results=[check_result(outcome)],
        )

    @dg.asset(
        deps=["alerts"],
        partitions_def=partitions,
        backfill_policy=dg.BackfillPolicy.single_run(),
        pool=WRITER_POOL,
        group_name=ALERT_GROUP,
        kinds={"slack", "duckdb"},
        description="Episode transitions (alert_events) and the Slack messages they make (outbox): one grouped "
        "message per session, repeats every alerts.repeat_interval_sessions, resolved notices in the "
        "opening message's thread. Delivered at least once, never twice.",
        check_specs=[
            spec(
                "notifications_delivered",
                "slack_notifications",
                "Every queued Slack message was acknowledged by Slack. When one is not, the step fails "
                "(the run is red) and the message stays queued for the next run.",
            )
        ],
    )
    def slack_notifications(
        context: dg.AssetExecutionContext,
        duckdb: DuckDBResource,
        source: SourceResource,
        slack: SlackResource,
        monitor: MonitorResource,
    ) -> dg.MaterializeResult:
        start, end = session_range(context)
        routes = Routes.build(cfg, slack.settings())
        run_url = slack.run_url(context.run_id)
        with open_store(duckdb, cfg) as con:
            due = sessions_to_notify(context, source, start, end)
            report = notify(con, cfg, end, due, routes, run_url, ui_url=slack.ui_url)
        context.log.info(f"{routes.describe()}: {report.summary()}")
        # analytics_copy does not wait for delivery (a Slack outage must not hold analysts at yesterday's copy);
        # republished here, delivered or not, so the copy also carries tonight's transitions and outbox.
        republished = _republish(context, monitor)
        delivery = report.delivery
        if delivery.still_pending:
            # A run whose alerts did not go out is a failed run: red in the UI, a run-failure notice, exit code 3
            # from the CLI. The messages stay queued in the outbox and the next run sends them. Not retried here:
            # a bad token stays bad, and an outage is better retried by tomorrow's run than by minutes of waiting.
            raise dg.Failure(
                description=f"{UNDELIVERED_PREFIX}: {delivery.cause}; {delivery.still_pending} message(s) stay "
                "queued in the outbox and are sent by the next run"
                + ("" if republished else "; the analysts' copy could not be republished (see analytics_copy)"),
                metadata={
                    "delivery": routes.describe(),
                    "failed": dg.MetadataValue.json(delivery.failed),
                    "messages_queued": dg.MetadataValue.json(report.queued),
                },
                allow_retries=False,
            )
        repair_failed_partitions(context, cfg, "slack_notifications", start)  # delivered: earlier nights' too
        charts_failed = delivery.files_failed
        outcome = CheckOutcome(
            "notifications_delivered",
            not charts_failed,
            "dry run: nothing sent (no Slack settings)"
            if report.dry_run
            else f"every queued message acknowledged by Slack ({len(delivery.delivered)} sent)"
            + (
                f"; {len(charts_failed)} chart(s) not posted in their thread: {next(iter(charts_failed.values()))}"
                if charts_failed
                else ""
            ),
            {"charts_failed": charts_failed} if charts_failed else {},
        )
        return dg.MaterializeResult(
            metadata={
                "delivery": routes.describe(),
                "summary": report.summary(),
                "dry_run": report.dry_run,
                "transitions_recorded": report.transitions_recorded,
                "messages_queued": dg.MetadataValue.json(report.queued),
                "messages_delivered": dg.MetadataValue.json(delivery.delivered),
                "charts_posted": dg.MetadataValue.json(delivery.files_delivered),
                "messages": dg.MetadataValue.md(report.texts or "No message tonight."),
            },
            check_results=[check_result(outcome, warn=bool(charts_failed))],
        )

    return [alerts, slack_notifications]


def _findings_markdown(cfg: MonitorConfig, latest: list) -> str:
    """The newest session's findings as people name them: basket title, rule title, subject (`rule` id in code)."""
    titles = {b.name: b.title for b in cfg.baskets}
    lines = [
        f"- **{f.severity}** {titles.get(f.basket, f.basket)}: {rules.title(f.rule)}"
        + ("" if f.subject == rules.WATCHLIST else f", {f.subject}")
        + f" (`{f.rule}`): {f.message}"
        for f in latest
    ]
    return "\n".join(lines) or "No rule held."


def _baskets_table(cfg: MonitorConfig, latest: list) -> str:
    """One line per basket: its names, benchmark, destinations and what held on the newest session."""
    lines = ["| basket | title | names | benchmark | destinations | held tonight |", "|---|---|---:|---|---|---|"]
    for b in cfg.baskets:
        held = sorted({f"{f.severity} {rules.title(f.rule)}" for f in latest if f.basket == b.name}) or ["nothing"]
        lines.append(
            f"| {b.name} | {b.title} | {len(b.tickers)} | {b.benchmark} | {', '.join(b.destinations)} | "
            f"{', '.join(held)} |"
        )
    return "\n".join(lines)


def _republish(context: dg.AssetExecutionContext, monitor: MonitorResource) -> bool:
    try:
        publish.publish(monitor.db_path, monitor.analytics_path)
        return True
    except Exception as exc:  # the analytics_copy step reports its own failure; delivery's outcome stands
        context.log.warning(f"analysts' copy not republished after delivery: {exc}")
        return False


def build_publish_asset(cfg: MonitorConfig, partitions: dg.PartitionsDefinition):
    @dg.asset(
        deps=["alerts"],
        partitions_def=partitions,
        backfill_policy=dg.BackfillPolicy.single_run(),
        pool=WRITER_POOL,
        group_name=ALERT_GROUP,
        kinds={"duckdb"},
        description="The analysts' copy of the database (<db>.analytics.duckdb), swapped in atomically once the "
        "night's alerts are computed, whatever Slack does (slack_notifications republishes it after delivery); "
        "`market-monitor sql` and notebooks read it, never the live file.",
    )
    def analytics_copy(context: dg.AssetExecutionContext, monitor: MonitorResource) -> dg.MaterializeResult:
        info = publish.publish(monitor.db_path, monitor.analytics_path)
        repair_failed_partitions(context, cfg, "analytics_copy", session_range(context)[0])
        return dg.MaterializeResult(
            metadata={
                "path": info["path"],
                "tables": info["tables"],
                "views": info["views"],
                "size_bytes": info["bytes"],
            }
        )

    return analytics_copy
