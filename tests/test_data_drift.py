"""Data that drifts (issue 21): rescaled share series, names that leave, restated history, odd timestamps, two
rows for one session, causes, point-in-time counts. Each scenario runs the real graph against a fake Yahoo at the
HTTP layer, night after night, and checks what the tables, the checks and Slack say."""

import datetime as dt

import pytest

from pipelines import calendar
from pipelines.sources import yahoo
from pipelines.storage import ingest
from tests.support.live_night import Night, world

# the graph against a fake Yahoo served through requests: run by CI, not the fast loop
pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("yahoo_over_requests")]

D = dt.date
SIX = ["NVDA", "PLTR", "ORCL", "META", "AMD", "CRWV"]


@pytest.fixture
def evening(monkeypatch):
    """The evening the run believes it is (tonight's session and the fetch clock)."""
    now = {"of": D(2025, 11, 3)}
    monkeypatch.setattr(yahoo.YFinanceSource, "tonight", lambda self, end: now["of"])
    monkeypatch.setattr(ingest, "utcnow", lambda: dt.datetime.combine(now["of"], dt.time(23, 30)))
    return now


def nights(night, market, evening, sessions):
    for session in sessions:
        evening["of"] = session
        report = night.run(market, session)
        assert report.success, report.error
    return report


def checks(report) -> dict:
    return {(a, c): (ok, desc) for a, c, ok, _s, desc in report.checks}


def test_a_name_that_stops_arriving_does_not_hide_a_sector_sell_off(tmp_path, evening, slack, monkeypatch):
    """CRWV answers 404 night after night from 2025-11-03. On 11-06 the five others fall 12% and ^IXIC 5%: the sector
    rule is decided on the five (they carry it), the alert says which name it could not see, and the daily_prices
    check says CRWV has stopped arriving and what to do about it."""
    for key, value in slack.env().items():
        monkeypatch.setenv(key, value)
    market = world(names=SIX)
    crash = D(2025, 11, 6)
    for name in SIX:
        market.closes[name] = {d: (88.0 if d >= crash else 100.0) for d in market.closes[name]}
        market.shares[name] = {D(2025, 1, 2): 1e9}
    market.closes["^IXIC"] = {d: (19_000.0 if d >= crash else 20_000.0) for d in market.closes["^IXIC"]}
    night = Night(tmp_path, names=SIX, breadth=4)
    nights(night, market, evening, [D(2025, 10, 31)])
    market.faults["CRWV"] = "404"
    report = nights(night, market, evening, [D(2025, 11, 3), D(2025, 11, 4), D(2025, 11, 5), crash])

    [finding] = night.sql("SELECT metrics FROM alerts WHERE rule = 'sector_selloff' AND as_of = ?", [crash])
    assert '"missing_tickers": ["CRWV"]' in finding[0]
    [sent] = [p["text"] for p in slack.posts() if "AI leaders: Sector sell-off" in p["text"]]
    assert "5 of 5 names with a bar fell 5% or more" in sent and "No bar for CRWV: decided on the other 5." in sent
    ok, desc = checks(report)[("daily_prices", "names_arriving")]
    assert not ok
    assert "CRWV: no bar for 4 sessions (last 2025-10-31)" in desc and "monitor.toml" in desc


def test_a_share_history_resent_rescaled_is_held_and_never_replaces_stored_counts(tmp_path, evening):
    """One refresh, Yahoo sends NVDA's whole count history in thousands (24.3M instead of 24.3B): the resent counts
    contradict the ones stored for the same dates, so none of them replaces a stored count or confirms another;
    caps keep the stored counts and the shares_confirmed check names what was held."""
    market = world()
    market.closes["NVDA"] = {d: 190.0 for d in market.closes["NVDA"]}
    counts = {D(2025, 4, 27): 24.388e9, D(2025, 7, 27): 24.347e9, D(2025, 10, 26): 24.305e9}
    market.shares = {"NVDA": dict(counts), "AMD": {D(2025, 10, 24): 1.62e9}, "META": {D(2025, 10, 24): 2.52e9}}
    night = Night(tmp_path, extra="[fundamentals]\nrefresh_after_days = 0\n")
    nights(night, market, evening, [D(2025, 11, 5)])

    market.shares["NVDA"] = {d: n / 1000 for d, n in counts.items()} | {D(2025, 11, 5): 24.3e6}
    report = nights(night, market, evening, [D(2025, 11, 6)])
    stored = night.sql("SELECT date, shares FROM shares_outstanding WHERE ticker = 'NVDA' ORDER BY date")
    assert stored == sorted(counts.items())
    cap = night.sql("SELECT market_cap FROM metrics_daily WHERE ticker = 'NVDA' AND date = '2025-11-06'")
    assert cap == [(190.0 * 24.305e9,)]
    ok, desc = checks(report)[("shares_outstanding", "shares_confirmed")]
    assert not ok and "NVDA 2025-10-26: 2.43e+07 shares held (-99.9% against 2.43e+10 on 2025-10-26" in desc
    assert "NVDA 2025-11-05: 2.43e+07 shares held" in desc

    market.shares["NVDA"] = dict(counts) | {D(2025, 11, 7): 24.30e9}  # Yahoo back to the truth
    report = nights(night, market, evening, [D(2025, 11, 7)])
    assert checks(report)[("shares_outstanding", "shares_confirmed")][0]
    assert night.sql("SELECT max(shares) < 25e9 AND min(shares) > 24e9 FROM shares_outstanding WHERE ticker = 'NVDA'")[
        0
    ][0]


def test_the_message_says_what_its_figures_cover(tmp_path, evening, slack, monkeypatch):
    """A history replayed with --notify-history: NVDA drops 12% on 10-15 and again on 11-03 (two episodes), META on
    10-16 and 11-03, ^IXIC -5% on 11-03; AMD has no share count and no EPS, META's EPS is negative. The 10-16 digest
    lists NVDA as still firing since 10-15 (not since the later episode's 11-03); the 11-03 sell-off says its dollar
    figure leaves AMD out; the table shows P/E 'n/a' for AMD (no EPS) and 'n/m' for META (EPS < 0)."""
    from pipelines.config import Runtime
    from pipelines.orchestration.execution import materialize_sessions
    from tests.support.fake_yahoo import FakeYahoo

    for key, value in slack.env().items():
        monkeypatch.setenv(key, value)
    market = world()

    def path(first: D, second: D):
        return lambda d: 100.0 if d < first else 88.0 if d < second else 77.0

    for name, steps in {
        "NVDA": path(D(2025, 10, 15), D(2025, 11, 3)),
        "META": path(D(2025, 10, 16), D(2025, 11, 3)),
    }.items():
        market.closes[name] = {d: steps(d) for d in market.closes[name]}
    market.closes["AMD"] = {d: 100.0 for d in market.closes["AMD"]}
    market.closes["^IXIC"] = {d: 19_000.0 if d >= D(2025, 11, 3) else 20_000.0 for d in market.closes["^IXIC"]}
    market.shares = {"NVDA": {D(2025, 1, 2): 24e9}, "META": {D(2025, 1, 2): 2.5e9}}
    quarters = [D(2024, 9, 30), D(2024, 12, 31), D(2025, 3, 31), D(2025, 6, 30), D(2025, 9, 30)]
    market.statements = {"NVDA": {q: (1.0, 24e9) for q in quarters}, "META": {q: (-1.0, 2.5e9) for q in quarters}}
    night = Night(tmp_path)
    evening["of"] = TONIGHT = D(2025, 11, 7)
    market.tonight = TONIGHT
    with FakeYahoo(market):
        report = materialize_sessions(
            Runtime(night.db, "yfinance", None),
            str(night.cfg),
            calendar.sessions(D(2025, 10, 13), TONIGHT),
            tags={"market_monitor/notify_history": "true"},
        )
    assert report.success, report.error
    texts = {p["text"].splitlines()[0]: p["text"] for p in slack.posts()}
    [oct16] = [t for head, t in texts.items() if "— 2025-10-16 (" in head]
    assert "Still firing: 5-session drop, NVDA since 2025-10-15" in oct16
    [nov3] = [t for head, t in texts.items() if "— 2025-11-03 (" in head and "sector" in head.lower()]
    assert "summed over 2 of 3 names (no market cap: AMD)" in nov3
    table = {line.split()[0]: line.split()[-1] for line in nov3.splitlines() if line.startswith(("AMD ", "META "))}
    assert table == {"AMD": "n/a", "META": "n/m"}


def test_each_failure_is_named_by_what_yahoo_sent(tmp_path, evening):
    """A 503 outage, a reply that is not JSON and a reply in an unknown layout were all 'not found (unknown or
    delisted symbol)' or 'no reason given' (yfinance's words for every failure): each is named by Yahoo's reply."""
    market = world(names=["NVDA", "AMD", "META", "PLTR"])
    market.faults.update({"NVDA": "503", "AMD": "malformed", "META": "schema"})
    report = nights(Night(tmp_path, names=["NVDA", "AMD", "META", "PLTR"]), market, evening, [D(2025, 11, 7)])
    problems = report.metadata["daily_prices"]["source_problems"]
    assert "NVDA: no bars from Yahoo (Yahoo server error (HTTP 503): an outage, not the symbol)" in problems
    assert "AMD: no bars from Yahoo (Yahoo's reply was not JSON (HTTP 200, 31 bytes))" in problems
    assert (
        "META: no bars from Yahoo (Yahoo's reply has an unknown layout (no chart.result): its API may have changed)"
        in problems
    )


def test_a_night_yahoo_is_down_fails_with_the_outage_as_its_cause(tmp_path, evening):
    from pipelines.config import Runtime
    from pipelines.orchestration.execution import materialize_sessions
    from tests.support.fake_yahoo import FakeYahoo

    market = world()
    market.faults.update({name: "503" for name in [*market.closes]})
    night = Night(tmp_path)
    evening["of"] = market.tonight = D(2025, 11, 7)
    with FakeYahoo(market):
        report = materialize_sessions(Runtime(night.db, "yfinance", None), str(night.cfg), [D(2025, 11, 7)], retries=0)
    assert not report.success and report.failed_step == "daily_prices"
    assert "Yahoo server error (HTTP 503): an outage, not the symbol" in report.error


def test_bars_stamped_at_utc_midnight_are_dated_by_their_session(tmp_path, evening):
    """One night Yahoo stamps NVDA's daily bars 00:00 UTC: read exchange-local each is the evening before, so
    yfinance dates every bar a session early (Monday's on a Sunday). Each is dated by its UTC day instead: the
    stored bars stay Yahoo's, the night says what it corrected, and the next normal night changes nothing."""
    market = world()
    night = Night(tmp_path)
    nights(night, market, evening, [D(2025, 11, 5)])
    market.utc_stamped = {"NVDA"}
    report = nights(night, market, evening, [D(2025, 11, 6)])
    assert any(
        "NVDA: Yahoo stamped" in p and "00:00 UTC" in p for p in report.metadata["daily_prices"]["source_problems"]
    )
    market.utc_stamped = set()
    nights(night, market, evening, [D(2025, 11, 7)])
    stored = dict(night.sql("SELECT date, close FROM prices_daily WHERE ticker = 'NVDA' AND date >= '2025-10-01'"))
    assert stored == {d: c for d, c in market.closes["NVDA"].items() if D(2025, 10, 1) <= d <= D(2025, 11, 7)}


def test_a_stray_intraday_row_beside_tonights_bar_never_becomes_tonights_close(tmp_path, evening):
    """Yahoo sends an intraday snapshot (15:30, NVDA at 57) after tonight's real bar: yfinance keeps the last row of
    a day, so 57 became NVDA's close ('NVDA lost $1.39T'). Two rows that disagree are neither trusted: tonight has
    no NVDA bar (named; the sector rule goes on without it), no alert, and the next night brings the real one."""
    market = world()
    market.shares = {n: {D(2025, 1, 2): 24e9} for n in market.closes if n != "^IXIC"}
    night = Night(tmp_path)
    nights(night, market, evening, [D(2025, 11, 5)])
    market.strays["NVDA"] = (dt.datetime(2025, 11, 6, 15, 30, tzinfo=dt.timezone(dt.timedelta(hours=-5))), 57.0)
    report = nights(night, market, evening, [D(2025, 11, 6)])
    problems = report.metadata["daily_prices"]["source_problems"]
    assert any(p.startswith("NVDA 2025-11-06: Yahoo sent 2 rows that disagree (09:30 ") for p in problems), problems
    assert night.sql("SELECT count(*) FROM prices_daily WHERE ticker = 'NVDA' AND date = '2025-11-06'") == [(0,)]
    assert night.sql("SELECT rule FROM alerts WHERE subject = 'NVDA'") == []
    del market.strays["NVDA"]
    nights(night, market, evening, [D(2025, 11, 7)])
    assert night.sql("SELECT close FROM prices_daily WHERE ticker = 'NVDA' AND date = '2025-11-06'") == [
        (market.closes["NVDA"][D(2025, 11, 6)],)
    ]


def test_adjusted_closes_restated_beyond_the_re_read_window_never_mix_bases(tmp_path, evening):
    """NVDA goes ex-dividend on 2025-11-05 (a 10% special dividend): from then Yahoo serves every adjusted close
    before it times 0.9, but a night re-reads only its last 10 sessions. The stored bars before them are put on the
    same basis: no 5-session return spans two bases, so no false 'NVDA -10%' (stock_drop_5d) reaches alerts."""
    market = world()
    market.closes["NVDA"] = {d: 100.0 for d in market.closes["NVDA"]}
    night = Night(tmp_path)
    nights(night, market, evening, [D(2025, 11, 4)])
    market.dividends["NVDA"] = (D(2025, 11, 5), 0.9)
    report = nights(night, market, evening, [D(2025, 11, 5), D(2025, 11, 6)])
    assert night.sql("SELECT rule, as_of FROM alerts WHERE subject = 'NVDA'") == []
    stored = night.sql(
        "SELECT count(*) FILTER (WHERE abs(adj_close - 90) > 1e-9) FROM prices_daily "
        "WHERE ticker = 'NVDA' AND date < '2025-11-05'"
    )
    assert stored == [(0,)]
    worst = night.sql("SELECT min(return_5d) FROM metrics_daily WHERE ticker = 'NVDA' AND date >= '2025-10-01'")
    assert worst[0][0] > -0.01
    assert report.success
