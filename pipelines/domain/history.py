"""How unusual tonight's sector loss is: its rank among the stored sessions, the previous episodes and what the
basket did after them. Every figure is read from the analysts' views basket_history and episode_history."""

from __future__ import annotations

import datetime as dt
import statistics
from dataclasses import dataclass

from pipelines.fmt import pct, plural, usd
from pipelines.sqlfiles import sql

MIN_EPISODES = 3  # fewer past episodes than this: say so instead of a median
HORIZONS = (5, 20)


@dataclass(frozen=True)
class SectorHistory:
    session: dt.date
    cap_return_5d: float
    loss_rank: int
    sessions_to_date: int
    first_stored: dt.date
    worse_than_share: float
    worst_since: dt.date | None  # the last session at least as bad, its window ending before this episode's began
    previous: list[dict]  # previous episodes, newest first (sql/alerts/previous_episodes.sql)

    def after(self, horizon: int) -> list[float]:
        return [e[f"return_after_{horizon}"] for e in self.previous if e[f"return_after_{horizon}"] is not None]


def sector_history(con, basket: str, rule: str, session: dt.date, opened_on: dt.date) -> SectorHistory | None:
    """None when the session has no 5-session basket change to rank."""
    row = con.execute(sql("alerts/basket_on"), {"basket": basket, "session": session, "before": opened_on}).fetchall()
    if not row or row[0][0] is None:
        return None
    r5, _cap, rank, n, first, share, since = row[0]
    params = {"basket": basket, "rule": rule, "session": session, "before": opened_on}
    cur = con.execute(sql("alerts/previous_episodes"), params)
    cols = [d[0] for d in cur.description]
    previous = [dict(zip(cols, r)) for r in cur.fetchall()]
    return SectorHistory(session, r5, rank, n, first, share, since, previous)


def _span(e: dict) -> str:
    return f"{e['opened_on']}" if e["opened_on"] == e["last_session"] else f"{e['opened_on']}..{e['last_session']}"


def ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def lines(h: SectorHistory) -> list[str]:
    """The digest's history section: at most three short lines (mrkdwn), each figure from basket_history or
    episode_history."""
    worst = "the worst" if h.loss_rank == 1 else f"the {ordinal(h.loss_rank)} worst"
    since = f"the worst since {h.worst_since}" if h.worst_since else "nothing as bad stored before this episode"
    out = [
        f"*How unusual:* {pct(h.cap_return_5d)} over 5 sessions is {worst} of {h.sessions_to_date} sessions stored "
        f"since {h.first_stored} (worse than {h.worse_than_share:.0%}); {since}."
    ]
    if not h.previous:
        out.append("*Before:* no earlier episode stored.")
        return out
    last = h.previous[0]
    out.append(
        f"*Before:* {plural(len(h.previous), 'episode')} stored; the last {_span(last)}, peak "
        f"{pct(last['peak_cap_return_5d'])} ({usd(last['peak_cap_change_5d'])}) on {last['peak_session']}."
    )
    after = []
    for horizon in HORIZONS:
        values = h.after(horizon)
        if len(values) < MIN_EPISODES:
            after.append(f"after {horizon} sessions too few episodes for a statistic ({len(values)})")
        else:
            after.append(
                f"after {horizon} sessions median {pct(statistics.median(values))} "
                f"(worst {pct(min(values))}, {len(values)} episodes)"
            )
    out.append("*What followed them (basket, from each peak):* " + "; ".join(after) + ".")
    return out
