"""Unit tests of small decisions the end-to-end tests only pass through: escalation, which sessions are
notified, when fundamentals are fetched again, and the backtest's text report."""

import datetime as dt
from pathlib import Path
from unittest import mock

from pipelines import calendar
from pipelines.channels.notify import due_sessions
from pipelines.domain.backtest import format_text
from pipelines.domain.lifecycle import derive_transitions
from pipelines.rules import Finding
from pipelines.sources import ReplaySource, YFinanceSource
from pipelines.storage.store import fundamentals_due

DAYS = calendar.sessions(dt.date(2025, 11, 3), dt.date(2025, 11, 14))


def freeze_latest(day):
    """The clock's latest completed session, fixed."""
    return mock.patch.object(calendar, "latest_completed_session", lambda *a, **k: day)


def _finding(day, severity, value=-0.1):
    return Finding("stock_drop_5d", "AAA", day, severity, {"return_5d": value}, f"AAA {value:.0%} on {day}", "ai")


def test_a_rising_severity_escalates_at_once_and_a_steady_one_waits_for_the_repeat_interval():
    findings = [
        _finding(DAYS[0], "info"),
        _finding(DAYS[1], "info"),
        _finding(DAYS[2], "warning"),
        _finding(DAYS[3], "warning"),
        _finding(DAYS[4], "critical"),
        _finding(DAYS[5], "warning"),
    ]
    kinds = [
        (t.session, t.transition, t.severity)
        for t in derive_transitions(findings, DAYS[-1], resolve_after=2, repeat_every=3)
    ]
    assert kinds == [
        (DAYS[0], "open", "info"),
        (DAYS[2], "escalate", "warning"),
        (DAYS[4], "escalate", "critical"),
        (DAYS[7], "resolve", "critical"),
    ]


def test_live_nights_notify_only_the_latest_completed_session():
    start, end = DAYS[0], DAYS[4]
    live, replay = YFinanceSource(Path("unused")), ReplaySource(Path(__file__).parent)
    with freeze_latest(end):
        assert due_sessions(start, end, history=False, tonight=live.tonight(end)) == {end}
    # a live backfill of the past records its episodes and sends nothing
    with freeze_latest(DAYS[5]):
        assert due_sessions(start, end, history=False, tonight=live.tonight(end)) == set()
        assert due_sessions(start, end, history=False, tonight=replay.tonight(end)) == {end}
        assert due_sessions(start, end, history=True, tonight=live.tonight(end)) == set(DAYS[:5])


def test_fundamentals_are_fetched_again_only_when_missing_or_older_than_the_limit(tmp_path):
    from pipelines.storage import store

    con = store.connect(tmp_path / "mm.duckdb")
    store.prepare(con)
    now = dt.datetime(2025, 11, 14, 22, 0)
    for ticker, age in (("OLD", 8), ("NEW", 6), ("EDGE", 7)):
        con.execute(
            "INSERT INTO source_fetches (kind, ticker, source, fetched_at) VALUES ('fundamentals', ?, 'yfinance', ?)",
            [ticker, now - dt.timedelta(days=age)],
        )
    due = fundamentals_due(con, ["OLD", "NEW", "EDGE", "NEVER", "^IXIC"], "yfinance", 7, now)
    assert due == ["OLD", "NEVER"]  # an index has no fundamentals; exactly 7 days old is not yet due
    assert fundamentals_due(con, ["NEW"], "replay", 7, now) == ["NEW"]  # per source
    # each source's policy: live refreshes after fundamentals.refresh_after_days, a snapshot re-reads every run
    from pipelines.config import MonitorConfig

    assert YFinanceSource(tmp_path).fundamentals_max_age(MonitorConfig()) == 7
    assert ReplaySource(tmp_path).fundamentals_max_age(MonitorConfig()) == 0


def test_the_backtest_text_names_each_rule_its_episodes_and_peaks():
    report = {
        "start": "2025-11-03",
        "end": "2025-11-14",
        "sessions": 10,
        "baskets": {
            "ai": {
                "title": "AI leaders",
                "rules": {
                    "sector_selloff": {
                        "episodes": 1,
                        "sessions_held": 2,
                        "list": [
                            {
                                "subject": "WATCHLIST",
                                "first": "2025-11-06",
                                "last": "2025-11-07",
                                "sessions_held": 2,
                                "severity": "critical",
                                "peak_session": "2025-11-06",
                                "message": "AI leaders sell-off: lost $573B",
                            }
                        ],
                    },
                    "benchmark_drop": {"episodes": 0, "sessions_held": 0, "list": []},
                },
            }
        },
    }
    assert format_text(report).splitlines() == [
        "Backtest 2025-11-03 .. 2025-11-14 (10 sessions)",
        "",
        "== basket ai: AI leaders",
        "",
        "sector_selloff: 1 episode(s), 2 session(s) held",
        "  2025-11-06 .. 2025-11-07 WATCHLIST (2 held, critical); peak 2025-11-06: AI leaders sell-off: lost $573B",
        "",
        "benchmark_drop: 0 episode(s), 0 session(s) held",
    ]


def test_fundamentals_refreshes_spread_over_the_nights_of_the_period(tmp_path):
    """Fourteen names fetched on one night, refreshed every 7 days: two a night from then on, never all on one
    night again, and none older than the limit."""
    from pipelines.storage import store

    con = store.connect(tmp_path / "mm.duckdb")
    store.prepare(con)
    names = [f"N{i:02d}" for i in range(14)]
    first = dt.datetime(2025, 11, 3, 22, 0)
    fetched = dict.fromkeys(names, first)
    per_night = []
    for night in range(1, 22):
        now = first + dt.timedelta(days=night)
        con.execute("DELETE FROM source_fetches")
        con.executemany(
            "INSERT INTO source_fetches (kind, ticker, source, fetched_at) VALUES ('fundamentals', ?, 'yfinance', ?)",
            list(fetched.items()),
        )
        due = fundamentals_due(con, [*names, "^IXIC"], "yfinance", 7, now)
        per_night.append(len(due))
        fetched.update(dict.fromkeys(due, now))
        assert max(now - t for t in fetched.values()) <= dt.timedelta(days=7)
    assert per_night == [2] * 21
