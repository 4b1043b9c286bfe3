"""Slack delivery through the real slack_sdk client against a local server speaking the Slack Web API."""

import json

import pytest
from slack_sdk.models.blocks import Block

from pipelines import rules
from pipelines.channels import message, outbox
from pipelines.channels.notify import notify
from pipelines.channels.slack import SlackSettings, build_sender
from tests.support.fake_slack import sender_for
from tests.support.scenario import NAMES, Market, nightly

TOKEN = "xoxb-test-secret-token"


def test_one_message_for_the_opening_night_and_none_on_a_rerun(crash, slack):
    night = crash.days[10]
    report = nightly(crash, night, sender_for(slack))
    assert len(report.delivery.delivered) == 1
    [post] = slack.posts()
    assert post["channel"] == "#ai-selloff" and "AI leaders: Sector sell-off" in post["text"]
    assert post["metadata"]["event_payload"]["notification_id"] == report.queued[0]
    assert any(b["type"] == "header" for b in post["blocks"])
    again = nightly(crash, night, sender_for(slack))
    assert again.queued == [] and again.delivery.delivered == [] and len(slack.posts()) == 1
    row = crash.con.execute("SELECT status, ts FROM outbox").fetchall()
    assert row == [("delivered", post["ts"])]


def test_quiet_while_holding_then_resolved_in_the_thread(crash, slack):
    for night in crash.days[10:17]:
        nightly(crash, night, sender_for(slack))
    posts = slack.posts()
    assert len(posts) == 2, [p["text"][:60] for p in posts]
    opening, resolved = posts
    assert resolved["thread_ts"] == opening["ts"]
    assert resolved["text"].startswith("Resolved in AI leaders on ")
    assert "Sector sell-off, AI leaders: no longer holds (held 5 sessions" in resolved["text"]
    events = crash.con.execute(
        "SELECT transition, session FROM alert_events WHERE rule = 'sector_selloff' ORDER BY session"
    ).fetchall()
    assert events == [("open", crash.days[10]), ("resolve", crash.days[16])]


def test_repeat_interval_notifies_again_while_it_keeps_holding(tmp_path, slack):
    m = Market(tmp_path / "mm.duckdb", NAMES)
    days = []
    for name in NAMES:  # a slide: -8% every session, so the sell-off holds night after night
        days = m.series(name, "2025-10-20", [100.0 * 0.92 ** max(0, i - 9) for i in range(22)])
        m.shares(name, "2025-01-02", 1e9)
    m.series("^IXIC", "2025-10-20", [1000.0 * 0.97 ** max(0, i - 9) for i in range(22)])
    rules.store_findings(m.con, m.compute(days[0], days[-1]), days[0], days[-1])
    for night in days[10:21]:
        nightly(m, night, sender_for(slack))
    sector = [
        t
        for (t,) in m.con.execute(
            "SELECT transition FROM alert_events WHERE rule = 'sector_selloff' AND notify ORDER BY session"
        ).fetchall()
    ]
    assert sector == ["open", "repeat", "repeat"]  # sessions 10, 15, 20
    nights = m.con.execute("SELECT count(DISTINCT session) FROM alert_events WHERE notify").fetchone()[0]
    assert len(slack.posts()) == nights < 11  # one grouped message per night with a transition, quiet otherwise


@pytest.mark.slow
def test_outage_keeps_the_message_and_the_next_run_delivers_it_once(crash, slack):
    night = crash.days[10]
    slack.script = ["500"] * 4  # the first try and its 3 in-run retries
    first = nightly(crash, night, sender_for(slack))
    assert first.delivery.delivered == [] and first.delivery.still_pending == 1
    assert "500" in list(first.delivery.failed.values())[0] or "server_error" in list(first.delivery.failed.values())[0]
    assert slack.posts() == []
    second = nightly(crash, night, sender_for(slack))
    assert len(second.delivery.delivered) == 1 and len(slack.posts()) == 1
    assert crash.con.execute("SELECT status, attempts FROM outbox").fetchall() == [("delivered", 2)]


@pytest.mark.slow
def test_rate_limit_is_retried_within_the_run(crash, slack):
    slack.script = ["429"]
    report = nightly(crash, crash.days[10], sender_for(slack))
    assert len(report.delivery.delivered) == 1 and len(slack.posts()) == 1
    assert sum(1 for r in slack.requests if r["path"].endswith("chat.postMessage")) == 2


def test_connection_dropped_after_posting_is_not_posted_twice(crash, slack):
    slack.script = ["drop"]  # Slack posted it, the answer never arrived
    first = nightly(crash, crash.days[10], sender_for(slack))
    assert first.delivery.still_pending == 1 and len(slack.posts()) == 1
    second = nightly(crash, crash.days[10], sender_for(slack))
    assert len(second.delivery.delivered) == 1
    assert len(slack.posts()) == 1  # found in the channel history by its idempotency key, not posted again
    assert crash.con.execute("SELECT ts FROM outbox").fetchone()[0] == slack.posts()[0]["ts"]


def test_refused_connection_is_retried_next_run(crash, slack):
    # the same channel, through a port where nothing listens (a queued message waits for its own destination)
    settings = SlackSettings(bot_token=TOKEN, channel="#ai-selloff", api_url="http://127.0.0.1:9/api/")
    report = notify(crash.con, crash.cfg, crash.days[10], {crash.days[10]}, build_sender(settings, max_retries=1), None)
    assert report.delivery.still_pending == 1
    error = crash.con.execute("SELECT last_error FROM outbox").fetchone()[0]
    assert "Connection refused" in error and TOKEN not in error
    later = nightly(crash, crash.days[10], sender_for(slack))
    assert len(later.delivery.delivered) == 1 and len(slack.posts()) == 1


def test_webhook_delivery_posts_resolved_as_a_new_message(crash, slack):
    sender = build_sender(SlackSettings(webhook_url=slack.webhook_url))
    for night in crash.days[10:17]:
        nightly(crash, night, sender)
    posts = slack.posts("webhook")
    assert len(posts) == 2 and "AI leaders: Sector sell-off" in posts[0]["text"] and "Resolved" in posts[1]["text"]
    assert "thread_ts" not in posts[1]


def test_no_slack_settings_is_a_dry_run_that_records_the_message(crash):
    report = nightly(crash, crash.days[10], None)
    assert report.dry_run and "nothing sent" in report.summary()
    assert crash.con.execute("SELECT status FROM outbox").fetchall() == [("dry_run",)]


def test_a_backfill_of_past_sessions_notifies_nothing(crash, slack):
    report = notify(crash.con, crash.cfg, crash.days[-1], set(), sender_for(slack), None)
    assert report.queued == [] and slack.posts() == []
    assert crash.con.execute("SELECT count(*) FROM alert_events WHERE notify").fetchone()[0] == 0
    assert crash.con.execute("SELECT count(*) FROM alert_events").fetchone()[0] > 0


def test_an_episode_under_way_is_announced_when_first_seen(crash, slack):
    """A first run on the third night of a sell-off announces it as firing, not as nothing."""
    night = crash.days[12]
    nightly(crash, night, sender_for(slack))
    [post] = slack.posts()
    assert "firing since" in post["text"] and str(crash.days[10]) in post["text"]


def test_every_number_in_the_message_is_in_the_database(crash, slack):
    nightly(crash, crash.days[10], sender_for(slack))
    [post] = slack.posts()
    metrics = json.loads(
        crash.con.execute(
            "SELECT metrics FROM alerts WHERE rule = 'sector_selloff' AND as_of = ?", [crash.days[10]]
        ).fetchone()[0]
    )
    assert metrics["cap_change_5d"] == pytest.approx(-32e9)
    assert "lost $32B (-8.0%)" in post["text"]


def test_secrets_stay_out_of_errors(crash):
    settings = SlackSettings(webhook_url="http://127.0.0.1:9/services/T0/B0/very-secret")
    nightly(crash, crash.days[10], build_sender(settings, max_retries=0))
    error = crash.con.execute("SELECT last_error FROM outbox").fetchone()[0]
    assert error and "very-secret" not in error


def test_settings_describe_without_secrets():
    s = SlackSettings.from_env({"SLACK_BOT_TOKEN": TOKEN, "SLACK_CHANNEL": "#c"})
    assert s.configured and TOKEN not in s.describe()
    assert not SlackSettings.from_env({}).configured


def test_an_announced_episode_withdrawn_by_revised_data_is_resolved_in_its_thread(crash, slack):
    nightly(crash, crash.days[10], sender_for(slack))
    # Yahoo revises the crash away: the re-fetched bars no longer show it, so its findings disappear.
    rules.store_findings(crash.con, [], crash.days[0], crash.days[-1])
    nightly(crash, crash.days[11], sender_for(slack))
    opening, withdrawn = slack.posts()
    assert withdrawn["thread_ts"] == opening["ts"]
    assert "Sector sell-off, AI leaders: withdrawn, the data behind it was revised" in withdrawn["text"]
    nightly(crash, crash.days[12], sender_for(slack))
    assert len(slack.posts()) == 2  # withdrawn once


def test_the_lookup_pages_back_through_a_busy_channel(crash, slack):
    slack.script = ["drop"]
    nightly(crash, crash.days[10], sender_for(slack))
    slack.flood(450)  # more than two pages of newer messages above ours
    second = nightly(crash, crash.days[10], sender_for(slack))
    assert len(second.delivery.delivered) == 1 and len(slack.posts()) == 1
    pages = [r for r in slack.requests if r["path"].endswith("conversations.history")]
    assert len(pages) == 3


def test_a_dropped_resolved_notice_is_found_in_its_thread(crash, slack):
    for night in crash.days[10:16]:
        nightly(crash, night, sender_for(slack))
    slack.script = ["drop"]  # the resolved notice, posted into the thread, answer lost
    nightly(crash, crash.days[16], sender_for(slack))
    again = nightly(crash, crash.days[16], sender_for(slack))
    assert len(again.delivery.delivered) == 1
    assert len(slack.posts()) == 2  # the opening and one resolved notice
    assert any(r["path"].endswith("conversations.replies") for r in slack.requests)


def test_a_webhook_resend_after_an_uncertain_failure_says_so(crash, slack):
    """A webhook cannot be looked up: after a dropped connection the message is sent again (an alert is never
    lost), marked as a re-send, so a reader who sees it twice knows why. The Web API is preferred for this."""
    sender = build_sender(SlackSettings(webhook_url=slack.webhook_url))
    slack.script = ["drop"]
    nightly(crash, crash.days[10], sender)
    nightly(crash, crash.days[10], sender)
    first, second = slack.posts("webhook")
    assert outbox.RESENT_NOTE not in first["text"] and second["text"].endswith(outbox.RESENT_NOTE)
    assert crash.con.execute("SELECT status, attempts FROM outbox").fetchall() == [("delivered", 2)]


def test_a_permanent_error_stops_the_run_s_deliveries_and_keeps_them_queued(crash, slack):
    for night in crash.days[10:16]:  # the opening message is delivered; then the token is revoked
        nightly(crash, night, sender_for(slack))
    crash.con.execute("UPDATE outbox SET status = 'pending'")  # two messages queued: the opening and a later one
    crash.con.execute("UPDATE outbox SET attempts = 0")
    slack.script = ["token_revoked"]
    report = nightly(crash, crash.days[16], sender_for(slack))
    assert report.delivery.cause == "token_revoked: the token was revoked (check SLACK_BOT_TOKEN)"
    assert sum(1 for r in slack.requests if r["path"].endswith("chat.postMessage")) == 2  # 1 earlier + 1 now
    assert report.delivery.still_pending == 2
    assert any(
        v.startswith("not attempted: token_revoked") or v.startswith("waiting for")
        for v in report.delivery.failed.values()
    )


def test_the_breadth_in_the_message_is_the_rule_s_breadth(tmp_path, slack):
    """One name fell 3%: it is down, but not 5% or more, and no line of the message may count it."""
    m = Market(tmp_path / "mm.duckdb", NAMES)
    m.with_rules(sector_selloff=m.cfg.rules.sector_selloff.replace(min_names_down=3))
    days = []
    for name in NAMES:
        days = m.series(name, "2025-10-20", [100.0] * 10 + [97.0 if name == "DDD" else 92.0] * 10)
        m.shares(name, "2025-01-02", 1e9)
    m.series("^IXIC", "2025-10-20", [1000.0] * 10 + [975.0] * 10)
    rules.store_findings(m.con, m.compute(days[0], days[-1]), days[0], days[-1])
    nightly(m, days[10], sender_for(slack))
    [post] = slack.posts()
    blocks = json.dumps(post["blocks"])
    assert "3 of 4 names fell 5% or more" in post["text"]
    assert "3 of 4 names fell 5% or more" in blocks and "4 of 4" not in blocks


@pytest.mark.slow
def test_a_large_watchlist_s_message_keeps_slack_s_limits(tmp_path, slack):
    """120 names all falling 12%: 122 transitions in one night. The message is summarised ("... and N more"),
    never rejected by Slack, and the composition cannot fail the run."""
    names = [f"N{i:03d}" for i in range(120)]
    m = Market(tmp_path / "mm.duckdb", names)
    days = []
    for name in names:
        days = m.series(name, "2025-10-20", [100.0] * 10 + [88.0] * 10)
        m.shares(name, "2025-01-02", 1e9)
    m.series("^IXIC", "2025-10-20", [1000.0] * 10 + [960.0] * 10)
    rules.store_findings(m.con, m.compute(days[0], days[-1]), days[0], days[-1])
    report = nightly(m, days[10], sender_for(slack))
    assert len(report.delivery.delivered) == 1
    [post] = slack.posts()
    assert len(post["blocks"]) <= 50 and len(post["text"]) <= 4000
    for block in post["blocks"]:
        Block.parse(block).validate_json()  # slack_sdk's own checks of Slack's limits
    # 122 = the sell-off, ^IXIC, 120 names: the names' and the benchmark's own alerts fold into one line of it
    assert (
        "Their own alerts tonight, folded in: Benchmark drop ^IXIC -4.0% over 5 sessions; 5-session drop "
        in (post["text"])
    )
    assert "and 112 more over 5 sessions." in post["text"] and len(post["text"].splitlines()) < 30
    assert "... and 105 more names" in json.dumps(post["blocks"])


def test_a_message_that_cannot_be_composed_still_goes_out(crash, slack, monkeypatch):
    def broken(*args, **kwargs):
        raise KeyError("a rule nobody gave a title")

    monkeypatch.setattr(message, "digest", broken)
    report = nightly(crash, crash.days[10], sender_for(slack))
    [post] = slack.posts()
    assert len(report.delivery.delivered) == 1
    assert (
        post["text"].startswith("[CRITICAL] market-monitor, AI leaders: ")
        and "could not be composed (KeyError" in post["text"]
    )


def test_a_sell_off_on_a_night_with_missing_data_is_notified_late_when_the_data_arrives(tmp_path, slack):
    """Night 10: DDD has no bar, so the basket rules cannot speak (data_incomplete is announced). Night 11: the
    re-fetch brings DDD's bar for night 10, and the sell-off that held only then goes out, labelled late."""
    m = Market(tmp_path / "mm.duckdb", NAMES)
    closes = [100.0] * 10 + [92.0] + [100.0] * 9  # a one-night plunge: it holds on session 10 only
    days = []
    for name in NAMES:
        days = m.series(name, "2025-10-20", closes)
        m.shares(name, "2025-01-02", 1e9)
    m.series("^IXIC", "2025-10-20", [1000.0] * 10 + [975.0] + [1000.0] * 9)
    night, next_night = days[10], days[11]
    m.con.execute("DELETE FROM prices_daily WHERE ticker = 'DDD' AND date = ?", [night])  # Yahoo lagged
    rules.store_findings(m.con, m.compute(days[0], night), days[0], night)
    nightly(m, night, sender_for(slack))
    [incomplete] = slack.posts()
    assert "Incomplete data" in incomplete["text"] and "Sector sell-off" not in incomplete["text"]

    m.prices("DDD", {night: 92.0})  # the next night's re-fetch window brings it
    rules.store_findings(m.con, m.compute(days[0], next_night), days[0], next_night)
    nightly(m, next_night, sender_for(slack))
    late = [p for p in slack.posts() if "AI leaders: Sector sell-off" in p["text"]]
    assert len(late) == 1
    assert late[0]["text"].startswith(
        f"[CRITICAL] AI leaders: Sector sell-off — {night} (new)\nLate: held on {night}; data arrived {next_night}."
    )
    nightly(m, next_night, sender_for(slack))  # a re-run sends nothing more
    assert len([p for p in slack.posts() if "AI leaders: Sector sell-off" in p["text"]]) == 1


def test_a_lookup_that_cannot_succeed_holds_its_message_alone(crash, slack):
    """A token without channels:history and one lost answer: the message whose fate is unknown is held (never
    posted blind), named once, and the later messages still go out."""
    crash.cfg = crash.cfg.replace(alerts=crash.cfg.alerts.replace(repeat_interval_sessions=1))
    slack.script = ["drop"]  # night 10's digest: Slack posted it, the answer was lost
    nightly(crash, crash.days[10], sender_for(slack))
    slack.lookup_script = ["missing_scope"] * 10
    for night in crash.days[11:13]:
        report = nightly(crash, night, sender_for(slack))
    assert len(report.delivery.delivered) == 1  # night 12's reminder: not held back
    assert report.delivery.still_pending == 1
    [held] = report.delivery.failed.values()
    assert held.startswith("held: cannot tell whether an earlier attempt arrived (missing_scope: the token lacks")
    assert report.delivery.cause == held
    assert len(slack.posts()) == 3  # night 10's (it did arrive) and the two reminders; nothing twice


def test_more_pages_without_a_cursor_is_inconclusive_not_absent(crash, slack):
    slack.script = ["drop"]
    nightly(crash, crash.days[10], sender_for(slack))
    slack.flood(250)  # ours is on the second page: the first says "more" but gives no cursor
    slack.lookup_script = ["no_cursor"]
    report = nightly(crash, crash.days[10], sender_for(slack))
    assert report.delivery.still_pending == 1 and len(slack.posts()) == 1  # not posted again on a guess
    [held] = report.delivery.failed.values()
    assert "Slack said there are more messages but gave no cursor" in held
    later = nightly(crash, crash.days[10], sender_for(slack))  # the lookup works again: found, not re-posted
    assert len(later.delivery.delivered) == 1 and len(slack.posts()) == 1
