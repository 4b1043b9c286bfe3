"""Is tonight in? The session every daily asset must hold once its deadline has passed.

Dagster's FreshnessPolicy looks only at when *any* partition was last written, so a backfill of 2025 made it
green while tonight was missing; and a time-partition freshness check counts a session's window as ending at the
next midnight (a Friday's on Monday). This asks the question ops mean: is the latest NYSE session whose deadline
(`schedule.fresh_by_cron`, 21:00 New York) has passed materialized? Holidays and weekends are not sessions, so
they are never stale.
"""

from __future__ import annotations

import datetime as dt

from pipelines import calendar


def due_session(now: dt.datetime, deadline_cron: str, timezone: str) -> dt.date:
    """The newest session whose deadline (the first deadline_cron tick at or after its close) is not after now."""
    from dagster._utils.schedules import cron_string_iterator  # the same cron semantics as the schedule

    now = now.astimezone(calendar.NEW_YORK)
    day = now.date()
    if not calendar.is_session(day):
        day = calendar.previous_session(day)
    for _ in range(10):
        close = calendar.session_close(day)
        deadline = next(cron_string_iterator(close.timestamp(), deadline_cron, timezone))
        if deadline <= now:
            return day
        day = calendar.previous_session(day)
    return day


FETCHED_NOTHING = "fetched_nothing"  # materialization metadata: the run stored nothing (every source call failed)


def describe(due: dt.date, materialized: set[str], fetched_nothing: str | None = None) -> tuple[bool, str]:
    """(passed, what ops read) for an asset whose materialized session partitions are `materialized`;
    `fetched_nothing`: why the due session's materialization stored nothing, when it did."""
    if due.isoformat() in materialized and fetched_nothing:
        return (
            False,
            f"stale: {due}, the latest session due, was materialized by a run that fetched nothing ({fetched_nothing})",
        )
    if due.isoformat() in materialized:
        return True, f"{due}, the latest session due, is in"
    newest = max(materialized) if materialized else "none"
    return False, f"stale: {due}, the latest session due, is not materialized (newest session in: {newest})"


def now() -> dt.datetime:
    """The clock the freshness checks read (a seam for tests)."""
    return dt.datetime.now(dt.UTC)
