"""Yahoo's HTTP API faked with `responses`, so yfinance's real request and parsing code runs offline.

Bodies are either recorded (../shared/data/yahoo) or built here in the v8 chart format.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import random
import re
import tempfile
import threading
import time
from zoneinfo import ZoneInfo

import responses

from pipelines import calendar

NY = ZoneInfo("America/New_York")
DAYS = calendar.sessions(dt.date(2025, 10, 1), dt.date(2025, 11, 7))
NOT_FOUND = json.dumps(
    {"chart": {"result": None, "error": {"code": "Not Found", "description": "No data found, symbol may be delisted"}}}
)


def _open_ts(day: dt.date) -> int:
    return int(dt.datetime(day.year, day.month, day.day, 9, 30, tzinfo=NY).timestamp())


def utc_midnight_ts(day: dt.date) -> int:
    """A daily bar stamped 00:00 UTC (the evening before, in New York) instead of at the session's open."""
    return int(dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC).timestamp())


def chart_body(
    symbol: str,
    bars: list[tuple[dt.date, float]],
    splits: dict[dt.date, int] | None = None,
    dividends: dict[dt.date, float] | None = None,
    stamp=_open_ts,
    stray: tuple[dt.datetime, float] | None = None,
    adjusted: list[float] | None = None,
) -> str:
    """A v8 chart response: bars are (session, close); open/high/low equal close, adjclose = close. `stamp`: how a
    session's bar is stamped; `stray`: an extra (time, close) row after the bars (an intraday snapshot); `adjusted`:
    the adjusted closes, when not the closes."""
    ts = [stamp(d) for d, _ in bars]
    closes = [c for _, c in bars]
    adjclose = list(adjusted) if adjusted is not None else list(closes)
    if stray:
        ts.append(int(stray[0].timestamp()))
        closes.append(stray[1])
        adjclose.append(stray[1])
    events = {}
    if splits:
        events["splits"] = {
            str(_open_ts(d)): {"date": _open_ts(d), "numerator": r, "denominator": 1, "splitRatio": f"{r}:1"}
            for d, r in splits.items()
        }
    if dividends:
        events["dividends"] = {str(_open_ts(d)): {"amount": a, "date": _open_ts(d)} for d, a in dividends.items()}
    result = {
        "meta": {
            "currency": "USD",
            "symbol": symbol,
            "exchangeName": "NMS",
            "fullExchangeName": "NasdaqGS",
            "instrumentType": "EQUITY",
            "firstTradeDate": 917015400,
            "regularMarketTime": ts[-1] if ts else 0,
            "hasPrePostMarketData": True,
            "gmtoffset": -14400,
            "timezone": "EDT",
            "exchangeTimezoneName": "America/New_York",
            "priceHint": 2,
            "dataGranularity": "1d",
            "range": "",
            "validRanges": ["1d", "5d", "1mo", "max"],
        },
        "timestamp": ts,
        "indicators": {
            "quote": [{"open": closes, "high": closes, "low": closes, "close": closes, "volume": [1000] * len(closes)}],
            "adjclose": [{"adjclose": adjclose}],
        },
    }
    if events:
        result["events"] = events
    return json.dumps({"chart": {"result": [result], "error": None}})


def statement_body(symbol: str, quarters: dict[dt.date, tuple[float, float]]) -> str:
    """A fundamentals-timeseries reply for the quarterly income statement: per quarter end (diluted EPS, basic
    average shares), the two rows the source reads (yfinance fills the other types it asks for with nothing)."""

    def series(kind: str, index: int) -> dict:
        ends = sorted(quarters)
        return {
            "meta": {"symbol": [symbol], "type": [kind]},
            "timestamp": [int(dt.datetime(d.year, d.month, d.day, tzinfo=dt.UTC).timestamp()) for d in ends],
            kind: [
                {
                    "dataId": 1,
                    "asOfDate": d.isoformat(),
                    "periodType": "3M",
                    "currencyCode": "USD",
                    "reportedValue": {"raw": quarters[d][index], "fmt": str(quarters[d][index])},
                }
                for d in ends
            ],
        }

    return json.dumps(
        {
            "timeseries": {
                "result": [series("quarterlyDilutedEPS", 0), series("quarterlyBasicAverageShares", 1)],
                "error": None,
            }
        }
    )


class YahooWorld:
    """A market Yahoo serves night after night: closes per symbol, of which only the sessions up to `tonight`
    exist yet, cut to the window each chart request asks for (period1..period2), with faults per symbol:
    "404" (unknown symbol), "429" (rate limited), "500"/"503" (an outage), "malformed" (a body that is not JSON) or
    "schema" (JSON in a layout yfinance does not know); a fault given
    as a list is used up one request at a time (["500", "500"]: two failed requests, then answers).
    `delay`: seconds each chart request takes (a real night's latency); `throttle_every`: Yahoo's throttling by
    count, not by clock: every Nth chart request is answered 429 until `throttle_budget` requests have been, so a
    test's outcome is the same on a busy machine as on an idle one; `rate_limit`: chart requests allowed per
    wall-clock second (benchmarks only: its outcome depends on the machine's speed); 429s are counted in
    `throttled`; `hang`: symbols whose requests take
    that many seconds (a request that hangs; `release()` ends every hang at once). `max_in_flight`: the most chart
    requests served at once. `splits`: per symbol {session: ratio}; closes are given on the basis before them and
    served restated for every split up to tonight, as Yahoo does (moving a split's date moves that too). `shares`:
    per symbol {as-of date: count}, served by the share-count endpoint up to tonight. `statements`: per symbol
    {quarter end: (diluted EPS, basic average shares)}, the quarterly income statement. `unrestated`: symbols whose
    splits Yahoo reports while still serving the history before them unrestated (its restatement lags)."""

    def __init__(
        self,
        closes: dict[str, dict[dt.date, float]],
        tonight: dt.date,
        delay: float = 0.0,
        rate_limit: float | None = None,
        throttle_every: int | None = None,
        throttle_budget: int = 0,
    ):
        self.closes = closes
        self.tonight = tonight
        self.splits: dict[str, dict[dt.date, int]] = {}
        self.shares: dict[str, dict[dt.date, float]] = {}
        self.statements: dict[str, dict[dt.date, tuple[float, float]]] = {}
        self.unrestated: set[str] = set()  # symbols whose splits are reported before their history is restated
        self.utc_stamped: set[str] = set()  # symbols whose bars Yahoo stamps 00:00 UTC
        self.strays: dict[str, tuple[dt.datetime, float]] = {}  # symbol -> an intraday row sent after tonight's bar
        # symbol -> (ex-date, factor): from the ex-date on, adjusted closes before it are served times the factor
        self.dividends: dict[str, tuple[dt.date, float]] = {}
        self.faults: dict[str, str] = {}
        self.delay, self.rate_limit = delay, rate_limit
        self.throttle_every, self.throttle_budget = throttle_every, throttle_budget
        self.chart_requests = self.throttled = 0
        self.hang: dict[str, float] = {}
        self._released = threading.Event()
        self.in_flight = self.max_in_flight = 0
        self._lock = threading.Lock()
        self._recent: list[float] = []  # times of the requests answered in the last second

    def _over_limit(self) -> bool:
        with self._lock:
            self.chart_requests += 1
            if self.throttle_every:
                if self.chart_requests % self.throttle_every == 0 and self.throttled < self.throttle_budget:
                    self.throttled += 1
                    return True
                return False
        if self.rate_limit is None:
            return False
        with self._lock:
            now = time.monotonic()
            self._recent = [t for t in self._recent if now - t < 1.0]
            if len(self._recent) >= self.rate_limit:
                self.throttled += 1
                return True
            self._recent.append(now)
            return False

    def answer(self, symbol: str, url: str) -> tuple[int, str]:
        if self._over_limit():
            return 429, "Too Many Requests"
        with self._lock:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            if symbol in self.hang:
                self._released.wait(self.hang[symbol])
            else:
                time.sleep(self.delay)
            return self._answer(symbol, url)
        finally:
            with self._lock:
                self.in_flight -= 1

    def shares_body(self, symbol: str) -> tuple[int, str]:
        """get_shares_full's reply: the counts Yahoo has published up to tonight."""
        counts = sorted((d, n) for d, n in self.shares.get(symbol, {}).items() if d <= self.tonight)
        if not counts:
            return 404, "{}"
        return 200, json.dumps(
            {
                "timeseries": {
                    "result": [{"timestamp": [_open_ts(d) for d, _ in counts], "shares_out": [n for _, n in counts]}],
                    "error": None,
                }
            }
        )

    def _adjusted(self, symbol: str, bars: list[tuple[dt.date, float]]) -> list[float]:
        ex_date, factor = self.dividends.get(symbol, (None, 1.0))
        if ex_date is None or self.tonight < ex_date:
            return [c for _d, c in bars]
        return [c * factor if d < ex_date else c for d, c in bars]

    def release(self) -> None:
        self._released.set()

    def _answer(self, symbol: str, url: str) -> tuple[int, str]:
        fault = self.faults.get(symbol)
        if isinstance(fault, list):
            fault = fault.pop(0) if fault else None
        if fault == "404" or symbol not in self.closes:
            return 404, NOT_FOUND
        if fault in ("429", "500", "503"):
            return int(fault), "Too Many Requests" if fault == "429" else "Internal Server Error"
        if fault == "malformed":
            return 200, "<html>Will be right back</html>"
        if fault == "schema":
            return 200, json.dumps({"chart": {"outcome": [], "status": "ok"}})
        p1 = re.search(r"period1=(\d+)", url)
        p2 = re.search(r"period2=(\d+)", url)
        lo = dt.datetime.fromtimestamp(int(p1[1]), NY).date() if p1 else self.tonight
        hi = dt.datetime.fromtimestamp(int(p2[1]), NY).date() if p2 else self.tonight
        known = {
            d: r for d, r in self.splits.get(symbol, {}).items() if d <= self.tonight and symbol not in self.unrestated
        }
        bars = [
            (d, c / math.prod(r for s, r in known.items() if d < s))  # Yahoo restates history for its splits
            for d, c in sorted(self.closes[symbol].items())
            if lo <= d <= min(hi, self.tonight)
        ]
        if not p1:  # range=1d: yfinance asks for the exchange's timezone with the last bar only
            bars = bars[-1:]
        return 200, chart_body(
            symbol,
            bars,
            splits={d: r for d, r in self.splits.get(symbol, {}).items() if lo <= d <= min(hi, self.tonight)},
            stamp=utc_midnight_ts if symbol in self.utc_stamped else _open_ts,
            adjusted=self._adjusted(symbol, bars),
            stray=self.strays.get(symbol) if p1 else None,
        )


class FakeYahoo:
    """Serves chart bodies per symbol (None -> 404 'symbol may be delisted'), or a YahooWorld's answers;
    records what was asked."""

    def __init__(self, charts: dict[str, str | None] | YahooWorld, timeseries: dict[str, str] | None = None):
        self.charts = charts
        self.timeseries = timeseries or {}
        self.requests: list[str] = []
        self.mock = responses.RequestsMock(assert_all_requests_are_fired=False)

    def _chart(self, request):
        self.requests.append(request.url)
        symbol = re.search(r"/v8/finance/chart/([^?]+)", request.url)[1].replace("%5E", "^")
        if isinstance(self.charts, YahooWorld):
            status, body = self.charts.answer(symbol, request.url)
            return status, {}, body
        body = self.charts.get(symbol)
        return (404, {}, NOT_FOUND) if body is None else (200, {}, body)

    def _timeseries(self, request):
        self.requests.append(request.url)
        symbol = re.search(r"/timeseries/([^?]+)", request.url)[1]
        if isinstance(self.charts, YahooWorld):  # the world serves share counts (no `type=`), no statements
            if "type=" not in request.url:
                status, body = self.charts.shares_body(symbol)
            else:
                quarters = self.charts.statements.get(symbol, {})
                known = {d: v for d, v in quarters.items() if d <= self.charts.tonight}
                status, body = (200, statement_body(symbol, known)) if known else (404, "{}")
            return status, {}, body
        body = self.timeseries.get(symbol)
        return (404, {}, "{}") if body is None else (200, {}, body)

    def __enter__(self):
        import yfinance as yf
        from yfinance import cache, data

        # yfinance keeps process-wide state (a timezone cache, an lru_cache of GET replies): start clean.
        cache._TzCacheManager._tz_cache = None
        yf.set_tz_cache_location(tempfile.mkdtemp(prefix="yf-tz-"))
        data.YfData.cache_get.cache_clear()
        self.mock.__enter__()
        self.mock.get("https://fc.yahoo.com/", status=404, body="")
        self.mock.get(re.compile(r"https://query[12]\.finance\.yahoo\.com/v1/test/getcrumb.*"), body="crumb")
        self.mock.add_callback(
            "GET", re.compile(r"https://query[12]\.finance\.yahoo\.com/v8/finance/chart/.*"), callback=self._chart
        )
        self.mock.add_callback(
            "GET",
            re.compile(r"https://query[12]\.finance\.yahoo\.com/ws/fundamentals-timeseries/.*"),
            callback=self._timeseries,
        )
        # quoteSummary lookups yfinance makes for a failed symbol: 404. Patterns must not overlap: `responses`
        # consumes a registration when several match.
        self.mock.add_callback(
            "GET", re.compile(r"https://(query[12]\.finance\.yahoo\.com/v10/|guce\.).*"), callback=self._other
        )
        return self

    def _other(self, request):
        self.requests.append(request.url)
        return (404, {}, "{}")

    def __exit__(self, *exc):
        return self.mock.__exit__(*exc)


def universe(n: int, seed: int = 7) -> dict[str, dict[dt.date, float]]:
    """n synthetic names (S000..) with random closes over October-November 2025, and a flat ^IXIC."""
    rng = random.Random(seed)
    closes = {f"S{i:03d}": {d: round(50 + 100 * rng.random(), 2) for d in DAYS} for i in range(n)}
    closes["^IXIC"] = {d: 23_000.0 for d in DAYS}
    return closes
