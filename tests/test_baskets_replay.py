"""The shipped configuration over the real 2024-2025 data, every session notified (--notify-history), through the CLI
and real slack_sdk calls to a local Slack: each basket's channel receives exactly the messages that basket sends
when it is the only watchlist, and the AI basket's tables are the ones it has alone (apart from the basket column)."""

import tomllib

import duckdb
import pytest

from tests.support.cli import ROOT, cli
from tests.support.fake_slack import FakeSlack

pytestmark = pytest.mark.slow

TABLES = {
    "watchlist_daily": "SELECT * EXCLUDE (basket) FROM watchlist_daily WHERE basket = 'ai' ORDER BY date",
    "alerts": "SELECT * EXCLUDE (basket) FROM alerts WHERE basket = 'ai' ORDER BY ALL",
}


def _toml(value) -> str:
    if isinstance(value, str):
        return '"' + value + '"'
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return repr(value)


def _write(data: dict, path, prefix: str = "") -> None:
    """A small TOML writer for the shipped config's shapes (tables of scalars and lists)."""
    lines = []

    def table(name: str, body: dict) -> None:
        scalars = {k: v for k, v in body.items() if not isinstance(v, dict)}
        if scalars or not body:
            lines.append(f"[{name}]")
            lines.extend(f"{k} = {_toml(v)}" for k, v in scalars.items())
        for k, v in body.items():
            if isinstance(v, dict):
                table(f"{name}.{k}", v)

    for key, body in data.items():
        table(key, body)
    path.write_text("\n".join(lines) + "\n")


def _run(config, db, market, slack: FakeSlack):
    env = {**slack.env(), "MARKET_MONITOR_DB": str(db), "MARKET_MONITOR_CONFIG": str(config)}
    args = ["run", "--source", "replay", "--replay-dir", str(market), "--start", "2024-01-02", "--end", "2025-11-28"]
    result = cli(*args, "--notify-history", env=env, timeout=900)
    assert result.returncode == 0, result.stderr
    return {
        channel: [p["text"] for p in slack.posts() if p["channel"] == channel]
        for channel in ("#ai-selloff", "#hyperscalers")
    }


def test_each_basket_sends_what_it_sends_alone_and_the_ai_basket_keeps_its_tables(tmp_path, shared_market):
    shipped = tomllib.loads((ROOT / "monitor.toml").read_text())
    assert list(shipped["baskets"]) == ["ai", "hyperscalers"]
    with FakeSlack() as slack:
        both = _run(ROOT / "monitor.toml", tmp_path / "both.duckdb", shared_market, slack)
    assert both["#ai-selloff"] and both["#hyperscalers"], "both baskets send something over two years"
    for name, channel in (("ai", "#ai-selloff"), ("hyperscalers", "#hyperscalers")):
        alone = {**shipped, "baskets": {name: shipped["baskets"][name]}}
        _write(alone, tmp_path / f"{name}.toml")
        with FakeSlack() as slack:
            sent = _run(tmp_path / f"{name}.toml", tmp_path / f"{name}.duckdb", shared_market, slack)
        assert sent[channel] == both[channel], name
        assert all(not texts for c, texts in sent.items() if c != channel)
    joint = duckdb.connect(str(tmp_path / "both.duckdb"), read_only=True)
    solo = duckdb.connect(str(tmp_path / "ai.duckdb"), read_only=True)
    for table, query in TABLES.items():
        assert joint.execute(query).fetchall() == solo.execute(query).fetchall(), table
    # a symbol in both baskets is stored once
    assert joint.execute(
        "SELECT count(*) FROM prices_daily WHERE ticker = 'META' AND date = '2025-11-07'"
    ).fetchone() == (1,)
