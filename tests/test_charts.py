import base64

import pytest

from pipelines import rules
from pipelines.channels import charts
from tests.support.scenario import Market


def test_chart_and_table_for_the_ops_view(tmp_path):
    m = Market(tmp_path / "mm.duckdb", ["AAA", "BBB", "CCC", "DDD"])
    days = []
    for name in ["AAA", "BBB", "CCC", "DDD"]:
        days = m.series(name, "2025-09-02", [100.0] * 20 + [90.0])
        m.shares(name, "2025-01-02", 1e9)
    m.series("^IXIC", "2025-09-02", [1000.0] * 20 + [970.0])
    findings = m.compute(days[0], days[-1])
    rules.store_findings(m.con, findings, days[0], days[-1])
    png = charts.watchlist_chart(m.con, m.cfg.baskets[0], days[-1])
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10_000
    md = charts.as_markdown_image(png)
    assert md.startswith("![chart](data:image/png;base64,") and base64.b64decode(md.split(",", 1)[1][:-1]) == png
    table = charts.names_markdown(m.con, m.cfg, days[-1])
    assert "| AAA | 90.00 | -10.0% | -10.0B | -10.0% | n/a | 2025-01-02 |" in table  # no EPS at all: n/a
    assert charts.watchlist_chart(m.con, m.cfg.baskets[0], days[0].replace(year=2020)) is None


def test_the_chart_scale_keeps_thresholds_readable_beside_a_spike():
    lo, hi = charts._limits([1.0, -2.0, 3.0, -1.0] * 50 + [300.0], [-10.0], trim=0.01)
    assert -15 < lo <= -10 and hi <= 40  # the threshold is in view; the +300% spike runs off the top
    assert charts._limits([], [-6.0]) == (-10.0, 10.0)


@pytest.mark.slow
def test_a_large_watchlist_draws_its_ten_worst_names(tmp_path):
    names = [f"N{i:02d}" for i in range(30)]
    m = Market(tmp_path / "mm.duckdb", names)
    days = []
    for i, name in enumerate(names):
        days = m.series(name, "2025-09-02", [100.0] * 20 + [100.0 - i])
        m.shares(name, "2025-01-02", 1e9)
    m.series("^IXIC", "2025-09-02", [1000.0] * 21)
    m.compute(days[0], days[-1])
    png = charts.watchlist_chart(m.con, m.cfg.baskets[0], days[-1])
    assert png[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_chart_is_drawn_once_for_the_same_data_and_again_when_the_data_or_a_threshold_changes(tmp_path, monkeypatch):
    m = Market(tmp_path / "mm.duckdb", ["AAA", "BBB"])
    days = []
    for name in ["AAA", "BBB"]:
        days = m.series(name, "2025-09-02", [100.0] * 20 + [90.0])
        m.shares(name, "2025-01-02", 1e9)
    m.series("^IXIC", "2025-09-02", [1000.0] * 20 + [970.0])
    findings = m.compute(days[0], days[-1])
    drawn = []
    real_draw = charts._draw
    monkeypatch.setattr(charts, "_draw", lambda *a: drawn.append(a[1]) or real_draw(*a))
    first = charts.watchlist_chart(m.con, m.cfg.baskets[0], days[-1])
    assert charts.watchlist_chart(m.con, m.cfg.baskets[0], days[-1]) == first and len(drawn) == 1  # alerts, then Slack
    rules.store_findings(m.con, findings, days[0], days[-1])  # the alert sessions the chart reads changed
    stored = charts.watchlist_chart(m.con, m.cfg.baskets[0], days[-1])
    assert len(drawn) == 2
    rules_cfg = m.cfg.rules
    moved = m.cfg.with_rules(sector_selloff=rules_cfg.sector_selloff.replace(cap_return_5d=-0.09))
    assert (
        charts.watchlist_chart(m.con, moved.baskets[0], days[-1]) != stored and len(drawn) == 3
    )  # the threshold line moved
