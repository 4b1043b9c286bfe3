import pytest

from pipelines.config import DEFAULT_CONFIG, ConfigError, Runtime, load_config, parse_config


def test_shipped_config_loads_with_the_ai_basket_first_and_each_symbol_once():
    cfg = load_config(DEFAULT_CONFIG)
    ai, hyper = cfg.baskets
    assert (ai.name, ai.title, ai.benchmark) == ("ai", "AI leaders", "^IXIC")
    assert ai.tickers == ["NVDA", "PLTR", "ORCL", "META", "AMD", "CRWV"]
    assert (hyper.name, hyper.benchmark, hyper.destinations) == ("hyperscalers", "^GSPC", ["hyperscalers"])
    # META and ORCL are in both baskets: fetched once
    assert cfg.symbols == ["NVDA", "PLTR", "ORCL", "META", "AMD", "CRWV", "MSFT", "GOOGL", "AMZN", "^IXIC", "^GSPC"]
    # [rules] are the defaults; a basket overrides one key and keeps the others
    assert hyper.rules.sector_selloff.benchmark_return_5d == -0.015
    assert hyper.rules.sector_selloff.cap_return_5d == ai.rules.sector_selloff.cap_return_5d == -0.06
    assert ai.rules == cfg.rules


def test_a_single_watchlist_config_loads_as_the_ai_basket_with_its_rules():
    names = ["NVDA", "AMD", "META", "ORCL"]
    cfg = parse_config({"watchlist": {"tickers": names}, "rules": {"stock_drop_5d": {"return_5d": -0.2}}})
    (basket,) = cfg.baskets
    assert (basket.name, basket.tickers, basket.benchmark) == ("ai", names, "^IXIC")
    assert basket.rules.stock_drop_5d.return_5d == -0.2 and basket.destinations == ["slack"]


BASKET = {"tickers": ["NVDA", "AMD", "META", "ORCL"], "benchmark": "^IXIC"}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"watchlist": {"tickerz": ["NVDA"]}}, "watchlist.tickerz: unknown key"),
        ({"rules": {"stock_drop_5d": {"threshold": -0.1}}}, "rules.stock_drop_5d.threshold: unknown key"),
        ({"watchlist": {"tickers": ["NVDA", "nvda!"]}}, "watchlist.tickers[1]: 'nvda!' is not a ticker symbol"),
        ({"watchlist": {"tickers": ["NVDA", "AMD", "NVDA"]}}, "watchlist.tickers[2]: duplicate ticker 'NVDA'"),
        ({"watchlist": {"tickers": ["NVDA"], "benchmark": "NVDA"}}, "watchlist.benchmark: duplicate ticker"),
        ({"history": {"refetch_sessions": "ten"}}, "history.refetch_sessions: expected a whole number"),
        ({"history": {"refetch_sessions": -3}}, "history.refetch_sessions: must not be negative"),
        ({"alerts": {"repeat_interval_sessions": -1}}, "alerts.repeat_interval_sessions: must not be negative"),
        ({"history": {"start": "yesterday"}}, "history.start: expected a date"),
        ({"rules": {"stock_drop_5d": {"return_5d": 0.1}}}, "rules.stock_drop_5d.return_5d: is a loss threshold"),
        ({"rules": {"sector_selloff": {"min_names_down": True}}}, "rules.sector_selloff.min_names_down: expected"),
        ({"rules": {"sector_selloff": {"min_names_down": 9}}}, "min_names_down: 9 exceeds the basket's 6 tickers"),
        ({"watchlist": {}, "baskets": {"ai": BASKET}}, "either [watchlist] (one basket) or [baskets.<name>]"),
        ({"baskets": {}}, "baskets: expected at least one [baskets.<name>] table"),
        ({"baskets": {"AI Leaders": BASKET}}, "baskets.AI Leaders: a basket's name is 1-32 lower-case"),
        ({"baskets": {"ai": {"tickers": ["NVDA"]}}}, "baskets.ai.benchmark: required"),
        ({"baskets": {"ai": {**BASKET, "colour": "red"}}}, "baskets.ai.colour: unknown key"),
        ({"baskets": {"ai": {**BASKET, "tickers": ["NVDA", "x y"]}}}, "baskets.ai.tickers[1]: 'x y' is not a ticker"),
        (
            {"baskets": {"ai": {**BASKET, "rules": {"stock_drop_5d": {"return_5d": float("nan")}}}}},
            "baskets.ai.rules.stock_drop_5d.return_5d: expected a finite number, got nan",
        ),
        (
            {"baskets": {"ai": {**BASKET, "rules": {"sector_selloff": {"min_names_down": 5}}}}},
            "baskets.ai.rules.sector_selloff.min_names_down: 5 exceeds the basket's 4 tickers",
        ),
        ({"baskets": {"ai": {**BASKET, "rules": {"stock_drop_5d": {"return_5d": 0.1}}}}}, "is a loss threshold"),
        ({"baskets": {"ai": {**BASKET, "destinations": ["pager"]}}}, "baskets.ai.destinations[0]: unknown destination"),
        ({"baskets": {"ai": {**BASKET, "destinations": []}}}, "baskets.ai.destinations: must name at least one"),
        ({"destinations": {"x": {"kind": "pigeon"}}}, "destinations.x.kind: 'pigeon' is not one of"),
        ({"destinations": {"x": {"kind": "slack"}}}, "destinations.x.channel: required for kind"),
        ({"destinations": {"x": {"kind": "email", "to": ["nobody"]}}}, "destinations.x.to: expected a list of e-mail"),
        ({"destinations": {"x": {"kind": "slack_webhook", "url_env": "my url"}}}, "destinations.x.url_env: 'my url'"),
        ({"ops": {"destination": "pager"}}, "ops.destination: unknown destination 'pager'"),
        ({"watchlist": "NVDA"}, "watchlist: expected a table"),
        (
            {"rules": {"sector_selloff": {"cap_return_5d": float("nan")}}},
            "rules.sector_selloff.cap_return_5d: expected a finite number, got nan",
        ),
        ({"rules": {"stock_cap_loss_1d": {"cap_change_1d": float("-inf")}}}, "expected a finite number, got -inf"),
        ({"schedule": {"cron": "99 99 * * *"}}, "schedule.cron: '99 99 * * *' is not a valid 5-field cron"),
        ({"schedule": {"fresh_by_cron": "0 21 31 2 *"}}, "schedule.fresh_by_cron: '0 21 31 2 *' is not a valid"),
        ({"schedule": {"fresh_by_cron": "tonight"}}, "schedule.fresh_by_cron: 'tonight' is not a valid"),
        ({"fundamentals": {"eps_report_lag_days": 10**12}}, "fundamentals.eps_report_lag_days: must be at most 366"),
        ({"history": {"refetch_sessions": 2**64}}, "history.refetch_sessions: must be at most 2520"),
        ({"history": {"refetch_sessions": 1_000_000}}, "history.refetch_sessions: must be at most 2520"),
        ({"history": {"source_retries": 1000}}, "history.source_retries: must be at most 20"),
        ({"history": {"retry_delay_seconds": 1e9}}, "history.retry_delay_seconds: must be at most 3600"),
        ({"alerts": {"resolve_after_sessions": 10**9}}, "alerts.resolve_after_sessions: must be at most 252"),
        ({"rules": {"stock_drop_5d": {"return_5d": -3.0}}}, "rules.stock_drop_5d.return_5d: must be at least -1"),
        ({"history": {"start": "0001-01-01"}}, "history.start: 0001-01-01 is outside the NYSE calendar"),
        ({"history": {"start": "2999-01-01"}}, "history.start: 2999-01-01 is outside the NYSE calendar"),
    ],
)
def test_bad_config_names_the_key_and_the_problem(data, message):
    with pytest.raises(ConfigError) as err:
        parse_config(data, "monitor.toml")
    assert message in str(err.value)
    assert str(err.value).startswith("monitor.toml: ")


def test_bad_toml_and_missing_file_are_clear(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[watchlist\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(bad)
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "nope.toml")


def test_runtime_from_env_validates_source(tmp_path):
    with pytest.raises(ConfigError, match="MARKET_MONITOR_SOURCE: 'csv' is not one of"):
        Runtime.from_env({"MARKET_MONITOR_SOURCE": "csv"})
    with pytest.raises(ConfigError, match="MARKET_MONITOR_REPLAY_DIR: required"):
        Runtime.from_env({"MARKET_MONITOR_SOURCE": "replay"})
    rt = Runtime.from_env({"MARKET_MONITOR_DB": str(tmp_path / "x.duckdb")})
    assert rt.source == "yfinance" and rt.db_path == tmp_path / "x.duckdb"
