"""Share counts that would move a market cap on their own are held until a later count confirms them.

Stored and incoming counts are on today's split basis, so a split explains no difference between two of them. A
count more than `max_change` away from the previous accepted one (NVDA's count 4.9% low made "NVDA lost $216B";
real counts move by a fraction of a percent a quarter) is held aside; the market caps keep using the earlier
count until a later count agrees with the held one (within `max_change`): then both are accepted. A later count
back at the earlier level makes the held one a one-off, kept aside in rejected_facts with the reason. A count that
contradicts the stored count of its own date (a history resent rescaled) is held too, and confirms nothing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

HELD_COLUMNS = ["ticker", "date", "shares", "previous_date", "previous_shares"]
ONE_OFF_COLUMNS = ["ticker", "date", "value", "reason"]


@dataclass
class Confirmation:
    accepted: pd.DataFrame  # ticker, date, shares: to store
    held: pd.DataFrame  # HELD_COLUMNS: waiting for a later count
    one_offs: pd.DataFrame  # ONE_OFF_COLUMNS: held counts a later one did not confirm


def _near(a: float, b: float, max_change: float) -> bool:
    return abs(a / b - 1) <= max_change


def confirm(incoming: pd.DataFrame, stored: pd.DataFrame, held: pd.DataFrame, max_change: float) -> Confirmation:
    """`incoming`: ticker, date, shares. `stored`: ticker, date, shares of the accepted counts from the last one before
    each ticker's first incoming date on. `held`: the counts held by earlier loads (they take part as if sent again).

    A count is compared with the stored count of its own date when there is one, else with the last count before
    it. A count that contradicts the stored one of its date is held against it, and while a ticker's load holds
    such a count, nothing of that load confirms a held count: Yahoo resending a whole history rescaled (in
    thousands) must not confirm itself and overwrite a year of counts."""
    earlier = held[~held.set_index(["ticker", "date"]).index.isin(incoming.set_index(["ticker", "date"]).index)]
    counts = pd.concat(
        [incoming[["ticker", "date", "shares"]], earlier[["ticker", "date", "shares"]]], ignore_index=True
    ).sort_values(["ticker", "date"])
    known = {t: dict(zip(g["date"], g["shares"])) for t, g in stored.groupby("ticker")}
    accepted, still_held, one_offs = [], [], []
    for ticker, group in counts.groupby("ticker", sort=True):
        anchors = known.get(ticker, {})
        rows = list(zip(group["date"], group["shares"]))
        contradicted = {d for d, n in rows if d in anchors and not _near(n, anchors[d], max_change)}
        before = [d for d in anchors if d < rows[0][0]]
        previous = (max(before), anchors[max(before)]) if before else None
        candidates: list[tuple] = []  # (date, shares, previous) held so far, oldest first
        for day, shares in rows:
            if day in contradicted:  # the stored count of that date stays in force
                still_held.append((ticker, day, shares, day, anchors[day]))
                previous = (day, anchors[day])
            elif previous is None or _near(shares, previous[1], max_change):
                one_offs += [
                    _one_off(ticker, c, f"the next count ({day}) is back at the earlier level") for c in candidates
                ]
                candidates = []
                accepted.append((ticker, day, shares))
                previous = (day, shares)
            elif candidates and _near(shares, candidates[-1][1], max_change):
                if contradicted:  # agreeing counts of a load that contradicts stored ones confirm nothing
                    candidates.append((day, shares, previous))
                    continue
                accepted += [(ticker, c[0], c[1]) for c in candidates] + [(ticker, day, shares)]
                previous, candidates = (day, shares), []
            else:
                one_offs += [_one_off(ticker, c, f"the next count ({day}) moved elsewhere") for c in candidates]
                candidates = [(day, shares, previous)]
        still_held += [(ticker, day, shares, *before_count) for day, shares, before_count in candidates]
    return Confirmation(
        pd.DataFrame(accepted, columns=["ticker", "date", "shares"]),
        pd.DataFrame(still_held, columns=HELD_COLUMNS).sort_values(["ticker", "date"], ignore_index=True),
        pd.DataFrame(one_offs, columns=ONE_OFF_COLUMNS),
    )


def _one_off(ticker: str, candidate: tuple, why: str) -> tuple:
    day, shares, (before_day, before) = candidate
    return (
        ticker,
        day,
        f"shares={shares:.0f}",
        f"{shares / before - 1:+.1%} against {before:.4g} on {before_day}, never confirmed: {why}",
    )


def describe(ticker: str, day: dt.date, shares: float, previous_date: dt.date, previous_shares: float) -> str:
    return (
        f"{ticker} {day}: {shares:.4g} shares held ({shares / previous_shares - 1:+.1%} against "
        f"{previous_shares:.4g} on {previous_date}, no split explains it); market caps use the earlier count "
        "until a later count confirms it"
    )
