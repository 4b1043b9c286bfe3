"""The notifier seam: the outbox, lifecycle and messages work with any channel that implements Notifier.
A test double stands in for a second channel (none is built); Slack's senders implement the same interface."""

import datetime as dt

from pipelines.channels import message
from pipelines.channels.notifier import DeliveryFailure, Notifier
from pipelines.channels.notify import notify
from pipelines.channels.slack import SlackSettings, WebApiSender, WebhookSender


class Pager:
    """An in-memory channel: keeps what it was sent; `down` makes every post fail (permanently if asked)."""

    destination = "pager:oncall"
    can_look_up = True

    def __init__(self, down: str | None = None):
        self.sent: list[tuple[str, str | None, str]] = []
        self.down = down

    def post(self, message, thread_ts, notification_id):
        if self.down:
            raise RuntimeError(self.down)
        self.sent.append((message.text, thread_ts, notification_id))
        return "oncall", str(len(self.sent))

    def find_posted(self, notification_id, since, thread_ts=None):
        return next((("oncall", str(i + 1)) for i, s in enumerate(self.sent) if s[2] == notification_id), None)

    def failure(self, exc):
        return DeliveryFailure("down", self.down == "permanent", f"pager down: {exc}")


def test_slack_senders_and_the_double_implement_the_notifier_interface():
    assert isinstance(Pager(), Notifier)
    assert isinstance(WebApiSender(SlackSettings(bot_token="xoxb-x", channel="#c")), Notifier)
    assert isinstance(WebhookSender(SlackSettings(webhook_url="http://127.0.0.1:9/hook")), Notifier)
    assert WebApiSender(SlackSettings(bot_token="xoxb-x", channel="#c")).destination == "slack:#c"


def test_a_second_channel_gets_the_digest_threads_and_the_outbox_records_where_it_went(crash):
    pager = Pager()
    for night in crash.days[10:17]:
        notify(crash.con, crash.cfg, night, {night}, pager, run_url=None)
    texts = [t for t, _, _ in pager.sent]
    assert texts[0].startswith("[CRITICAL] AI leaders: Sector sell-off") and texts[-1].startswith("Resolved in")
    assert pager.sent[-1][1] == "1"  # the resolve answers the opening message's thread
    rows = crash.con.execute("SELECT DISTINCT destination, status, channel FROM outbox").fetchall()
    assert rows == [("pager:oncall", "delivered", "oncall")]


def test_a_permanent_failure_of_any_channel_keeps_the_message_queued(crash):
    night = crash.days[10]
    report = notify(crash.con, crash.cfg, night, {night}, Pager(down="permanent"), run_url=None)
    assert report.delivery.delivered == [] and report.delivery.still_pending == 1
    assert report.delivery.cause == "pager down: permanent"
    later = Pager()
    notify(crash.con, crash.cfg, crash.days[11], {crash.days[11]}, later, run_url=None)
    assert [nid for _, _, nid in later.sent] == report.queued  # sent once, when the channel is back


def test_a_digest_is_built_from_rows_without_a_database():
    figures = message.SessionFigures(
        names=[("AAA", 92.0, -0.08, -8e9, None, None), ("^IXIC", 975.0, -0.025, None, None, None)],
        tickers=["AAA", "BBB"],
        benchmark="^IXIC",
    )
    event = {
        "rule": "stock_drop_5d",
        "subject": "AAA",
        "severity": "warning",
        "transition": "open",
        "opened_on": dt.date(2025, 11, 3),
        "message": "AAA -8.0% over 5 sessions",
        "metrics": None,
    }
    text, blocks = message.digest(dt.date(2025, 11, 3), [event], figures)
    assert text.startswith("[WARNING] Watchlist: 5-session drop, AAA — 2025-11-03 (new)") and "no bar: BBB" in text
    assert blocks[0]["type"] == "header"


def test_a_digest_of_many_single_name_alerts_names_the_first_twelve_and_counts_the_rest():
    figures = message.SessionFigures(names=[], tickers=[f"N{i:02d}" for i in range(20)], benchmark="^IXIC")
    events = [
        {
            "rule": "stock_drop_5d",
            "subject": f"N{i:02d}",
            "severity": "warning",
            "transition": "open",
            "opened_on": dt.date(2025, 11, 3),
            "message": f"N{i:02d} -12.0% over 5 sessions",
            "metrics": {"return_5d": -0.12},
        }
        for i in range(20)
    ]
    text, blocks = message.digest(dt.date(2025, 11, 3), events, figures)
    assert text.startswith("[WARNING] Watchlist: 5-session drop, N00 — 2025-11-03 (new)")
    assert "... and 7 more: 5-session drop N13, 5-session drop N14" in text  # the lead and 12 shown one by one
    assert len(blocks) <= 50
