"""Share counts that would move a market cap on their own are held until a later count confirms them.

Stored and incoming counts are on today's split basis, so a split explains no difference between two of them. A
count more than `max_change` away from the previous accepted one (NVDA's count 4.9% low made "NVDA lost $216B";
real counts move by a fraction of a percent a quarter) is held aside; the market caps keep using the earlier
count until a later count agrees with the held one (within `max_change`): then both are accepted. A later count
back at the earlier level makes the held one a one-off, kept aside in rejected_facts with the reason.
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


def confirm(
    incoming: pd.DataFrame, baseline: dict[str, tuple[dt.date, float]], held: pd.DataFrame, max_change: float
) -> Confirmation:
    """`incoming`: ticker, date, shares. `baseline`: per ticker the last stored count before its first incoming date.
    `held`: the counts held by earlier loads (they take part as if sent again)."""
    earlier = held[~held.set_index(["ticker", "date"]).index.isin(incoming.set_index(["ticker", "date"]).index)]
    counts = pd.concat(
        [incoming[["ticker", "date", "shares"]], earlier[["ticker", "date", "shares"]]], ignore_index=True
    ).sort_values(["ticker", "date"])
    accepted, still_held, one_offs = [], [], []
    for ticker, group in counts.groupby("ticker", sort=True):
        previous = baseline.get(ticker)
        candidate = None  # (date, shares, previous)
        for day, shares in zip(group["date"], group["shares"]):
            if previous is None or _near(shares, previous[1], max_change):
                if candidate is not None:
                    one_offs.append(_one_off(ticker, candidate, f"the next count ({day}) is back at the earlier level"))
                    candidate = None
                accepted.append((ticker, day, shares))
                previous = (day, shares)
            elif candidate is not None and _near(shares, candidate[1], max_change):
                accepted += [(ticker, candidate[0], candidate[1]), (ticker, day, shares)]
                previous, candidate = (day, shares), None
            else:
                if candidate is not None:
                    one_offs.append(_one_off(ticker, candidate, f"the next count ({day}) moved elsewhere"))
                candidate = (day, shares, previous)
        if candidate is not None:
            day, shares, before = candidate
            still_held.append((ticker, day, shares, before[0], before[1]))
    return Confirmation(
        pd.DataFrame(accepted, columns=["ticker", "date", "shares"]),
        pd.DataFrame(still_held, columns=HELD_COLUMNS),
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
