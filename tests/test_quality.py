import datetime as dt

from pipelines.domain import quality
from tests.support.scenario import Market


def test_freshness_checks_name_missing_and_stale_fundamentals(tmp_path):
    m = Market(tmp_path / "mm.duckdb", ["AAA", "BBB"])
    m.shares("AAA", "2024-01-02", 1e9)
    m.eps("AAA", [("2024-03-31", "2024-04-25", 1.0)])
    m.eps("BBB", [("2023-03-31", None, 1.0)])
    as_of = dt.date(2024, 9, 30)
    shares = quality.check_shares_fresh(m.con, ["AAA", "BBB"], as_of, 200, 60)
    assert not shares.passed
    assert shares.metadata["problems"] == [
        "AAA: count as of 2024-01-02 (272 days old)",
        "BBB: no share count (no market cap)",
    ]
    eps = quality.check_eps_fresh(m.con, ["AAA", "BBB"], as_of, 130, 60)
    assert eps.metadata["problems"] == [
        "AAA: latest EPS known since 2024-04-25",
        "BBB: latest EPS known since 2023-05-30",
    ]  # period end + 60 days
    assert quality.check_eps_fresh(m.con, ["AAA"], dt.date(2024, 5, 1), 130, 60).passed


def test_bars_and_moves(tmp_path):
    m = Market(tmp_path / "mm.duckdb", ["AAA", "BBB"])
    days = m.series("AAA", "2024-06-03", [100, 100, 150, 150])
    m.prices("BBB", {days[0]: 10.0, days[1]: 10.0, days[3]: 10.0})
    bars = quality.check_bars_present(m.con, ["AAA", "BBB", "ZZZ"], days[0], days[-1])
    assert not bars.passed and bars.metadata["symbols_missing"] == ["BBB", "ZZZ"]
    assert bars.metadata["missing_bars"] == 1 + 4
    moves = quality.check_moves_plausible(m.con, ["AAA", "BBB"], days[0], days[-1])
    assert not moves.passed and moves.metadata["implausible_moves"] == [f"AAA {days[2]} +50.0%"]
