"""Share counts held until confirmed: the rule alone, then at the store's door across loads."""

import datetime as dt

import pandas as pd
import pytest

from pipelines.storage import share_counts, store
from pipelines.storage.share_counts import HELD_COLUMNS

D = dt.date
NOW = dt.datetime(2025, 11, 7, 23, 0)


def counts(*rows):
    return pd.DataFrame(rows, columns=["ticker", "date", "shares"])


NO_HELD = pd.DataFrame(columns=HELD_COLUMNS)


def test_a_count_far_from_the_previous_is_held_and_caps_keep_the_previous():
    out = share_counts.confirm(
        counts(("NVDA", D(2025, 11, 5), 23.11e9)), counts(("NVDA", D(2025, 10, 26), 24.305e9)), NO_HELD, 0.02
    )
    assert out.accepted.empty and out.one_offs.empty
    assert out.held.values.tolist() == [["NVDA", D(2025, 11, 5), 23.11e9, D(2025, 10, 26), 24.305e9]]


def test_small_moves_pass_and_a_later_count_at_the_new_level_confirms_the_held_one():
    out = share_counts.confirm(
        counts(("NVDA", D(2025, 10, 1), 24.30e9), ("NVDA", D(2025, 10, 2), 26.0e9), ("NVDA", D(2025, 10, 3), 26.1e9)),
        counts(),
        NO_HELD,
        0.02,
    )
    assert out.accepted["date"].tolist() == [D(2025, 10, 1), D(2025, 10, 2), D(2025, 10, 3)]
    assert out.held.empty and out.one_offs.empty


def test_a_count_followed_by_the_old_level_is_a_one_off():
    out = share_counts.confirm(
        counts(("META", D(2025, 1, 1), 2.52e9), ("META", D(2025, 1, 2), 2.18e9), ("META", D(2025, 1, 3), 2.521e9)),
        counts(),
        NO_HELD,
        0.02,
    )
    assert out.accepted["date"].tolist() == [D(2025, 1, 1), D(2025, 1, 3)]
    assert out.one_offs["date"].tolist() == [D(2025, 1, 2)]
    assert (
        "-13.5% against 2.52e+09 on 2025-01-01, never confirmed: the next count (2025-01-03) is back"
        in out.one_offs["reason"][0]
    )


def test_a_history_resent_rescaled_contradicts_the_stored_counts_and_confirms_nothing():
    """Yahoo sends NVDA's counts in thousands, including a new date: every resent count is held against the stored
    count of its date, and the new one (agreeing with the rescaled ones) is held too, not confirmed by them."""
    stored = counts(("NVDA", D(2025, 7, 27), 24.347e9), ("NVDA", D(2025, 10, 26), 24.305e9))
    resent = counts(
        ("NVDA", D(2025, 7, 27), 24.347e6), ("NVDA", D(2025, 10, 26), 24.305e6), ("NVDA", D(2025, 11, 5), 24.3e6)
    )
    out = share_counts.confirm(resent, stored, NO_HELD, 0.02)
    assert out.accepted.empty and out.one_offs.empty
    assert out.held.values.tolist() == [
        ["NVDA", D(2025, 7, 27), 24.347e6, D(2025, 7, 27), 24.347e9],
        ["NVDA", D(2025, 10, 26), 24.305e6, D(2025, 10, 26), 24.305e9],
        ["NVDA", D(2025, 11, 5), 24.3e6, D(2025, 10, 26), 24.305e9],
    ]


@pytest.fixture
def con(tmp_path):
    c = store.connect(tmp_path / "mm.duckdb")
    store.prepare(c)
    yield c
    c.close()


def _store(con, frame, when=NOW):
    return store.store_fundamentals(
        con,
        frame,
        pd.DataFrame(columns=["ticker", "period_end", "reported_date", "eps_diluted"]),
        sorted(set(frame["ticker"])),
        "yfinance",
        when,
        max_share_change=0.02,
    )


def test_held_counts_wait_across_loads_until_a_later_count_confirms_them(con):
    _store(con, counts(("NVDA", D(2025, 10, 26), 24.305e9)))
    out = _store(con, counts(("NVDA", D(2025, 10, 26), 24.305e9), ("NVDA", D(2025, 11, 5), 23.11e9)))
    assert out["shares_rows"] == 1 and "NVDA 2025-11-05: 2.311e+10 shares held (-4.9% against" in out["rejected"][0]
    assert con.execute("SELECT date FROM shares_outstanding").fetchall() == [(D(2025, 10, 26),)]
    assert con.execute("SELECT date, previous_date FROM shares_held").fetchall() == [(D(2025, 11, 5), D(2025, 10, 26))]
    # the next load sends only a later count at the new level: the held one is confirmed with it
    _store(con, counts(("NVDA", D(2025, 11, 12), 23.12e9)), NOW + dt.timedelta(days=7))
    assert [d for (d,) in con.execute("SELECT date FROM shares_outstanding ORDER BY date").fetchall()] == [
        D(2025, 10, 26),
        D(2025, 11, 5),
        D(2025, 11, 12),
    ]
    assert con.execute("SELECT count(*) FROM shares_held").fetchone() == (0,)


def test_a_held_count_the_next_load_contradicts_is_kept_aside_as_a_one_off(con):
    _store(con, counts(("NVDA", D(2025, 10, 26), 24.305e9), ("NVDA", D(2025, 11, 5), 23.11e9)))
    _store(con, counts(("NVDA", D(2025, 11, 12), 24.30e9)), NOW + dt.timedelta(days=7))
    assert con.execute("SELECT count(*) FROM shares_held").fetchone() == (0,)
    assert con.execute("SELECT kind, date FROM rejected_facts").fetchall() == [("shares", D(2025, 11, 5))]
    assert [d for (d,) in con.execute("SELECT date FROM shares_outstanding ORDER BY date").fetchall()] == [
        D(2025, 10, 26),
        D(2025, 11, 12),
    ]


def _with_averages(con, frame, averages, when=NOW):
    return store.store_fundamentals(
        con,
        frame,
        pd.DataFrame(columns=["ticker", "period_end", "reported_date", "eps_diluted"]),
        sorted(set(frame["ticker"]) | set(averages["ticker"])),
        "replay",
        when,
        max_share_change=0.02,
        average_shares=averages,
    )


def _stored(con, ticker):
    return con.execute(
        "SELECT date, shares, measure FROM shares_outstanding WHERE ticker = ? ORDER BY date", [ticker]
    ).fetchall()


def test_quarter_averages_fill_only_the_dates_before_the_first_count_marked_as_such(con):
    averages = counts(
        ("PLTR", D(2023, 12, 31), 2.20e9),
        ("PLTR", D(2024, 3, 31), 2.22e9),
        ("PLTR", D(2025, 6, 30), 2.365e9),
        ("AMD", D(2024, 3, 31), 1.61e9),
    )
    _with_averages(con, counts(("PLTR", D(2025, 4, 30), 2.36e9)), averages)
    assert _stored(con, "PLTR") == [
        (D(2023, 12, 31), 2.20e9, "basic_average"),
        (D(2024, 3, 31), 2.22e9, "basic_average"),
        (D(2025, 4, 30), 2.36e9, "outstanding"),
    ]  # 2025-06-30: counted by then
    assert _stored(con, "AMD") == [(D(2024, 3, 31), 1.61e9, "basic_average")]  # no count at all: all averages
    # an earlier count arriving later supersedes the averages from its date on; a count is never overwritten
    _with_averages(con, counts(("PLTR", D(2024, 2, 1), 2.21e9)), counts(("PLTR", D(2025, 4, 30), 9.9e9)))
    assert _stored(con, "PLTR") == [
        (D(2023, 12, 31), 2.20e9, "basic_average"),
        (D(2024, 2, 1), 2.21e9, "outstanding"),
        (D(2025, 4, 30), 2.36e9, "outstanding"),
    ]


def test_a_market_cap_before_the_first_count_uses_the_quarter_average(tmp_path):
    from tests.support.scenario import Market

    m = Market(tmp_path / "mm.duckdb", ["PLTR"])
    days = m.series("PLTR", "2024-03-01", [20.0] * 5)  # the 2023-12-31 average is public by then (+60 days)
    store.store_fundamentals(
        m.con,
        counts(("PLTR", D(2025, 4, 30), 2.36e9)),
        pd.DataFrame(columns=["ticker", "period_end", "reported_date", "eps_diluted"]),
        ["PLTR"],
        "replay",
        NOW,
        0.02,
        counts(("PLTR", D(2023, 12, 31), 2.2e9)),
    )
    m.compute(days[0], days[-1])
    assert m.metric("PLTR", days[-1], "market_cap") == pytest.approx(20.0 * 2.2e9)


def test_a_count_dated_at_its_quarter_end_counts_from_its_announcement(tmp_path):
    """Point in time: NVDA's count at its 2025-10-26 quarter end was published with the results on 2025-11-19;
    the market caps before that use the count public then (2025-07-27's), from that session on the new one."""
    from tests.support.scenario import Market

    m = Market(tmp_path / "mm.duckdb", ["NVDA"])
    days = m.series("NVDA", "2025-11-10", [100.0] * 10)
    eps = pd.DataFrame(
        [{"ticker": "NVDA", "period_end": D(2025, 10, 26), "reported_date": D(2025, 11, 19), "eps_diluted": 1.3}]
    )
    store.store_fundamentals(
        m.con,
        counts(("NVDA", D(2025, 7, 27), 24.347e9), ("NVDA", D(2025, 10, 26), 24.305e9)),
        eps,
        ["NVDA"],
        "replay",
        NOW,
    )
    m.compute(days[0], days[-1])
    assert m.metric("NVDA", D(2025, 11, 18), "market_cap") == pytest.approx(100.0 * 24.347e9)
    assert m.metric("NVDA", D(2025, 11, 18), "shares_as_of") == D(2025, 7, 27)
    assert m.metric("NVDA", D(2025, 11, 19), "market_cap") == pytest.approx(100.0 * 24.305e9)
