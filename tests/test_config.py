import pytest

from pipelines.config import DEFAULT_CONFIG, ConfigError, Runtime, load_config, parse_config


def test_shipped_config_loads_with_the_watchlist():
    cfg = load_config(DEFAULT_CONFIG)
    assert cfg.watchlist.tickers == ["NVDA", "PLTR", "ORCL", "META", "AMD", "CRWV"]
    assert cfg.watchlist.benchmark == "^IXIC"
    assert cfg.symbols[-1] == "^IXIC"


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
        ({"rules": {"sector_selloff": {"min_names_down": 9}}}, "min_names_down: 9 exceeds the 6 watchlist"),
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
