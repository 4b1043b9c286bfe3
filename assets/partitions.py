"""One partition per NYSE trading session."""

from __future__ import annotations

import datetime as dt

import dagster as dg

from pipelines import calendar


def session_partitions(start: dt.date) -> dg.TimeWindowPartitionsDefinition:
    # Weekday windows minus NYSE holidays. end_offset=1: a session's partition exists from its own midnight,
    # so the 18:30 run can materialize tonight's session (a Friday window otherwise ends Monday 00:00).
    holidays = calendar.holidays(start, calendar.nyse().last_session)
    return dg.TimeWindowPartitionsDefinition(
        start=start.isoformat(),
        fmt="%Y-%m-%d",
        cron_schedule="0 0 * * 1-5",
        timezone="America/New_York",
        end_offset=1,
        exclusions=[dt.datetime(d.year, d.month, d.day) for d in holidays],
    )


def session_range(context: dg.AssetExecutionContext) -> tuple[dt.date, dt.date]:
    """The first and last session a (single-run) materialization covers."""
    keys = context.partition_key_range
    return dt.date.fromisoformat(keys.start), dt.date.fromisoformat(keys.end)
