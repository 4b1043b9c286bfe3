"""Bad input of every kind: one line naming the file or key and the problem, exit 2, nothing written."""

import pytest

from tests.support.cli import cli
from tests.support.synthetic import basic_snapshot, write_config

pytestmark = pytest.mark.slow  # the graph, the CLI or the webserver: run by CI, not the fast loop


def _one_line_error(result) -> str:
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    return result.stderr.strip().splitlines()[-1]


def test_a_nan_threshold_in_the_config_is_refused_through_the_cli(tmp_path):
    cfg = tmp_path / "monitor.toml"
    cfg.write_text("[rules.sector_selloff]\ncap_return_5d = nan\n")
    result = cli(
        "run",
        "--source",
        "replay",
        "--replay-dir",
        str(tmp_path),
        "--end",
        "2024-08-30",
        env={"MARKET_MONITOR_CONFIG": str(cfg), "MARKET_MONITOR_DB": str(tmp_path / "mm.duckdb")},
    )
    assert "rules.sector_selloff.cap_return_5d: expected a finite number, got nan" in _one_line_error(result)
    assert not (tmp_path / "mm.duckdb").exists()


def test_an_impossible_cron_is_refused_before_the_schedule_loads(tmp_path):
    cfg = tmp_path / "monitor.toml"
    cfg.write_text('[schedule]\ncron = "99 99 * * *"\n')
    result = cli(
        "backtest",
        "--start",
        "2024-08-01",
        "--end",
        "2024-08-30",
        env={"MARKET_MONITOR_CONFIG": str(cfg), "MARKET_MONITOR_DB": str(tmp_path / "mm.duckdb")},
    )
    assert "schedule.cron: '99 99 * * *' is not a valid 5-field cron expression" in _one_line_error(result)


@pytest.mark.parametrize(
    "name, content, says",
    [
        ("AMD.csv", "", "AMD.csv: the file is empty"),
        (
            "AMD.csv",
            "date,open,high,low,close,adj_close,volume\n2024-08-26,100,100,100,100,,1e30\n",
            "AMD.csv line 2: volume 1e+30 is not between 0 and 1e+15",
        ),
        (
            "eps.csv",
            "ticker,period_end,reported_date,eps_diluted\nNVDA,2024-06-30,2024-05-01,0.6\n",
            "eps.csv line 2: reported_date 2024-05-01 is before its quarter ended (2024-06-30)",
        ),
        (
            "splits.csv",
            "ticker,date,ratio\nNVDA,2024-08-26,1e-300\n",
            "splits.csv line 2: split ratio 1e-300 is outside",
        ),
    ],
)
def test_a_malformed_snapshot_file_is_one_line_naming_file_and_line(tmp_path, name, content, says):
    snap = basic_snapshot(tmp_path / "snap")
    (snap / name).write_text(content)
    env = {
        "MARKET_MONITOR_CONFIG": str(write_config(tmp_path / "monitor.toml")),
        "MARKET_MONITOR_DB": str(tmp_path / "mm.duckdb"),
    }
    result = cli("run", "--source", "replay", "--replay-dir", str(snap), "--end", "2024-08-30", env=env)
    assert says in _one_line_error(result)


@pytest.mark.parametrize(
    "home, says",
    [
        ("relative/home", "DAGSTER_HOME: 'relative/home' must be an absolute path to an existing directory"),
        ("{tmp}/missing", "must be an absolute path to an existing directory"),
        ("{tmp}/broken", "dagster.yaml"),
        ("{tmp}/not_yaml", "not_yaml/dagster.yaml (line 3): while parsing a flow node"),
    ],
)
def test_a_bad_dagster_home_is_one_line(tmp_path, home, says):
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "dagster.yaml").write_text("run_storage:\n  module: nowhere\n  klass: Nothing\n  bogus: 1\n")
    (tmp_path / "not_yaml").mkdir()
    (tmp_path / "not_yaml" / "dagster.yaml").write_text("storage:\n  sqlite: [\n")
    snap = basic_snapshot(tmp_path / "snap")
    env = {
        "MARKET_MONITOR_CONFIG": str(write_config(tmp_path / "monitor.toml")),
        "MARKET_MONITOR_DB": str(tmp_path / "mm.duckdb"),
        "DAGSTER_HOME": home.format(tmp=tmp_path),
    }
    result = cli("run", "--source", "replay", "--replay-dir", str(snap), "--end", "2024-08-30", env=env)
    assert says in _one_line_error(result)


def test_sql_and_backtest_without_a_database_are_one_line(tmp_path):
    env = {"MARKET_MONITOR_DB": str(tmp_path / "mm.duckdb")}
    assert "is written at the end of `market-monitor run`" in _one_line_error(cli("sql", "SELECT 1", env=env))
    assert "is written at the end of `market-monitor run`" in _one_line_error(
        cli("backtest", "--start", "2024-08-01", "--end", "2024-08-30", env=env)
    )


def test_a_config_file_that_is_not_text_is_named(tmp_path):
    cfg = tmp_path / "monitor.toml"
    cfg.write_bytes(b"[watchlist]\n\xd0\x00\xff binary")
    env = {"MARKET_MONITOR_CONFIG": str(cfg), "MARKET_MONITOR_DB": str(tmp_path / "mm.duckdb")}
    line = _one_line_error(cli("run", "--source", "replay", "--replay-dir", str(tmp_path), env=env))
    assert line == f"market-monitor: {cfg}: not a UTF-8 text file (byte 12); expected TOML"


def test_snapshot_without_network_is_a_failed_run_not_bad_input(tmp_path):
    env = {"https_proxy": "http://127.0.0.1:9", "HTTPS_PROXY": "http://127.0.0.1:9"}
    result = cli("snapshot", "--start", "2025-11-03", "--end", "2025-11-07", "--out", str(tmp_path / "out"), env=env)
    assert result.returncode == 1, result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("market-monitor: Yahoo returned no prices for any of")
