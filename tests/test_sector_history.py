"""The sector digest's history section: its wording when there is too little history for a statistic, and on a
first episode through the real notify path."""

import datetime as dt

from pipelines.domain.history import SectorHistory, lines
from tests.support.scenario import nightly


def _episode(opened: str, r5: float | None, r20: float | None) -> dict:
    day = dt.date.fromisoformat(opened)
    return {
        "opened_on": day,
        "last_session": day,
        "peak_session": day,
        "peak_cap_return_5d": -0.08,
        "peak_cap_change_5d": -4e11,
        "peak_names_down": 5,
        "peak_constituents": 6,
        "return_after_5": r5,
        "return_after_20": r20,
    }


def _history(previous: list[dict]) -> SectorHistory:
    return SectorHistory(dt.date(2025, 11, 7), -0.07, 1, 400, dt.date(2024, 1, 9), 1.0, None, previous)


def test_fewer_than_three_past_episodes_give_no_statistic():
    text = "\n".join(lines(_history([_episode("2025-04-16", 0.12, None), _episode("2025-03-31", -0.02, None)])))
    assert "is the worst of 400 sessions stored since 2024-01-09" in text
    assert "nothing as bad stored before this episode" in text
    assert "*Before:* 2 episodes stored; the last 2025-04-16, peak -8.0% (-$400.0B) on 2025-04-16." in text
    assert "after 5 sessions too few episodes for a statistic (2)" in text
    assert "after 20 sessions too few episodes for a statistic (0)" in text
    assert "median" not in text and len(text.splitlines()) == 3


def test_three_past_episodes_give_median_and_worst_with_their_count():
    text = "\n".join(
        lines(
            _history(
                [
                    _episode("2025-04-16", 0.12, 0.3),
                    _episode("2025-03-31", -0.02, 0.1),
                    _episode("2025-01-14", 0.05, None),
                ]
            )
        )
    )
    assert "after 5 sessions median +5.0% (worst -2.0%, 3 episodes)" in text
    assert "after 20 sessions too few episodes for a statistic (2)" in text


def test_a_first_episode_says_there_is_none_before_it(crash):
    report = nightly(crash, crash.days[10], None)
    [text] = [
        crash.con.execute("SELECT text FROM outbox WHERE notification_id = ?", [n]).fetchall()[0][0]
        for n in report.queued
    ]
    assert "How unusual: -8.0% over 5 sessions is the worst of" in text
    assert "Before: no earlier episode stored." in text
