"""The digest's chart: a PNG uploaded with slack_sdk's files_upload_v2 into the digest's thread, against the local
Slack server (files.getUploadURLExternal, the upload, files.completeUploadExternal). A failed upload never loses
or re-sends the text message."""

from pipelines.channels import outbox
from pipelines.channels.slack import SlackSettings, build_sender
from tests.support.fake_slack import FakeSlack, sender_for
from tests.support.scenario import nightly

PNG = b"\x89PNG\r\n\x1a\n"


def _files(m):
    return m.con.execute("SELECT status, attempts, last_error IS NOT NULL FROM outbox_files").fetchall()


def _digests(server: FakeSlack) -> list[dict]:
    return [p for p in server.posts() if not p.get("thread_ts")]


def test_the_opening_digest_gets_its_chart_in_its_thread_once(crash, slack):
    night = crash.days[10]
    report = nightly(crash, night, sender_for(slack))
    [digest] = _digests(slack)
    [chart] = slack.files
    assert chart["thread_ts"] == digest["ts"] and chart["bytes"].startswith(PNG)
    assert chart["name"] == outbox.chart_filename(report.queued[0]) and str(night) in chart["title"]
    assert report.delivery.files_delivered == [chart["name"]] and "1 chart(s) in their threads" in report.summary()
    nightly(crash, night, sender_for(slack))  # a re-run: nothing new
    nightly(crash, crash.days[11], sender_for(slack))  # still holding, no transition: no message, no chart
    assert len(_digests(slack)) == 1 and len(slack.files) == 1
    assert _files(crash) == [("delivered", 1, False)]


def test_a_failed_upload_keeps_the_text_and_is_retried_next_run(crash, slack):
    night = crash.days[10]
    slack.upload_script = ["500"]
    report = nightly(crash, night, sender_for(slack))
    assert len(report.delivery.delivered) == 1 and report.delivery.still_pending == 0  # the text went out
    assert list(report.delivery.files_failed.values()) == [
        "outage: Slack answered HTTP 500 (no body) (retried next run)"
    ]
    assert slack.files == [] and _files(crash) == [("pending", 1, True)]
    again = nightly(crash, night, sender_for(slack))
    assert again.delivery.files_delivered and len(slack.files) == 1
    assert len(_digests(slack)) == 1  # the text was not sent twice
    assert slack.files[0]["thread_ts"] == _digests(slack)[0]["ts"]


def test_an_upload_whose_answer_was_lost_is_found_not_uploaded_again(crash, slack):
    night = crash.days[10]
    slack.upload_script = ["lost"]
    first = nightly(crash, night, sender_for(slack))
    assert first.delivery.files_failed and len(slack.files) == 1  # it got through; we could not know
    second = nightly(crash, night, sender_for(slack))
    assert second.delivery.files_delivered and len(slack.files) == 1  # found in the thread, not re-uploaded
    assert crash.con.execute("SELECT status, attempts, file_id FROM outbox_files").fetchall() == [
        ("delivered", 1, slack.files[0]["id"])
    ]


def test_a_missing_files_scope_abandons_the_chart_at_once_and_says_why(crash, slack):
    slack.upload_script = ["missing_scope"]
    report = nightly(crash, crash.days[10], sender_for(slack))
    assert len(report.delivery.delivered) == 1
    [why] = report.delivery.files_failed.values()
    assert why.startswith("missing_scope:") and "files:write" in why and why.endswith("(abandoned: not retried)")
    assert _files(crash) == [("abandoned", 1, True)]
    nightly(crash, crash.days[10], sender_for(slack))
    assert slack.files == [] and _files(crash) == [("abandoned", 1, True)]  # not retried: no retry fixes a scope


def test_a_webhook_sends_text_only(crash, slack):
    sender = build_sender(SlackSettings(webhook_url=slack.webhook_url))
    report = nightly(crash, crash.days[10], sender)
    assert len(report.delivery.delivered) == 1 and len(slack.posts("webhook")) == 1
    assert slack.files == [] and _files(crash) == []


def test_a_dry_run_records_the_chart_it_would_post(crash):
    report = nightly(crash, crash.days[10], None)
    assert report.dry_run and _files(crash) == [("dry_run", 0, False)]
    [(content,)] = crash.con.execute("SELECT content FROM outbox_files").fetchall()
    assert bytes(content).startswith(PNG)
