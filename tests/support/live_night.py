"""One monitor database run night after night through the real graph against a fake Yahoo (YahooWorld)."""

from __future__ import annotations

import datetime as dt

import duckdb

from pipelines import calendar
from pipelines.config import Runtime
from pipelines.orchestration.execution import materialize_sessions
from tests.support.fake_yahoo import FakeYahoo, YahooWorld
from tests.support.synthetic import write_config

NAMES = ["NVDA", "AMD", "META"]
TONIGHT = dt.date(2025, 11, 7)


def world(names=NAMES, start="2024-01-02", tonight=TONIGHT) -> YahooWorld:
    """Every name wavering 100..106, ^IXIC 20,000..20,004: nothing fires."""
    days = calendar.sessions(start, "2025-12-31")
    closes = {n: {d: 100.0 + (i % 7) for i, d in enumerate(days)} for n in names}
    closes["^IXIC"] = {d: 20_000.0 + (i % 5) for i, d in enumerate(days)}
    return YahooWorld(closes, tonight)


class Night:
    """`breadth`: the sector rule's min_names_down and min_names_with_cap (default: 2, or fewer names)."""

    def __init__(self, tmp_path, names=NAMES, breadth: int | None = None, extra: str = ""):
        self.tmp = tmp_path
        self.db = tmp_path / "mm.duckdb"
        self.breadth, self.extra = breadth, extra
        self.configure(names)

    def configure(self, names):
        n = self.breadth or min(2, len(names))
        self.cfg = write_config(
            self.tmp / "monitor.toml",
            tickers=names,
            extra=f"[rules.sector_selloff]\nmin_names_down = {n}\nmin_names_with_cap = {n}\n" + self.extra,
        )

    def run(self, world: YahooWorld, session: dt.date):
        world.tonight = session
        with FakeYahoo(world):
            return materialize_sessions(Runtime(self.db, "yfinance", None), str(self.cfg), [session])

    def sql(self, query, params=None):
        con = duckdb.connect(str(self.db), read_only=True)
        try:
            return con.execute(query, params or []).fetchall()
        finally:
            con.close()
