"""A failed run leaves no lasting damage: whatever step a run fails in (a full disk, or killed inside the step's
transaction), the next successful run leaves every table as an uninterrupted run would have, with nobody needing to
know to rerun from history.start."""

import datetime as dt
import subprocess
import sys

import duckdb
import pandas as pd
import pytest

from tests.support import failing_run
from tests.support.cli import ROOT
from tests.support.synthetic import WATCHLIST, basic_snapshot, write_config, write_fundamentals, write_prices

pytestmark = pytest.mark.slow  # the graph, several runs per case

D = dt.date
BACKFILL = (D(2024, 8, 1), D(2024, 8, 23))
NIGHT = D(2024, 8, 26)
TIMES = ("fetched_at", "recorded_at", "created_at", "delivered_at")  # when, not what: differ between any two runs
TABLES = [
    "prices_daily",
    "shares_outstanding",
    "earnings",
    "splits",
    "metrics_daily",
    "watchlist_daily",
    "alerts",
    "alert_events",
    "outbox",
    "rejected_facts",
    "shares_held",
    "recompute_pending",
]


def falling_snapshot(folder):
    """Flat names that all fall 8% on 2024-08-12 (and the benchmark 3%): sector and single-name findings."""
    basic_snapshot(folder)
    for i, name in enumerate(WATCHLIST):
        days = pd.read_csv(folder / f"{name}.csv")["date"]
        close = [100.0 + i if d < "2024-08-12" else 92.0 + i for d in days]
        write_prices(folder, name, pd.DataFrame({"date": days, "close": close}))
    days = pd.read_csv(folder / "IXIC.csv")["date"]
    write_prices(
        folder,
        "^IXIC",
        pd.DataFrame({"date": days, "close": [10_000.0 if d < "2024-08-12" else 9_700.0 for d in days]}),
    )
    return folder


def revise_shares(folder):
    """Yahoo revises an older share count of NVDA (dated before the backfill's re-fetch window)."""
    counts = [(t, "2024-01-02", 1_000_000_000) for t in WATCHLIST] + [("NVDA", "2024-07-01", 1_100_000_000)]
    eps = pd.read_csv(folder / "eps.csv").fillna("").itertuples(index=False)
    write_fundamentals(folder, shares=counts, eps=[tuple(r) for r in eps])


def tables(db) -> dict[str, pd.DataFrame]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        out = {}
        for table in TABLES:
            columns = [
                c
                for (c,) in con.execute(
                    "SELECT column_name FROM information_schema.columns WHERE table_name = ? ORDER BY ordinal_position",
                    [table],
                ).fetchall()
                if c not in TIMES
            ]
            listed = ", ".join(columns)
            out[table] = con.execute(f"SELECT {listed} FROM {table} ORDER BY ALL").df()
        return out
    finally:
        con.close()


def fail(tmp_path, db, cfg, snap, start, end, point, mode):
    if mode == "killed":  # a real process dies inside the step: the run is left as a kill leaves it
        args = [str(db), str(cfg), str(snap), str(start), str(end), point, mode]
        done = subprocess.run(
            [sys.executable, "-m", "tests.support.failing_run", *args],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 137, done.stderr[-2000:]
    else:
        report = failing_run.run(db, cfg, snap, start, end, point, mode)
        assert not report.success and "No space left on device" in report.error, report.error


def assert_same(got: dict, want: dict):
    for table in TABLES:
        pd.testing.assert_frame_equal(got[table], want[table], check_dtype=False, obj=table)


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    """The reference: a first backfill, then (after Yahoo revised an older count) the next night, no failure."""
    tmp = tmp_path_factory.mktemp("uninterrupted")
    snap, cfg, db = falling_snapshot(tmp / "snap"), write_config(tmp / "monitor.toml"), tmp / "mm.duckdb"
    assert failing_run.run(db, cfg, snap, *BACKFILL).success
    after_backfill = tables(db)
    revise_shares(snap)
    assert failing_run.run(db, cfg, snap, NIGHT, NIGHT).success
    after_night = tables(db)
    assert after_night["alerts"].shape[0] > 0 and "sector_selloff" in set(after_night["alerts"]["rule"])
    return after_backfill, after_night


FULL_DISK = [(p, "disk_full") for p in failing_run.POINTS]
KILLED = [(p, "killed") for p in ("daily_prices", "metrics_daily", "alerts", "slack_notifications")]


@pytest.mark.parametrize(("point", "mode"), [*FULL_DISK, ("metrics_daily", "killed")])
def test_a_first_backfill_that_failed_is_repaired_by_the_rerun(tmp_path, uninterrupted, point, mode):
    snap, cfg, db = falling_snapshot(tmp_path / "snap"), write_config(tmp_path / "monitor.toml"), tmp_path / "mm.duckdb"
    fail(tmp_path, db, cfg, snap, *BACKFILL, point, mode)
    assert failing_run.run(db, cfg, snap, *BACKFILL).success  # the same command again, nothing else
    assert_same(tables(db), uninterrupted[0])


@pytest.mark.parametrize(("point", "mode"), [*FULL_DISK, *KILLED])
def test_a_night_that_failed_after_a_revised_count_is_repaired_by_the_rerun(tmp_path, uninterrupted, point, mode):
    snap, cfg, db = falling_snapshot(tmp_path / "snap"), write_config(tmp_path / "monitor.toml"), tmp_path / "mm.duckdb"
    assert failing_run.run(db, cfg, snap, *BACKFILL).success
    revise_shares(snap)
    fail(tmp_path, db, cfg, snap, NIGHT, NIGHT, point, mode)
    assert failing_run.run(db, cfg, snap, NIGHT, NIGHT).success
    assert_same(tables(db), uninterrupted[1])
