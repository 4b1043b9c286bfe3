"""How unusual tonight's sector loss is: its rank among the stored sessions, the previous episodes and what the
basket did after them. Every figure is read from the analysts' views basket_history and episode_history."""

from __future__ import annotations

import datetime as dt
import statistics
from dataclasses import dataclass

from pipelines.fmt import pct, usd
from pipelines.sqlfiles import sql

MIN_EPISODES = 3  # fewer past episodes than this: say so instead of a median
EPISODES_LISTED = 6  # the newest ones by name; the statistics use all of them
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


def _episode(e: dict) -> str:
    span = f"{e['opened_on']}" if e["opened_on"] == e["last_session"] else f"{e['opened_on']}..{e['last_session']}"
    return (
        f"{span}: peak {pct(e['peak_cap_return_5d'])} ({usd(e['peak_cap_change_5d'])}) on {e['peak_session']}, "
        f"{e['peak_names_down']} of {e['peak_constituents']} names down"
    )


def ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def lines(h: SectorHistory) -> list[str]:
    """The digest's history section, one line per point (mrkdwn)."""
    worst = "the worst stored" if h.loss_rank == 1 else f"the {ordinal(h.loss_rank)} worst"
    since = (
        f"the worst since {h.worst_since} (the last session as bad before this episode's run-up)"
        if h.worst_since
        else "nothing as bad is stored before this episode"
    )
    out = [
        f"*How unusual:* {pct(h.cap_return_5d)} over 5 sessions is {worst} of {h.sessions_to_date} sessions "
        f"stored since {h.first_stored} (worse than {h.worse_than_share:.0%} of them); {since}."
    ]
    if not h.previous:
        out.append("*Previous episodes:* none stored before this one.")
        return out
    shown = "; ".join(_episode(e) for e in h.previous[:EPISODES_LISTED])
    more = f"; and {len(h.previous) - EPISODES_LISTED} earlier" if len(h.previous) > EPISODES_LISTED else ""
    out.append(f"*Previous episodes ({len(h.previous)}):* {shown}{more}.")
    after = []
    for horizon in HORIZONS:
        values = h.after(horizon)
        if len(values) < MIN_EPISODES:
            after.append(
                f"{horizon} sessions after the peak: fewer than {MIN_EPISODES} past episodes with "
                f"{horizon} sessions since ({len(values)}), no statistic"
            )
        else:
            after.append(
                f"{horizon} sessions after the peak: median {pct(statistics.median(values))}, worst "
                f"{pct(min(values))} ({len(values)} episodes)"
            )
    out.append("*What followed (basket):* " + "; ".join(after) + ".")
    return out
