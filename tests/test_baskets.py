"""Several baskets in one database: each symbol stored once, each basket decided with its own thresholds and sent to
its own destinations, exactly as it would be alone; a delivery that fails at one destination never re-sends to
another; silences per basket; a database from before baskets keeps its history as the first basket's."""

from __future__ import annotations

import datetime as dt
import shutil

from pipelines import rules
from pipelines.channels.notify import notify
from pipelines.channels.routes import Route, Routes
from pipelines.channels.slack import SlackSettings
from pipelines.config import Basket, MonitorConfig, parse_config
from pipelines.domain import silences
from pipelines.rules.stock_drop_5d import Settings as StockDrop
from pipelines.storage import store
from tests.support.fake_smtp import FakeSMTP
from tests.support.scenario import Market

AI = ["AAA", "BBB", "CCC", "DDD"]
CHIPS = ["AAA", "BBB", "EEE"]  # AAA and BBB are in both baskets


class Inbox:
    """A channel double that keeps what it was sent (the notifier seam's test double)."""

    can_look_up = True

    def __init__(self, destination: str):
        self.destination, self.sent = destination, []

    def post(self, message, thread_ts, notification_id):
        self.sent.append((message.text, thread_ts, notification_id))
        return self.destination, str(len(self.sent))

    def find_posted(self, notification_id, since, thread_ts=None):
        return None

    def failure(self, exc):  # pragma: no cover - never fails
        raise AssertionError(exc)


def two_baskets() -> MonitorConfig:
    base = MonitorConfig()
    ai = base.baskets[0].replace(tickers=AI, benchmark="^IXIC")
    chips_rules = base.rules.replace(stock_drop_5d=StockDrop(return_5d=-0.05))  # a tighter threshold, chips only
    chips = Basket(name="chips", title="Chip makers", tickers=CHIPS, benchmark="^GSPC", rules=chips_rules)
    return base.replace(baskets=(ai, chips))


def crash_both(path, cfg: MonitorConfig) -> tuple[Market, list[dt.date]]:
    """AAA..DDD fall 8% on session 10 with ^IXIC -2.5%; EEE and ^GSPC stay flat: the AI basket's sector sell-off
    holds, and the chip makers' tighter stock-drop threshold catches AAA and BBB."""
    m = Market(path, AI)
    m.cfg = cfg
    values = {n: [100.0] * 10 + [92.0] * 8 for n in AI}
    values |= {"EEE": [100.0] * 18, "^IXIC": [1000.0] * 10 + [975.0] * 8, "^GSPC": [1000.0] * 18}
    days = m.many_series("2025-10-20", values, {n: 1e9 for n in [*AI, "EEE"]})
    rules.store_findings(m.con, m.compute(days[0], days[-1]), days[0], days[-1])
    return m, days


def nights(m: Market, days, routes) -> None:
    for night in days[10:17]:
        notify(m.con, m.cfg, night, {night}, routes, run_url=None)


def routed(cfg: MonitorConfig) -> tuple[Routes, dict[str, Inbox]]:
    inboxes = {b.name: Inbox(f"test:{b.name}") for b in cfg.baskets}
    return Routes({b.name: [Route(b.name, inboxes[b.name].destination, inboxes[b.name])] for b in cfg.baskets}), inboxes


def test_each_basket_gets_its_own_digests_exactly_as_it_would_alone(tmp_path):
    cfg = two_baskets()
    m, days = crash_both(tmp_path / "both.duckdb", cfg)
    routes, inboxes = routed(cfg)
    nights(m, days, routes)
    # each symbol once in metrics_daily; each basket's own rows in watchlist_daily
    assert (
        m.con.execute("SELECT count(*) FROM metrics_daily WHERE ticker = 'AAA' AND date = ?", [days[10]]).fetchone()[0]
        == 1
    )
    assert m.con.execute("SELECT DISTINCT basket FROM watchlist_daily ORDER BY 1").fetchall() == [("ai",), ("chips",)]
    ai_texts = [t for t, _, _ in inboxes["ai"].sent]
    chips_texts = [t for t, _, _ in inboxes["chips"].sent]
    assert ai_texts[0].startswith("[CRITICAL] AI leaders: Sector sell-off") and "EEE" not in ai_texts[0]
    assert chips_texts[0].startswith("[WARNING] Chip makers: 5-session drop, AAA")
    assert "5-session drop, BBB (new, warning): BBB -8.0% over 5 sessions" in chips_texts[0]
    assert not any("Sector sell-off" in t for t in chips_texts)  # ^GSPC stayed flat: no sector sell-off there
    assert not any("5-session drop" in t for t in ai_texts)  # -8% is not the AI basket's -10%
    # the same nights with each basket alone as the only watchlist: the same messages, in the same threads
    for basket in cfg.baskets:
        alone = cfg.replace(baskets=(basket,))
        solo, _ = crash_both(tmp_path / f"{basket.name}.duckdb", alone)
        solo_routes, solo_inboxes = routed(alone)
        nights(solo, days, solo_routes)
        assert solo_inboxes[basket.name].sent == inboxes[basket.name].sent, basket.name


def test_one_destination_failing_is_retried_alone_and_the_other_is_not_sent_again(tmp_path, slack):
    """The AI basket goes to Slack and to e-mail. The mail server refuses the first night (451): Slack has its
    message once, the mail stays queued; the next run mails it, and Slack is not posted to again."""
    data = {
        "baskets": {
            "ai": {"title": "AI leaders", "tickers": AI, "benchmark": "^IXIC", "destinations": ["team", "risk"]}
        },
        "destinations": {
            "team": {"kind": "slack", "channel": "#ai-selloff"},
            "risk": {"kind": "email", "to": ["risk@example.com"], "sender": "mm@example.com"},
        },
    }
    cfg = parse_config(data)
    m, days = crash_both(tmp_path / "mm.duckdb", cfg)
    night = days[10]
    with FakeSMTP() as smtp:
        env = {**slack.env(), "SMTP_HOST": smtp.host}
        routes = Routes.build(cfg, SlackSettings.from_env(env), env)
        assert sorted(routes.senders) == ["email:risk", "slack:#ai-selloff"]
        smtp.refuse = 451
        first = notify(m.con, m.cfg, night, {night}, routes, run_url=None)
        assert len(slack.posts()) == 1 and smtp.received == []
        assert first.delivery.still_pending == 1 and "451" in first.delivery.cause
        rows = m.con.execute("SELECT destination, status FROM outbox ORDER BY destination").fetchall()
        assert rows == [("email:risk", "pending"), ("slack:#ai-selloff", "delivered")]
        smtp.refuse = None
        second = notify(m.con, m.cfg, night, {night}, Routes.build(cfg, SlackSettings.from_env(env), env), None)
    assert second.delivery.still_pending == 0 and len(slack.posts()) == 1  # Slack: still the one message
    [(sender, to, mail)] = smtp.received
    assert (sender, to) == ("<mm@example.com>", ["risk@example.com"])
    assert mail["Subject"].startswith("[CRITICAL] AI leaders: Sector sell-off")
    assert "AI leaders lost $" in mail.get_content() and mail["X-Market-Monitor-Notification"] == first.queued[0]
    assert "re-sent" in mail.get_content()  # SMTP cannot be searched: the retry says it may be a second copy


def test_a_destination_without_its_secret_is_a_named_dry_run_beside_the_others(tmp_path, slack):
    cfg = parse_config(
        {
            "baskets": {"ai": {"tickers": AI, "benchmark": "^IXIC", "destinations": ["team", "desk"]}},
            "destinations": {
                "team": {"kind": "slack", "channel": "#ai-selloff"},
                "desk": {"kind": "slack_webhook", "url_env": "DESK_WEBHOOK"},
            },
        }
    )
    m, days = crash_both(tmp_path / "mm.duckdb", cfg)
    env = slack.env()
    report = notify(m.con, m.cfg, days[10], {days[10]}, Routes.build(cfg, SlackSettings.from_env(env), env), None)
    assert len(slack.posts()) == 1 and not report.dry_run
    assert "desk: dry run (DESK_WEBHOOK is not set)" in report.summary()
    rows = m.con.execute("SELECT destination, status FROM outbox ORDER BY destination").fetchall()
    assert rows == [("slack:#ai-selloff", "delivered"), ("slack:webhook:desk", "dry_run")]


def test_a_silence_of_one_basket_leaves_the_other_basket_loud(tmp_path):
    cfg = two_baskets()
    m, days = crash_both(tmp_path / "mm.duckdb", cfg)
    known = {b.name: [*b.tickers, b.benchmark, rules.WATCHLIST] for b in cfg.baskets}
    with store.transaction(m.con):
        silences.add(
            m.con,
            "stock_drop_5d",
            "AAA",
            days[-1],
            "chips desk on it",
            "ops",
            dt.datetime(2025, 11, 1),
            known,
            basket="chips",
        )
    routes, inboxes = routed(cfg)
    nights(m, days, routes)
    chips = inboxes["chips"].sent[0][0]
    assert chips.startswith("[WARNING] Chip makers: 5-session drop, BBB") and "AAA -8.0% over 5" not in chips
    assert "Silenced (recorded, not sent): 5-session drop, AAA in chips, until" in chips
    assert "Silenced" not in inboxes["ai"].sent[0][0]  # the silence is the chip makers' alone
    silenced = m.con.execute(
        "SELECT basket, silenced_by IS NOT NULL FROM alert_events WHERE subject = 'AAA' AND rule = 'stock_drop_5d'"
    ).fetchall()
    assert ("chips", True) in silenced


def test_a_database_from_before_baskets_keeps_its_history_as_the_first_baskets(tmp_path, monkeypatch):
    """Schema 13 (one watchlist), an announced episode in it; after the migration the rows carry the basket, the
    episode keeps its thread, and its resolve goes into the thread of the message sent before the migration."""
    from pipelines import sqlfiles

    path = tmp_path / "old.duckdb"
    con = store.connect(path)
    monkeypatch.setattr(store, "migrations", lambda: [m for m in sqlfiles.migrations() if m[0] <= 13])
    store.migrate(con)
    assert "basket" not in [r[0] for r in con.execute("DESCRIBE alerts").fetchall()]
    con.execute("INSERT INTO alerts VALUES ('stock_drop_5d', 'AAA', '2025-11-03', 'warning', '{}', 'old')")
    con.execute(
        "INSERT INTO alert_events (episode_key, rule, subject, opened_on, session, transition, severity, message, "
        "notify, notification_id, recorded_at) VALUES ('stock_drop_5d|AAA|2025-11-03', 'stock_drop_5d', 'AAA', "
        "'2025-11-03', '2025-11-03', 'open', 'warning', 'old', true, 'digest:2025-11-03:abc', now())"
    )
    con.execute(
        "INSERT INTO outbox (notification_id, session, kind, text, blocks, status, created_at, destination, ts) "
        "VALUES ('digest:2025-11-03:abc', '2025-11-03', 'digest', 'old', '[]', 'delivered', now(), "
        "'slack:#ai-selloff', '111.1')"
    )
    con.close()
    monkeypatch.undo()
    shutil.copy(path, tmp_path / "copy.duckdb")
    con = store.connect(path)
    store.prepare(con, first_basket="leaders")
    assert con.execute("SELECT basket, rule, subject FROM alerts").fetchall() == [("leaders", "stock_drop_5d", "AAA")]
    assert con.execute("SELECT episode_key, basket FROM alert_events").fetchall() == [
        ("leaders|stock_drop_5d|AAA|2025-11-03", "leaders")
    ]
    assert con.execute("SELECT basket, destination, ts FROM outbox").fetchall() == [
        ("leaders", "slack:#ai-selloff", "111.1")
    ]
    # the resolve after the migration answers the thread of the message sent before it
    from pipelines.channels import outbox

    assert outbox._thread_parent(con, "leaders|stock_drop_5d|AAA|2025-11-03") == "digest:2025-11-03:abc"
    parent = con.execute(
        "SELECT status, ts FROM outbox WHERE notification_id = 'digest:2025-11-03:abc' "
        "AND destination = 'slack:#ai-selloff'"
    ).fetchall()
    assert parent == [("delivered", "111.1")]


def test_a_mail_server_variable_that_is_not_host_and_port_is_named(tmp_path):
    import pytest

    from pipelines.config import ConfigError

    cfg = parse_config(
        {
            "baskets": {"ai": {"tickers": AI, "benchmark": "^IXIC", "destinations": ["risk"]}},
            "destinations": {"risk": {"kind": "email", "to": ["risk@example.com"]}},
        }
    )
    with pytest.raises(ConfigError, match=r"SMTP_HOST: 'mail:twenty-five' is not host\[:port\] \(destination risk\)"):
        Routes.build(cfg, SlackSettings(), {"SMTP_HOST": "mail:twenty-five"})
    routes = Routes.build(cfg, SlackSettings(), {"SMTP_HOST": "mail.example:2525"})
    assert routes.senders["email:risk"].port == 2525
