"""The alert rules: plain functions over watchlist_daily and metrics_daily rows.

Each rule yields a Finding for every (subject, session) where its condition held; a basket rule never
evaluates on incomplete data and a `data_incomplete` finding says why instead (never read as "no sell-off").
"""

from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import dataclass

import pandas as pd

from pipelines.config import MonitorConfig
from pipelines.fmt import loss, some, usd
from pipelines.fmt import pct as _pct
from pipelines.sqlfiles import sql

WATCHLIST = "WATCHLIST"
SEVERITY_RANK = {"info": 0, "warning": 1, "critical": 2}
RULES = ("sector_selloff", "benchmark_drop", "stock_drop_5d", "stock_cap_loss_1d", "valuation_extreme",
         "data_incomplete")


@dataclass(frozen=True)
class Finding:
    rule: str
    subject: str
    as_of: dt.date
    severity: str
    metrics: dict
    message: str

    def metrics_json(self) -> str:
        return json.dumps(self.metrics, sort_keys=True, default=str)


def _num(value) -> float | None:
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


def _usd(x: float) -> str:
    return usd(x, decimals=0)  # rule messages round to whole billions


def load_inputs(con, start: dt.date, end: dt.date, benchmark: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """watchlist_daily and metrics_daily rows for [start, end]."""
    watch = con.execute(sql("rules/watchlist_rows"), {"start": start, "end": end, "benchmark": benchmark}).df()
    metrics = con.execute(sql("rules/metrics_rows"), {"start": start, "end": end}).df()
    for frame, col in ((watch, "date"), (metrics, "date")):
        frame[col] = pd.to_datetime(frame[col]).dt.date
    return watch, metrics


def evaluate(cfg: MonitorConfig, watch: pd.DataFrame, metrics: pd.DataFrame) -> list[Finding]:
    """Every finding for the sessions in `watch` (one row per session)."""
    r = cfg.rules
    bench = cfg.watchlist.benchmark
    names = metrics[metrics["ticker"].isin(cfg.watchlist.tickers)]
    by_date = {d: g for d, g in names.groupby("date")}
    out: list[Finding] = []
    for row in watch.itertuples(index=False):
        day = row.date
        bench_r5 = _num(row.benchmark_return_5d)
        missing = list(row.missing_tickers) if row.missing_tickers is not None else []
        if bench_r5 is None and not row.benchmark_has_bar:
            missing.append(bench)
        if missing:
            out.append(Finding("data_incomplete", WATCHLIST, day, "warning",
                               {"missing_tickers": missing, "n_constituents": int(row.n_constituents),
                                "n_expected": int(row.n_expected)},
                               f"Incomplete data for {day}: no bar for {some(missing)}. Basket rules were not "
                               "evaluated for this session."))
        if crossed(bench_r5, r.benchmark_drop.return_5d):
            out.append(Finding("benchmark_drop", bench, day, "warning",
                               {"benchmark_return_5d": bench_r5, "threshold_return_5d": r.benchmark_drop.return_5d},
                               f"{bench} {_pct(bench_r5)} over 5 sessions (threshold "
                               f"{_pct(r.benchmark_drop.return_5d)})."))
        if not missing and bench_r5 is not None:
            finding = _sector_selloff(cfg, row, by_date.get(day), bench_r5)
            if finding:
                out.append(finding)
    out += _stock_rules(cfg, names)
    return sorted(out, key=lambda f: (f.as_of, -SEVERITY_RANK[f.severity], f.rule, f.subject))


def _sector_selloff(cfg: MonitorConfig, row, names: pd.DataFrame | None, bench_r5: float) -> Finding | None:
    t = cfg.rules.sector_selloff
    cap_return = _num(row.cap_return_5d)
    if cap_return is None or names is None:
        return None
    down = names[names["return_5d"].map(lambda v: crossed(_num(v), t.name_return_5d))].sort_values("return_5d")
    if not (crossed(cap_return, t.cap_return_5d) and len(down) >= t.min_names_down
            and crossed(bench_r5, t.benchmark_return_5d)):
        return None
    cap_change = _num(row.cap_change_5d)
    figures = {
        "cap_change_5d": cap_change, "cap_return_5d": cap_return, "n_cap_pairs": int(row.n_cap_pairs),
        "names_down": {n.ticker: round(float(n.return_5d), 6) for n in down.itertuples()},
        "n_names_down": len(down), "benchmark_return_5d": bench_r5,
        "thresholds": {"cap_return_5d": t.cap_return_5d, "min_names_down": t.min_names_down,
                       "name_return_5d": t.name_return_5d, "benchmark_return_5d": t.benchmark_return_5d},
    }
    names_text = some([f"{n.ticker} {_pct(n.return_5d)}" for n in down.itertuples()])
    message = (f"AI sell-off: the watchlist lost {loss(cap_change)} ({_pct(cap_return)}) of market value in 5 "
               f"sessions to {row.date}; {len(down)} of {int(row.n_constituents)} names fell "
               f"{abs(t.name_return_5d):.0%} or more ({names_text}); {cfg.watchlist.benchmark} {_pct(bench_r5)}.")
    return Finding("sector_selloff", WATCHLIST, row.date, "critical", figures, message)


def _stock_rules(cfg: MonitorConfig, names: pd.DataFrame) -> list[Finding]:
    r = cfg.rules
    out = []
    def hits(col: str, threshold: float, below: bool = True) -> pd.DataFrame:
        return names[names[col].map(lambda v: crossed(_num(v), threshold, below))]

    for n in hits("return_5d", r.stock_drop_5d.return_5d).itertuples():
        out.append(Finding("stock_drop_5d", n.ticker, n.date, "warning",
                           {"return_5d": float(n.return_5d), "close": float(n.close), "threshold_return_5d":
                            r.stock_drop_5d.return_5d, "cap_change_5d": _num(n.cap_change_5d)},
                           f"{n.ticker} {_pct(n.return_5d)} over 5 sessions to {n.date} (close {n.close:,.2f}; "
                           f"threshold {_pct(r.stock_drop_5d.return_5d)})."))
    for n in hits("cap_change_1d", r.stock_cap_loss_1d.cap_change_1d).itertuples():
        out.append(Finding("stock_cap_loss_1d", n.ticker, n.date, "warning",
                           {"cap_change_1d": float(n.cap_change_1d), "return_1d": _num(n.return_1d),
                            "market_cap": float(n.market_cap), "shares_as_of": str(n.shares_as_of),
                            "threshold_cap_change_1d": r.stock_cap_loss_1d.cap_change_1d},
                           f"{n.ticker} lost {loss(n.cap_change_1d)} of market value on {n.date} "
                           f"({_pct(n.return_1d)}; threshold {_usd(r.stock_cap_loss_1d.cap_change_1d)})."))
    for n in hits("pe_ttm", r.valuation_extreme.pe_ttm, below=False).itertuples():
        out.append(Finding("valuation_extreme", n.ticker, n.date, "info",
                           {"pe_ttm": float(n.pe_ttm), "eps_ttm": float(n.eps_ttm), "close": float(n.close),
                            "threshold_pe_ttm": r.valuation_extreme.pe_ttm},
                           f"{n.ticker} trades at {n.pe_ttm:,.0f}× trailing GAAP diluted EPS "
                           f"({n.eps_ttm:.2f}) on {n.date} (threshold {r.valuation_extreme.pe_ttm:,.0f}×)."))
    return out


def store_findings(con, findings: list[Finding], start: dt.date, end: dt.date) -> int:
    """Replace the alerts of [start, end] with these findings (the caller holds the transaction)."""
    con.execute("DELETE FROM alerts WHERE as_of BETWEEN ? AND ?", [start, end])
    rows = [(f.rule, f.subject, f.as_of, f.severity, f.metrics_json(), f.message) for f in findings]
    if rows:
        con.executemany("INSERT INTO alerts VALUES (?, ?, ?, ?, ?, ?)", rows)
    return len(rows)
