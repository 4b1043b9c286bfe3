"""The ops chart of a basket: its last ~60 sessions and each name's, thresholds drawn, alerts marked."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import io
from collections import OrderedDict

import matplotlib.dates as mdates
import pandas as pd
from matplotlib.figure import Figure  # not pyplot: no global figure state, no display backend on servers

from pipelines import calendar
from pipelines.config import Basket, MonitorConfig
from pipelines.fmt import pct, pe_text
from pipelines.rules import HEADLINE, chart_lines
from pipelines.sqlfiles import sql

NAMES_DRAWN = 10  # the names that fell most by the last session; a 500-name watchlist stays readable
# A night draws the same chart twice (the alerts asset's metadata, then the Slack digest's thread): the PNG is
# kept by what it was drawn from, so a chart is drawn again only when its data or thresholds changed.
_DRAWN: OrderedDict[str, bytes] = OrderedDict()
_DRAWN_KEPT = 48  # ~100 KiB each: every basket's chart of a night is drawn once, for the UI and the digest


def _limits(values, thresholds: list[float], trim: float = 0.0, cap: float = 40.0) -> tuple[float, float]:
    """y range from the data (without its `trim` share of extremes at each end) and the thresholds, clipped at
    ±cap: one ±40% spike must not flatten everything else; what is cut off runs off the panel's edge."""
    finite = sorted(v for v in values if v == v)
    if not finite:
        return -cap / 4, cap / 4
    k = int(len(finite) * trim)
    lo, hi = min(finite[k], *thresholds), max(finite[len(finite) - 1 - k], 0.0)
    pad = (hi - lo) * 0.06 + 0.5
    return max(lo - pad, -cap), min(hi + pad, cap)


def watchlist_chart(con, basket: Basket, end: dt.date, sessions: int = 60) -> bytes | None:
    last = end if calendar.is_session(end) else calendar.previous_session(end)
    start = calendar.sessions_back(last, sessions - 1)
    window = {"start": start, "end": end}
    watch = con.execute(sql("charts/watchlist"), {**window, "basket": basket.name}).df()
    if watch.empty or watch[["cap_return_5d", "benchmark_return_5d"]].isna().all().all():
        return None  # never empty axes
    names = con.execute(sql("charts/names"), {**window, "tickers": basket.tickers}).df()
    alerts = con.execute(sql("charts/alert_sessions"), {**window, "basket": basket.name}).df()
    thresholds = chart_lines(basket)  # every rule's lines, with this basket's settings
    key = _key(start, end, basket.title, basket.benchmark, thresholds, watch, names, alerts)
    if key not in _DRAWN:
        _DRAWN[key] = _draw(start, end, basket.title, basket.benchmark, thresholds, watch, names, alerts)
        while len(_DRAWN) > _DRAWN_KEPT:
            _DRAWN.popitem(last=False)
    return _DRAWN[key]


def _key(*parts) -> str:
    digest = hashlib.sha256()
    for part in parts:
        if isinstance(part, pd.DataFrame):
            digest.update(",".join(part.columns).encode())
            digest.update(pd.util.hash_pandas_object(part, index=False).values.tobytes())
        else:
            digest.update(repr(part).encode())
        digest.update(b"|")
    return digest.hexdigest()


def _draw(
    start: dt.date,
    end: dt.date,
    title: str,
    benchmark: str,
    thresholds: list[tuple[str, str, float]],
    watch: pd.DataFrame,
    names: pd.DataFrame,
    alerts: pd.DataFrame,
) -> bytes:
    final = names[names["date"] == names["date"].max()].sort_values("return_5d")
    drawn = list(final["ticker"][:NAMES_DRAWN])
    fig = Figure(figsize=(11, 6.5), dpi=90)
    # fixed margins, the legends in the right-hand fifth: bbox_inches="tight" drew every chart twice to measure it
    fig.subplots_adjust(left=0.07, right=0.8, top=0.94, bottom=0.1, hspace=0.18)
    top, bottom = fig.subplots(2, 1, sharex=True)
    panel = {"basket": top, "names": bottom}
    top.plot(watch["date"], watch["cap_return_5d"] * 100, label=f"{title} market cap", color="black", lw=1.8)
    top.plot(watch["date"], watch["benchmark_return_5d"] * 100, label=benchmark, color="tab:blue")
    for ticker in drawn:
        frame = names[names["ticker"] == ticker]
        bottom.plot(frame["date"], frame["return_5d"] * 100, label=ticker, lw=1.2)
    styles = iter([("red", "--"), ("tab:blue", ":"), ("red", "--"), ("grey", "-.")])
    for where, label, value in thresholds:
        color, style = next(styles, ("grey", ":"))
        panel[where].axhline(value * 100, color=color, ls=style, lw=1, label=label)
    top.set_ylim(
        *_limits(
            list(watch["cap_return_5d"] * 100) + list(watch["benchmark_return_5d"] * 100),
            [v * 100 for where, _l, v in thresholds if where == "basket"],
        )
    )
    bottom.set_ylim(
        *_limits(
            list(names.loc[names["ticker"].isin(drawn), "return_5d"] * 100),
            [v * 100 for where, _l, v in thresholds if where == "names"],
            trim=0.01,
        )
    )
    banded = HEADLINE.name
    for day in sorted(set(alerts.loc[alerts["rule"] == banded, "as_of"])):
        for ax in (top, bottom):
            ax.axvspan(day, day, color="red", alpha=0.25, lw=6)
    for ax in (top, bottom):
        ax.set_ylabel("% over 5 sessions", fontsize=10)
        ax.grid(axis="y", alpha=0.3)
        ax.axhline(0, color="grey", lw=0.6)
        ax.margins(x=0.01)
        ax.legend(fontsize=9, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)  # outside the data
    more = len(final) - len(drawn)
    which = f"the {len(drawn)} that fell most; {more} more in the table" if more else f"all {len(drawn)}"
    bottom.set_title(f"names, 5 sessions ({which})", fontsize=10, loc="left")
    top.set_title(
        f"market-monitor {start} .. {end}: {title} and {benchmark}, 5 sessions (red bands: {banded} sessions)",
        fontsize=10,
        loc="left",
    )
    bottom.xaxis.set_major_formatter(mdates.DateFormatter("%m-%d"))
    bottom.set_xticks(sorted({*bottom.get_xticks()[:-1], mdates.date2num(watch["date"].iloc[-1])}))
    fig.autofmt_xdate(rotation=30)
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def as_markdown_image(png: bytes | None, alt: str = "chart") -> str:
    """Dagster has no image metadata type: an inline data URL in markdown renders in the UI."""
    if not png:
        return "_no data to chart_"
    return f"![{alt}](data:image/png;base64,{base64.b64encode(png).decode()})"


def names_markdown(con, cfg: MonitorConfig, day: dt.date) -> str:
    rows = con.execute(sql("charts/names_table"), {"day": day, "symbols": cfg.symbols}).fetchall()

    lines = [
        "| name | close | 5 sessions | 5-session $ | from 52w high | P/E | shares as of |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for t, close, r5, cap5, dd, pe, sh, eps in rows:
        cap = "n/a" if cap5 is None else f"{cap5 / 1e9:+,.1f}B"
        lines.append(
            f"| {t} | {close:,.2f} | {pct(r5)} | {cap} | {pct(dd)} | {pe_text(pe, eps, ',.0f')} | {sh or 'none'} |"
        )
    return "\n".join(lines)
