"""What Yahoo's chart endpoint actually answered, per symbol, seen through the HTTP session yfinance uses.

yfinance turns every failed reply into "possibly delisted" (a 503 outage, a body that is not JSON) or a bare
KeyError (a changed schema), and it dates daily bars by their exchange-local day before we see them: a bar stamped
00:00 UTC lands one session early, and a stray intraday row for tonight replaces the real bar. The session is
wrapped (its `get`, which yfinance calls) so each chart reply's status, shape and raw stamps are kept: the cause of
a failure is named from what Yahoo sent, and the bars yfinance parsed are checked against the stamps.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import threading
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

CHART = re.compile(r"/v8/finance/chart/([^/?]+)")
SERVER_ERRORS = range(500, 600)
SAME_CLOSE = 1e-3  # two rows for one session agree when their closes are this close (relative)
# causes named alike whether read from a reply here or from yfinance's log (sources/yahoo.py CAUSES)
RATE_LIMITED = "rate limited by Yahoo (HTTP 429)"
NOT_FOUND = "not found (unknown or delisted symbol)"


@dataclass
class Reply:
    status: int
    problem: str | None = None  # the reply's cause of failure, or None for a usable one
    stamps: list[tuple[int, float | None]] = field(default_factory=list)  # (epoch seconds, close) as sent
    timezone: str = "America/New_York"


def cause_of(status: int, body: str) -> Reply:
    """A chart reply read as Yahoo sent it: its cause of failure (None when usable) and its bars' raw stamps."""
    if status == 429:
        return Reply(status, RATE_LIMITED)
    if status in SERVER_ERRORS:
        return Reply(status, f"Yahoo server error (HTTP {status}): an outage, not the symbol")
    try:
        payload = json.loads(body)
    except ValueError:
        return Reply(status, f"Yahoo's reply was not JSON (HTTP {status}, {len(body)} bytes)")
    chart = payload.get("chart") if isinstance(payload, dict) else None
    if not isinstance(chart, dict) or not ("result" in chart or "error" in chart):
        return Reply(status, "Yahoo's reply has an unknown layout (no chart.result): its API may have changed")
    if status == 404 or not chart.get("result"):
        return Reply(status, NOT_FOUND)
    result = chart["result"][0]
    try:
        closes = result["indicators"]["quote"][0].get("close") or []
        stamps = list(zip(result.get("timestamp") or [], closes, strict=False))
        zone = result.get("meta", {}).get("exchangeTimezoneName") or "America/New_York"
    except (KeyError, IndexError, TypeError, AttributeError):
        return Reply(status, "Yahoo's reply has an unknown layout (no indicators.quote): its API may have changed")
    return Reply(status, None, stamps, zone)


class ChartReplies:
    """The newest chart reply per symbol, recorded by a wrapped session (`watch`)."""

    def __init__(self):
        self._lock = threading.Lock()
        self.replies: dict[str, Reply] = {}

    def watch(self, session):
        """`session` with its `get` recording chart replies (the object yfinance is given: still its own type)."""
        original = session.get

        def get(*args, **kwargs):
            response = original(*args, **kwargs)
            url = str(kwargs.get("url") or (args[0] if args else ""))
            params = kwargs.get("params") or {}
            probe = "range=1d" in url or (isinstance(params, dict) and params.get("range") == "1d")
            match = CHART.search(url)
            if match:
                symbol = match[1].replace("%5E", "^")
                reply = cause_of(response.status_code, response.text)
                # yfinance's timezone probe (one bar, stamped at any hour) counts for its failure only: when it
                # fails, yfinance asks for nothing else
                if not (probe and reply.problem is None):
                    with self._lock:
                        self.replies[symbol] = reply
            return response

        session.get = get
        return session

    def cause(self, symbol: str) -> str | None:
        reply = self.replies.get(symbol)
        return reply.problem if reply else None

    def session_dates(self, symbol: str) -> tuple[dict[dt.date, dt.date], list[tuple[dt.date, str]]]:
        """For the symbol's last reply: {the day yfinance dated a bar (exchange-local) -> the session it is for},
        and the sessions whose bar cannot be trusted (two rows that disagree), described.

        A daily bar is stamped at the session's open or its exchange-local midnight; one stamped 00:00 UTC is the
        UTC day's bar (read exchange-local it is the evening before). A row stamped at any other hour beside the
        session's bar is a stray intraday snapshot: harmless if it agrees with the bar, else neither is trusted."""
        reply = self.replies.get(symbol)
        if reply is None or reply.problem:
            return {}, []
        zone = ZoneInfo(reply.timezone)
        moved: dict[dt.date, dt.date] = {}
        rows: dict[dt.date, list[tuple[dt.datetime, float | None]]] = {}
        for stamp, close in reply.stamps:
            utc = dt.datetime.fromtimestamp(stamp, dt.UTC)
            local = utc.astimezone(zone)
            session = utc.date() if utc.time() == dt.time(0) and local.date() != utc.date() else local.date()
            moved[local.date()] = session
            rows.setdefault(session, []).append((local, close))
        doubtful = []
        for session, found in sorted(rows.items()):
            closes = [c for _t, c in found if c is not None]
            if len(found) > 1 and closes and max(closes) > min(closes) * (1 + SAME_CLOSE):
                stamps = ", ".join(f"{t:%H:%M} {c:g}" for t, c in found if c is not None)
                doubtful.append(
                    (session, f"{symbol} {session}: Yahoo sent {len(found)} rows that disagree ({stamps}); not stored")
                )
        return {k: v for k, v in moved.items() if k != v}, doubtful

    def forget(self, symbols: list[str]) -> None:
        """Before asking again: a reply that does not come (a hang) must not leave an older one as its cause."""
        with self._lock:
            for symbol in symbols:
                self.replies.pop(symbol, None)

    def common_cause(self, symbols: list[str]) -> str | None:
        """The cause most of the symbols' replies gave (a night when nothing arrived has one cause, mostly)."""
        causes = [c for c in (self.cause(s) for s in symbols) if c]
        return max(sorted(set(causes)), key=causes.count) if causes else None  # ties: the same one every time

    def check_dates(self, batch):
        """The batch yfinance parsed, its bars dated by the sessions Yahoo stamped them for (see session_dates); a
        session whose rows disagree loses its bar (refused and named: re-read on a later night)."""
        if batch.prices.empty:
            return batch
        for symbol in sorted(set(batch.prices["ticker"])):
            moved, doubtful = self.session_dates(symbol)
            if moved:
                for frame, column in ((batch.prices, "date"), (batch.splits, "date"), (batch.dividends, "ex_date")):
                    mine = frame["ticker"] == symbol
                    frame.loc[mine, column] = frame.loc[mine, column].map(lambda d, m=moved: m.get(d, d))
                batch.problems.append(
                    f"{symbol}: Yahoo stamped {len(moved)} bar(s) at 00:00 UTC (read exchange-local, each is a "
                    "session early): dated by their UTC day"
                )
            if doubtful:
                drop = batch.prices["ticker"].eq(symbol) & batch.prices["date"].isin([d for d, _why in doubtful])
                batch.prices = batch.prices[~drop].reset_index(drop=True)
                batch.problems += [why for _d, why in doubtful]
        return batch
