"""What every rule is made of: the Rule definition, the Finding it yields, and the shared comparisons.

A rule is one module in this package exporting `RULE`; everything else (config validation, the backtest,
episodes, message titles, the docs check) reads the registry in `pipelines.rules`, so adding a rule never
means editing a list elsewhere.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

from pipelines.fmt import pct, pe_text, usd

if TYPE_CHECKING:
    from pipelines.config import Basket

WATCHLIST = "WATCHLIST"  # the subject of the basket rules: the basket as a whole (each row also names its basket)
SEVERITIES = ("info", "warning", "critical")  # in rising order: the one place it is written
SEVERITY_RANK = {s: i for i, s in enumerate(SEVERITIES)}


@dataclass(frozen=True)
class Finding:
    rule: str
    subject: str
    as_of: dt.date
    severity: str
    metrics: dict
    message: str
    basket: str  # the basket whose rules found it (a name in two baskets is found once in each)

    def metrics_json(self) -> str:
        return json.dumps(self.metrics, sort_keys=True, default=str)


@dataclass(frozen=True)
class Inputs:
    """One basket's evaluation rows: its watchlist_daily (one per session) and its names' metrics_daily."""

    basket: Basket
    watch: pd.DataFrame
    names: pd.DataFrame
    by_date: dict = field(default_factory=dict)

    @classmethod
    def of(cls, basket: Basket, watch: pd.DataFrame, metrics: pd.DataFrame) -> Inputs:
        names = metrics[metrics["ticker"].isin(basket.tickers)]
        return cls(basket, watch, names, {d: g for d, g in names.groupby("date")})

    def missing(self, row) -> list[str]:
        """The symbols without a bar on the watchlist_daily row's session (the benchmark included)."""
        out = list(row.missing_tickers) if row.missing_tickers is not None else []
        if num(row.benchmark_return_5d) is None and not row.benchmark_has_bar:
            out.append(self.basket.benchmark)
        return out

    def hits(self, col: str, threshold: float, below: bool = True) -> pd.DataFrame:
        """The name rows whose `col` crossed `threshold`."""
        return self.names[crossed_mask(self.names[col], threshold, below)]


@dataclass(frozen=True)
class Figure:
    """The figure a rule measures, as people read it: in a finding's metrics under `key`, and on any session in
    watchlist_daily (`source` "basket") or in the subject's metrics_daily row (`source` "subject") under `column`."""

    source: str
    column: str
    unit: str  # "pct" | "usd" | "pe"
    label: str  # what it is, after the figure: "over 5 sessions"
    key: str | None = None  # in the finding's metrics, when it differs from `column`

    def of(self, metrics: dict) -> float | None:
        return num(metrics.get(self.key or self.column)) if metrics else None

    def value(self, value) -> str:
        """The figure alone: `-22.2%`, `-$229.0B`, `P/E 313`."""
        if self.unit == "pct":
            return pct(value)
        if self.unit == "usd":
            return usd(value)
        return f"P/E {pe_text(value, 1.0, ',.0f')}"

    def text(self, value) -> str:
        """The figure and what it is: `-22.2% over 5 sessions`."""
        return self.value(value) if self.unit == "pe" else f"{self.value(value)} {self.label}"


@dataclass(frozen=True)
class Rule:
    name: str
    title: str  # how messages and the UI name it
    severity: str
    holds_when: str  # the docs' "holds when" column, checked against docs/rules.md
    evaluate: Callable[[Any, Inputs], Iterable[Finding]]  # (its settings, the inputs) -> findings
    magnitude: Callable[[dict], float]  # from a finding's metrics: smaller is worse (an episode's peak)
    settings: type | None = None  # its [rules.<name>] block; None: nothing to configure
    validate: Callable[[Any, Basket], str | None] | None = None  # a problem of the settings with the basket, or None
    # "basket": it speaks of the basket as a whole (its digests carry the basket's chart); "name": of one symbol (a
    # name, or the benchmark: the index falling 3% is news about the index, its figure is in the digest's table)
    scope: str = "name"
    # The threshold lines it draws on the basket's chart: (panel "basket" | "names", label, value) from its settings.
    chart_lines: Callable[[Any], list[tuple[str, str, float]]] | None = None
    headline: bool = False  # the basket's sell-off rule: its episodes get the history section and the chart's bands
    breadth: Callable[[Any], float] | None = None  # the per-name return its breadth counts (watchlist_daily)
    figure: Figure | None = None  # what it measures: a resolved notice says where it is now and where it peaked
    # The digest's verdict line from a finding's metrics, (metrics, basket title, benchmark) -> one sentence with the
    # numbers that decided it; None: the finding's message.
    verdict: Callable[[dict, str, str], str] | None = None

    def finding(self, inp: Inputs, subject: str, as_of: dt.date, metrics: dict, message: str) -> Finding:
        return Finding(self.name, subject, as_of, self.severity, metrics, message, inp.basket.name)


def num(value) -> float | None:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return None
    return float(value)


def crossed(value: float | None, threshold: float, below: bool = True) -> bool:
    """value <= threshold (or >= when below=False), exactly at the threshold included: 90/100 - 1 is
    -0.09999999999999998 in floating point and must count as the -10% it is."""
    if value is None or math.isnan(value):
        return False
    tol = 1e-9 * max(1.0, abs(threshold))
    return value <= threshold + tol if below else value >= threshold - tol


def crossed_mask(values: pd.Series, threshold: float, below: bool = True) -> pd.Series:
    """`crossed` for a column at once (a missing value never crosses): a 500-name night has a million cells."""
    v = pd.to_numeric(values, errors="coerce").astype("float64")
    tol = 1e-9 * max(1.0, abs(threshold))
    return (v <= threshold + tol) if below else (v >= threshold - tol)
