"""The rule registry is the one home of a rule: everything else derives from it, and nothing names a rule
behind its back."""

import re
import tokenize
import tomllib
from pathlib import Path

import pytest

from pipelines.config import ConfigError, MonitorConfig, parse_config
from pipelines.rules import RULES, SEVERITIES

ROOT = Path(__file__).resolve().parent.parent


def _strings(path: Path) -> list[str]:
    with path.open("rb") as f:
        return [t.string for t in tokenize.tokenize(f.readline) if t.type == tokenize.STRING]


def test_each_rule_name_is_written_in_exactly_one_python_module():
    """Outside tests, a rule's name is a string (code, docstring or message) only in its own module; the rest
    refers to it through the registry, so a renamed or new rule cannot be missed somewhere."""
    sources = {
        str(p.relative_to(ROOT)): _strings(p)
        for p in ROOT.glob("**/*.py")
        if not {"tests", ".venv", "build", ".git"} & set(p.relative_to(ROOT).parts)
    }
    for rule in RULES:
        holders = [path for path, strings in sources.items() if any(re.search(rf"\b{rule.name}\b", s) for s in strings)]
        assert holders == [f"pipelines/rules/{rule.name}.py"], (rule.name, holders)


def test_docs_table_and_monitor_toml_follow_the_registry():
    docs = (ROOT / "docs/rules.md").read_text()
    toml = tomllib.loads((ROOT / "monitor.toml").read_text())
    for rule in RULES:
        assert rule.severity in SEVERITIES
        assert f"| `{rule.name}` | {rule.severity} | {rule.holds_when} |" in docs, rule.name
        if rule.settings:
            assert rule.name in toml["rules"], f"monitor.toml has no [rules.{rule.name}]"
    assert set(toml["rules"]) == {r.name for r in RULES if r.settings}


def test_config_validates_each_rule_from_its_own_settings_class():
    cfg = MonitorConfig()
    for rule in RULES:
        if rule.settings:
            assert isinstance(getattr(cfg.rules, rule.name), rule.settings)
    with pytest.raises(ConfigError, match=r"rules\.stock_drop_5d\.return_5d: is a loss threshold"):
        parse_config({"rules": {"stock_drop_5d": {"return_5d": 0.1}}})
    with pytest.raises(ConfigError, match=r"rules\.sector_selloff\.min_names_down: 9 exceeds the basket's 6"):
        parse_config({"rules": {"sector_selloff": {"min_names_down": 9}}})
    with pytest.raises(ConfigError, match=r"rules\.data_incomplete: unknown key"):
        parse_config({"rules": {"data_incomplete": {}}})


def test_every_rule_has_a_magnitude_for_what_it_finds(tmp_path):
    """Episodes and the backtest pick a peak by each rule's magnitude: it must read the metrics its own findings
    carry. One market makes every rule fire (EPS 1.00 a year: P/E 100 before the fall)."""
    from pipelines.domain.episodes import build_episodes
    from tests.support.scenario import NAMES, crash_market

    m, days = crash_market(tmp_path, {n: 80.0 for n in NAMES[:3]}, bench_final=900.0, shares=1e9)
    m.con.execute("DELETE FROM prices_daily WHERE ticker = 'DDD' AND date = ?", [days[2]])  # a gap, before the fall
    for name in NAMES:
        m.eps(
            name,
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
    m.with_rules(
        sector_selloff=m.cfg.rules.sector_selloff.__class__(min_names_down=3),
        stock_cap_loss_1d=m.cfg.rules.stock_cap_loss_1d.__class__(cap_change_1d=-1e9),
        valuation_extreme=m.cfg.rules.valuation_extreme.__class__(pe_ttm=90.0),
    )
    findings = m.compute(days[0], days[-1])
    assert {f.rule for f in findings} == {r.name for r in RULES}
    for ep in build_episodes(findings, days[-1], 2):
        assert ep.peak in ep.findings


def test_rules_see_every_metrics_daily_column():
    """A rule reads whichever metric it needs: the rules' input was a hand-kept list of 11 columns, and a new rule
    on drawdown_52w failed with KeyError."""
    import datetime as dt

    import duckdb

    from pipelines.rules import load_metrics
    from pipelines.storage import store

    con = duckdb.connect()
    store.prepare(con)
    columns = [
        r[0]
        for r in con.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'metrics_daily' "
            "ORDER BY ordinal_position"
        ).fetchall()
    ]
    metrics = load_metrics(con, dt.date(2025, 11, 3), dt.date(2025, 11, 7))
    assert list(metrics.columns) == columns
    assert {"drawdown_52w", "max_drawdown_5d", "adj_close", "shares_outstanding"} <= set(metrics.columns)
