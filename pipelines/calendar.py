"""NYSE trading sessions (exchange_calendars XNYS): every window in the project counts these."""

from __future__ import annotations

import datetime as dt
from bisect import bisect_left, bisect_right
from functools import lru_cache
from zoneinfo import ZoneInfo

import exchange_calendars as xc
import pandas as pd

NEW_YORK = ZoneInfo("America/New_York")
SESSIONS_52W = 252  # "52 weeks" in sessions: the drawdown_52w window, and the warm-up a new symbol is fetched with
# A quarter is announced within this many days of its end (10-K deadline: 60; the next quarter's announcement comes
# 90+ days after): an announcement further away is another quarter's, never this one's.
ANNOUNCED_WITHIN_DAYS = 75


@lru_cache(maxsize=1)
def nyse() -> xc.ExchangeCalendar:
    # From 1990: enough history for backfills and benchmarks (the library defaults to the last 20 years).
    return xc.get_calendar("XNYS", start="1990-01-02")


def _ts(day: dt.date | str) -> pd.Timestamp:
    return pd.Timestamp(day).normalize()


def _date(day: dt.date | str) -> dt.date:
    if isinstance(day, dt.datetime) or not isinstance(day, dt.date):
        return pd.Timestamp(day).date()
    return day


# The calendar's sessions held once as dates: the door checks every stored bar (a two-year, 500-name backfill:
# 240,000 of them) and the lifecycle asks for session ranges thousands of times a night.
@lru_cache(maxsize=1)
def _session_list() -> tuple[dt.date, ...]:
    return tuple(d.date() for d in nyse().sessions)


@lru_cache(maxsize=1)
def _session_dates() -> frozenset[dt.date]:
    return frozenset(_session_list())


def is_session(day: dt.date | str) -> bool:
    return _date(day) in _session_dates()


def sessions(start: dt.date | str, end: dt.date | str) -> list[dt.date]:
    """Sessions in [start, end], both ends included when they are sessions."""
    first, last = _date(start), _date(end)
    if first > last:
        return []
    days = _session_list()
    if first < days[0] or last > days[-1]:  # beyond the calendar: the library says so
        return [d.date() for d in nyse().sessions_in_range(_ts(start), _ts(end))]
    return list(days[bisect_left(days, first) : bisect_right(days, last)])


def all_sessions() -> list[dt.date]:
    return list(_session_list())


def sessions_back(day: dt.date | str, n: int) -> dt.date:
    """The session n sessions before `day` (day itself when n == 0; day must be a session)."""
    cal = nyse()
    return cal.session_offset(_ts(day), -n).date()


def previous_session(day: dt.date | str) -> dt.date:
    """The latest session strictly before `day`, which need not be a session."""
    return nyse().date_to_session(_ts(day) - pd.Timedelta(days=1), direction="previous").date()


def holidays(start: dt.date | str, end: dt.date | str) -> list[dt.date]:
    """Weekdays in [start, end] that are not sessions: Dagster partition exclusions."""
    weekdays = pd.bdate_range(_ts(start), _ts(end))
    open_days = set(nyse().sessions_in_range(_ts(start), _ts(end)))
    return [d.date() for d in weekdays if d not in open_days]


def latest_completed_session(now: dt.datetime | None = None, settle_minutes: int = 30) -> dt.date:
    """The newest session whose close (plus a settling margin for the data) has passed."""
    now = now or dt.datetime.now(tz=NEW_YORK)
    cal = nyse()
    today = _ts(now.astimezone(NEW_YORK).date())
    if cal.is_session(today):
        close = cal.session_close(today) + pd.Timedelta(minutes=settle_minutes)
        if pd.Timestamp(now) >= close:
            return today.date()
    return previous_session(today)


def session_close(day: dt.date | str) -> dt.datetime:
    """When the session closed (early closes included), timezone-aware."""
    return nyse().session_close(_ts(day)).to_pydatetime()
