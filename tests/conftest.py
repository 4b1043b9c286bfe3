from __future__ import annotations

import os
from pathlib import Path

import pytest

from pipelines.config import Runtime

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


def replay_runtime(tmp_path: Path, replay: Path) -> Runtime:
    return Runtime(db_path=tmp_path / "data" / "mm.duckdb", source="replay", replay_dir=replay)
