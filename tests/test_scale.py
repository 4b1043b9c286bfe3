"""A 500-name watchlist runs through the real graph: exit 0, a terminal that stays readable, a message that
keeps Slack's limits."""

import pandas as pd
import pytest

from tests.support.cli import cli
from tests.support.synthetic import BENCHMARK, basic_snapshot, write_config, write_prices

pytestmark = pytest.mark.slow  # the graph, the CLI or the webserver: run by CI, not the fast loop

NAMES = [f"S{i:03d}" for i in range(500)]


def test_a_500_name_watchlist_replays_with_readable_output_and_a_message_within_limits(tmp_path):
    snap = basic_snapshot(tmp_path / "snap", tickers=NAMES)
    for name in NAMES[:300]:  # 300 names fall 12% on the last session; 200 have no bar that day
        frame = pd.read_csv(snap / f"{name}.csv")
        frame.loc[frame.index[-1], ["open", "high", "low", "close"]] = 88.0
        write_prices(snap, name, frame[["date", "open", "high", "low", "close"]])
    for name in NAMES[300:]:
        frame = pd.read_csv(snap / f"{name}.csv")
        write_prices(snap, name, frame.iloc[:-1][["date", "open", "high", "low", "close"]])
    bench = pd.read_csv(snap / "IXIC.csv")
    bench.loc[bench.index[-1], ["open", "high", "low", "close"]] = 9_600.0
    write_prices(snap, BENCHMARK, bench[["date", "open", "high", "low", "close"]])
    env = {
        "MARKET_MONITOR_DB": str(tmp_path / "mm.duckdb"),
        "MARKET_MONITOR_CONFIG": str(write_config(tmp_path / "monitor.toml", tickers=NAMES)),
    }
    result = cli(
        "run",
        "--source",
        "replay",
        "--replay-dir",
        str(snap),
        "--start",
        "2024-08-26",
        "--end",
        "2024-08-30",
        env=env,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    long = [line[:120] for line in result.stdout.splitlines() if len(line) >= 700]
    assert long == []  # no 40,000-character check line
    assert "ERROR daily_prices.bars_present: 2024-08-26 .. 2024-08-30: missing bars:" in result.stdout
    assert "see the Dagster UI" in result.stdout
    message = result.stdout.split("this message would be sent ---")[1]
    # 200 names without a bar: the 300 with one carry the sector rule, and the message says what it could not see
    assert message.lstrip().startswith("[CRITICAL] AI leaders: Sector sell-off — 2024-08-30")
    assert "300 of 300 names with a bar fell" in message and ": decided on the other 300." in message
    assert "Incomplete data, AI leaders (new, warning): Incomplete data for 2024-08-30: no bar for" in message
    assert "folded in: " in message and "5-session drop " in message and len(message) < 4500
