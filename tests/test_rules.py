"""Each rule on a synthetic market: fires exactly at its threshold, not just short of it."""

import pytest

from pipelines.rules.sector_selloff import Settings as SectorSelloff
from tests.support.scenario import NAMES, Market, crash_market


def fired(findings, rule):
    return [f for f in findings if f.rule == rule]


def test_sector_selloff_fires_exactly_at_every_threshold(tmp_path):
    m, days = crash_market(tmp_path, {n: 94.0 for n in NAMES}, bench_final=980.0)
    found = fired(m.compute(days[0], days[-1]), "sector_selloff")
    assert len(found) == 1
    f = found[0]
    assert (f.subject, f.as_of, f.severity) == ("WATCHLIST", days[-1], "critical")
    assert f.metrics["cap_change_5d"] == pytest.approx(-24e9) and f.metrics["n_names_down"] == 4
    assert f.metrics["thresholds"]["cap_return_5d"] == -0.06
    assert "lost $24B (-6.0%)" in f.message and "4 of 4 names fell 5% or more" in f.message


@pytest.mark.parametrize(
    ("finals", "bench"),
    [
        ({n: 94.0 for n in NAMES}, 980.1),  # benchmark just short of -2%
        ({"AAA": 94.01, "BBB": 94.0, "CCC": 94.0, "DDD": 94.0}, 980.0),  # basket just short of -6%
        ({"AAA": 88.0, "BBB": 94.0, "CCC": 94.0, "DDD": 96.0}, 980.0),  # deep, but only 3 names down 5%
    ],
)
def test_sector_selloff_stays_quiet_just_short(tmp_path, finals, bench):
    m, days = crash_market(tmp_path, finals, bench_final=bench)
    assert fired(m.compute(days[0], days[-1]), "sector_selloff") == []


def test_one_stock_crashing_is_not_a_sector_selloff(tmp_path):
    m, days = crash_market(tmp_path, {"AAA": 40.0}, bench_final=960.0)
    findings = m.compute(days[0], days[-1])
    assert fired(findings, "sector_selloff") == []
    assert [f.subject for f in fired(findings, "stock_drop_5d")] == ["AAA"]
    assert [f.subject for f in fired(findings, "benchmark_drop")] == ["^IXIC"]


@pytest.mark.parametrize(("final", "fires"), [(90.0, True), (90.01, False)])
def test_stock_drop_5d_threshold(tmp_path, final, fires):
    m, days = crash_market(tmp_path, {"BBB": final}, bench_final=1000.0)
    found = fired(m.compute(days[0], days[-1]), "stock_drop_5d")
    assert [f.subject for f in found] == (["BBB"] if fires else [])
    if fires:
        assert found[0].severity == "warning" and found[0].metrics["return_5d"] == pytest.approx(-0.10)


@pytest.mark.parametrize(("final", "fires"), [(97.0, True), (97.0001, False)])
def test_benchmark_drop_threshold(tmp_path, final, fires):
    m, days = crash_market(tmp_path, {}, bench_final=final * 10)
    assert len(fired(m.compute(days[0], days[-1]), "benchmark_drop")) == (1 if fires else 0)


@pytest.mark.parametrize(("final", "fires"), [(80.0, True), (80.01, False)])
def test_stock_cap_loss_1d_threshold(tmp_path, final, fires):
    m, days = crash_market(tmp_path, {"CCC": final}, bench_final=1000.0, shares=1e10)  # 20 $/share × 10B = $200B
    found = fired(m.compute(days[0], days[-1]), "stock_cap_loss_1d")
    assert [f.subject for f in found] == (["CCC"] if fires else [])
    if fires:
        assert found[0].metrics["cap_change_1d"] == pytest.approx(-200e9)
        assert "lost $200B of market value" in found[0].message


@pytest.mark.parametrize(("close", "fires"), [(300.0, True), (299.99, False)])
def test_valuation_extreme_threshold(tmp_path, close, fires):
    m = Market(tmp_path / "mm.duckdb", ["AAA"])
    days = m.series("AAA", "2024-06-03", [close])
    m.series("^IXIC", "2024-06-03", [1000.0])
    m.eps(
        "AAA",
        [
            (q, r, 0.25)
            for q, r in [
                ("2023-06-30", "2023-07-30"),
                ("2023-09-30", "2023-10-30"),
                ("2023-12-31", "2024-01-30"),
                ("2024-03-31", "2024-04-25"),
            ]
        ],
    )
    found = fired(m.compute(days[0], days[-1]), "valuation_extreme")
    assert len(found) == (1 if fires else 0)
    if fires:
        assert found[0].severity == "info" and found[0].metrics["pe_ttm"] == pytest.approx(300)


def test_missing_bar_reports_incomplete_data_instead_of_firing(tmp_path):
    """The names with a bar do not carry the sector rule (2 down, 3 needed): the session is incomplete data."""
    m, days = crash_market(tmp_path, {"AAA": 80.0, "CCC": 80.0}, bench_final=900.0, skip=("BBB",))
    m.with_rules(sector_selloff=SectorSelloff(min_names_down=3))
    findings = m.compute(days[0], days[-1])
    assert fired(findings, "sector_selloff") == []
    gap = fired(findings, "data_incomplete")
    assert len(gap) == 1 and gap[0].metrics["missing_tickers"] == ["BBB"]
    assert "no bar for BBB" in gap[0].message


def test_the_names_with_a_bar_carry_the_sector_rule_without_a_missing_one(tmp_path):
    """3 of the names with a bar fell, 3 needed: the rule holds without BBB, and says so."""
    m, days = crash_market(tmp_path, {"AAA": 80.0, "CCC": 80.0, "DDD": 80.0}, bench_final=900.0, skip=("BBB",))
    m.with_rules(sector_selloff=SectorSelloff(min_names_down=3, min_names_with_cap=3))
    findings = m.compute(days[0], days[-1])
    [sell_off] = fired(findings, "sector_selloff")
    assert sell_off.metrics["missing_tickers"] == ["BBB"]
    assert sell_off.message.endswith(f"Decided on {len(NAMES) - 1} of {len(NAMES)} names: no bar for BBB.")
    assert len(fired(findings, "data_incomplete")) == 1


def test_missing_benchmark_bar_is_incomplete_data(tmp_path):
    m, days = crash_market(tmp_path, {n: 80.0 for n in NAMES}, bench_final=None)
    findings = m.compute(days[0], days[-1])
    assert fired(findings, "sector_selloff") == [] and fired(findings, "benchmark_drop") == []
    assert fired(findings, "data_incomplete")[0].metrics["missing_tickers"] == ["^IXIC"]


def test_findings_are_stored_one_row_per_rule_subject_session(tmp_path):
    from pipelines import rules

    m, days = crash_market(tmp_path, {n: 80.0 for n in NAMES}, bench_final=900.0)
    findings = m.compute(days[0], days[-1])
    rules.store_findings(m.con, findings, days[0], days[-1])
    rules.store_findings(m.con, findings, days[0], days[-1])  # re-run: same rows, no duplicates
    rows = m.con.execute(
        "SELECT rule, subject, severity, metrics->>'$.n_names_down' FROM alerts WHERE rule = 'sector_selloff'"
    ).fetchall()
    assert rows == [("sector_selloff", "WATCHLIST", "critical", "4")]
    assert m.con.execute("SELECT count(*) FROM alerts").fetchone()[0] == len(findings)


def test_a_sell_off_whose_cap_change_covers_too_few_names_is_reported_undecided_not_calm(tmp_path):
    """Four names down 10%, the benchmark -2%: breadth and the benchmark hold, but only three names have a cap, so
    the basket's cap change (min_names_with_cap 4) cannot decide. Incomplete data, never a quiet session."""
    m, days = crash_market(tmp_path, {n: 90.0 for n in NAMES}, bench_final=980.0, uncounted=("DDD",))
    findings = m.compute(days[0], days[-1])
    assert fired(findings, "sector_selloff") == []
    [undecided] = fired(findings, "data_incomplete")
    assert (undecided.subject, undecided.as_of) == ("WATCHLIST", days[-1])
    assert undecided.metrics["n_cap_pairs"] == 3 and undecided.metrics["names_without_cap"] == ["DDD"]
    assert (
        "covers only 3 name(s) (at least 4 needed; no market cap: DDD). The sector rule was not decided"
        in undecided.message
    )
    # with the condition relaxed to three names, the same session is a sector sell-off
    m.with_rules(sector_selloff=SectorSelloff(min_names_with_cap=3))
    assert [f.as_of for f in fired(m.compute(days[0], days[-1]), "sector_selloff")] == [days[-1]]


def test_a_sell_off_on_a_watchlist_without_any_share_count_is_undecided_too(tmp_path):
    m, days = crash_market(tmp_path, {n: 90.0 for n in NAMES}, bench_final=980.0, uncounted=NAMES)
    findings = m.compute(days[0], days[-1])
    assert fired(findings, "sector_selloff") == []
    [undecided] = fired(findings, "data_incomplete")
    assert undecided.metrics["n_cap_pairs"] == 0 and undecided.metrics["names_without_cap"] == NAMES


def test_a_quiet_session_with_few_caps_is_not_reported(tmp_path):
    """Coverage only matters when the cap change would decide: a calm market with two caps is just calm."""
    m, days = crash_market(tmp_path, {}, bench_final=1000.0, uncounted=("CCC", "DDD"))
    assert fired(m.compute(days[0], days[-1]), "data_incomplete") == []


def test_the_worst_name_of_a_tie_is_the_first_by_name_every_time(tmp_path):
    """Equal 5-session returns: the same worst_ticker on every computation (it followed DuckDB's scan order)."""
    m, days = crash_market(tmp_path, {n: 94.0 for n in NAMES})
    m.compute(days[0], days[-1])
    assert m.watch(days[-1])["worst_ticker"] == "AAA"
