import datetime as dt

from pipelines import calendar
from pipelines.domain.episodes import build_episodes
from pipelines.rules import Finding

D = dt.date


def finding(day, rule="stock_drop_5d", subject="NVDA", severity="warning", r5=-0.1):
    return Finding(rule, subject, day, severity, {"return_5d": r5}, "msg", "ai")


def test_a_one_session_gap_stays_one_episode_and_resolves_after_two_quiet_sessions():
    days = calendar.sessions("2025-11-03", "2025-11-14")
    held = [days[0], days[1], days[3], days[4]]  # quiet on days[2] only
    eps = build_episodes([finding(d, r5=-0.1 - i / 100) for i, d in enumerate(held)], days[-1], resolve_after=2)
    assert len(eps) == 1
    ep = eps[0]
    assert (ep.first, ep.last, len(ep.findings)) == (days[0], days[4], 4)
    assert ep.resolved_on == days[6]  # quiet on days[5] and days[6]
    assert ep.peak.as_of == days[4]


def test_a_longer_gap_opens_a_new_episode_and_the_last_stays_open():
    days = calendar.sessions("2025-11-03", "2025-11-14")
    eps = build_episodes([finding(days[0]), finding(days[4])], days[5], resolve_after=2)
    assert [(e.first, e.resolved_on) for e in eps] == [(days[0], days[2]), (days[4], None)]


def test_episodes_count_sessions_not_days_across_a_weekend_and_holiday():
    # Wed 2024-07-03, holiday 07-04, Fri 07-05: two sessions apart, so with resolve_after=2 one episode
    eps = build_episodes([finding(D(2024, 7, 3)), finding(D(2024, 7, 8))], D(2024, 7, 31), resolve_after=2)
    assert len(eps) == 1 and eps[0].resolved_on == D(2024, 7, 10)


def test_subjects_and_rules_are_separate_and_severity_is_the_highest():
    day = D(2025, 11, 7)
    eps = build_episodes(
        [
            finding(day),
            finding(day, subject="AMD"),
            finding(day, rule="sector_selloff", subject="WATCHLIST", severity="critical"),
        ],
        day,
        resolve_after=2,
    )
    assert {(e.rule, e.subject) for e in eps} == {
        ("stock_drop_5d", "NVDA"),
        ("stock_drop_5d", "AMD"),
        ("sector_selloff", "WATCHLIST"),
    }
    assert {e.severity for e in eps if e.rule == "sector_selloff"} == {"critical"}
