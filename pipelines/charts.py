"""The ops chart: the last ~60 sessions of the watchlist and each name, thresholds drawn, alerts marked."""

from __future__ import annotations

import base64
import datetime as dt
import io

import matplotlib

matplotlib.use("Agg")  # no display on servers
import matplotlib.pyplot as plt  # noqa: E402

from pipelines import calendar  # noqa: E402
from pipelines.config import MonitorConfig  # noqa: E402
from pipelines.fmt import pct  # noqa: E402


def watchlist_chart(con, cfg: MonitorConfig, end: dt.date, sessions: int = 60) -> bytes | None:
    last = end if calendar.is_session(end) else calendar.previous_session(end)
    start = calendar.sessions_back(last, sessions - 1)
    watch = con.execute("SELECT date, cap_return_5d, benchmark_return_5d FROM watchlist_daily "
                        "WHERE date BETWEEN ? AND ? ORDER BY date", [start, end]).df()
    if watch.empty:
        return None
    names = con.execute("SELECT ticker, date, return_5d FROM metrics_daily WHERE date BETWEEN ? AND ? "
                        "AND ticker IN (SELECT unnest(?::VARCHAR[])) ORDER BY date",
                        [start, end, cfg.watchlist.tickers]).df()
    alerts = con.execute("SELECT as_of, rule FROM alerts WHERE as_of BETWEEN ? AND ? AND severity <> 'info'",
                         [start, end]).df()
    rules = cfg.rules
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(9, 6), sharex=True, dpi=80)
    top.plot(watch["date"], watch["cap_return_5d"] * 100, label="watchlist market cap, 5 sessions", color="black")
    top.plot(watch["date"], watch["benchmark_return_5d"] * 100, label=f"{cfg.watchlist.benchmark}, 5 sessions",
             color="tab:blue")
    top.axhline(rules.sector_selloff.cap_return_5d * 100, color="red", ls="--", lw=1, label="sell-off threshold")
    top.axhline(rules.benchmark_drop.return_5d * 100, color="tab:blue", ls=":", lw=1, label="benchmark threshold")
    for ticker, frame in names.groupby("ticker"):
        bottom.plot(frame["date"], frame["return_5d"] * 100, label=ticker, lw=1)
    bottom.axhline(rules.stock_drop_5d.return_5d * 100, color="red", ls="--", lw=1, label="stock drop threshold")
    for day in sorted(set(alerts.loc[alerts["rule"] == "sector_selloff", "as_of"])):
        for ax in (top, bottom):
            ax.axvspan(day, day, color="red", alpha=0.25, lw=6)
    top.set_ylabel("% over 5 sessions")
    bottom.set_ylabel("% over 5 sessions")
    top.set_title(f"market-monitor: {start} .. {end} (red bands: sector_selloff sessions)")
    top.legend(fontsize=7, loc="lower left")
    bottom.legend(fontsize=7, loc="lower left", ncol=4)
    fig.autofmt_xdate()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


def as_markdown_image(png: bytes | None, alt: str = "chart") -> str:
    """Dagster has no image metadata type: an inline data URL in markdown renders in the UI."""
    if not png:
        return "_no data to chart_"
    return f"![{alt}](data:image/png;base64,{base64.b64encode(png).decode()})"


def names_markdown(con, cfg: MonitorConfig, day: dt.date) -> str:
    rows = con.execute("SELECT ticker, close, return_5d, cap_change_5d, drawdown_52w, pe_ttm, shares_as_of "
                       "FROM metrics_daily WHERE date = ? AND ticker IN (SELECT unnest(?::VARCHAR[])) "
                       "ORDER BY return_5d", [day, cfg.symbols]).fetchall()

    lines = ["| name | close | 5 sessions | 5-session $ | from 52w high | P/E | shares as of |",
             "|---|---:|---:|---:|---:|---:|---|"]
    for t, close, r5, cap5, dd, pe, sh in rows:
        cap = "n/a" if cap5 is None else f"{cap5 / 1e9:+,.1f}B"
        lines.append(f"| {t} | {close:,.2f} | {pct(r5)} | {cap} | {pct(dd)} | "
                     f"{'n/m' if pe is None else f'{pe:,.0f}'} | {sh or 'none'} |")
    return "\n".join(lines)
