from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from pipelines import rules
from tests.support import postgres  # noqa: F401  (reads DAGSTER_PG_* now, before isolated_env drops them)
from tests.support.fake_slack import FakeSlack
from tests.support.scenario import NAMES, Market

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "data"


@pytest.fixture
def shared_market() -> Path:
    path = SHARED / "market"
    if not (path / "NVDA.csv").is_file():
        pytest.skip("../shared/data/market is not present (fresh clone)")
    return path


@pytest.fixture
def shared_yahoo() -> Path:
    path = SHARED / "yahoo"
    if not (path / "SOURCES.md").is_file():
        pytest.skip("../shared/data/yahoo is not present (fresh clone)")
    return path


@pytest.fixture(autouse=True)
def isolated_env(monkeypatch, tmp_path):
    """No test reads the developer's environment, database or Slack settings."""
    for key in list(os.environ):
        if key.startswith(("MARKET_MONITOR_", "SLACK_", "DAGSTER_")):
            monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("MARKET_MONITOR_DB", str(tmp_path / "data" / "mm.duckdb"))


@pytest.fixture
def yahoo_over_requests(monkeypatch):
    """The live source's HTTP through requests.Session, so a fake Yahoo served with `responses` answers it."""
    import warnings

    import requests

    from pipelines.sources import yahoo

    monkeypatch.setattr(yahoo, "SESSION_FACTORY", requests.Session)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # yfinance's pandas-3 deprecation notices
        yield


@pytest.fixture
def slack():
    with FakeSlack() as server:
        yield server


@pytest.fixture(scope="session")
def crash_template(tmp_path_factory):
    """Ten flat sessions, then every name -8% and the benchmark -2.5% on session 10: sector_selloff holds on
    sessions 10..14 (while the crash is inside the 5-session window) and resolves on 16. Built once; each test
    gets its own copy of the file."""
    path = tmp_path_factory.mktemp("crash") / "mm.duckdb"
    m = Market(path, NAMES)
    values = [100.0] * 10 + [92.0] * 10
    days = []
    for name in NAMES:
        days = m.series(name, "2025-10-20", values)
        m.shares(name, "2025-01-02", 1e9)
    m.series("^IXIC", "2025-10-20", [1000.0] * 10 + [975.0] * 10)
    findings = m.compute(days[0], days[-1])
    rules.store_findings(m.con, findings, days[0], days[-1])
    m.con.close()
    return path, days


@pytest.fixture
def crash(crash_template, tmp_path):
    path, days = crash_template
    shutil.copy(path, tmp_path / "mm.duckdb")
    m = Market(tmp_path / "mm.duckdb", NAMES)
    m.days = days
    return m
