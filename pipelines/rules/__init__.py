"""The alert rules: one module per rule (its settings, evaluation, magnitude, title and docs line), registered
here once. The backtest, episodes, messages, config validation and the docs check all read `RULES`.

Each rule yields a Finding for every (subject, session) where its condition held over watchlist_daily and
metrics_daily rows.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from pipelines.rules import (
    benchmark_drop,
    data_incomplete,
    sector_selloff,
    stock_cap_loss_1d,
    stock_drop_5d,
    valuation_extreme,
)
from pipelines.rules.base import SEVERITIES, SEVERITY_RANK, WATCHLIST, Finding, Inputs, Rule, crossed
from pipelines.sqlfiles import sql

# Registration order is the order of the backtest report and of the docs table.
RULES: tuple[Rule, ...] = tuple(
    m.RULE
    for m in (sector_selloff, benchmark_drop, stock_drop_5d, stock_cap_loss_1d, valuation_extreme, data_incomplete)
)
BY_NAME = {r.name: r for r in RULES}
HEADLINE = next(r for r in RULES if r.headline)  # the basket's sell-off rule (history section, chart bands)
INCOMPLETE = data_incomplete.NAME  # the rule that reports a session the basket rules could not decide


def settings_of(basket, rule: Rule):
    return getattr(basket.rules, rule.name) if rule.settings else None


def breadth_threshold(basket) -> float:
    """The per-name 5-session return that watchlist_daily's breadth (n_names_down) counts against."""
    rule = next(r for r in RULES if r.breadth)
    return rule.breadth(settings_of(basket, rule))


def chart_lines(basket) -> list[tuple[str, str, float]]:
    """Every rule's threshold lines for the basket's chart, with the basket's own settings."""
    return [line for r in RULES if r.chart_lines for line in r.chart_lines(settings_of(basket, r))]


def is_basket_rule(rule: str) -> bool:
    return rule in BY_NAME and BY_NAME[rule].scope == "basket"


__all__ = [
    "BY_NAME",
    "HEADLINE",
    "INCOMPLETE",
    "breadth_threshold",
    "chart_lines",
    "is_basket_rule",
    "settings_of",
    "RULES",
    "SEVERITIES",
    "SEVERITY_RANK",
    "WATCHLIST",
    "Finding",
    "Rule",
    "crossed",
    "evaluate",
    "load_metrics",
    "load_watch",
    "store_findings",
    "title",
]


def title(rule: str) -> str:
    return BY_NAME[rule].title if rule in BY_NAME else rule


def load_metrics(con, start: dt.date, end: dt.date) -> pd.DataFrame:
    """metrics_daily rows for [start, end]: read once, shared by every basket's evaluation."""
    metrics = con.execute(sql("rules/metrics_rows"), {"start": start, "end": end}).df()
    metrics["date"] = pd.to_datetime(metrics["date"]).dt.date
    return metrics


def load_watch(con, basket, start: dt.date, end: dt.date) -> pd.DataFrame:
    """The basket's watchlist_daily rows for [start, end]."""
    params = {"basket": basket.name, "start": start, "end": end, "benchmark": basket.benchmark}
    watch = con.execute(sql("rules/watchlist_rows"), params).df()
    watch["date"] = pd.to_datetime(watch["date"]).dt.date
    return watch


def evaluate(basket, watch: pd.DataFrame, metrics: pd.DataFrame) -> list[Finding]:
    """Every finding of every rule, with the basket's thresholds, for the sessions in `watch` (one row per
    session of the basket's watchlist_daily)."""
    inp = Inputs.of(basket, watch, metrics)
    out = [f for rule in RULES for f in rule.evaluate(settings_of(basket, rule), inp)]
    return sorted(out, key=lambda f: (f.as_of, -SEVERITY_RANK[f.severity], f.rule, f.subject))


def store_findings(con, findings: list[Finding], start: dt.date, end: dt.date) -> int:
    """Replace the alerts of [start, end] with these findings (the caller holds the transaction)."""
    con.execute(sql("alerts/clear_range"), {"start": start, "end": end})
    rows = [(f.basket, f.rule, f.subject, f.as_of, f.severity, f.metrics_json(), f.message) for f in findings]
    if rows:  # one statement from a frame: row by row, a two-year 500-name range spent seconds here
        con.register(
            "incoming_findings",
            pd.DataFrame(rows, columns=["basket", "rule", "subject", "as_of", "severity", "metrics", "message"]),
        )
        con.execute(sql("alerts/insert_findings"))
        con.unregister("incoming_findings")
    return len(rows)
