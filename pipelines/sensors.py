"""Run failures reach Slack, through the same client, retries and settings as the alerts.

dagster-slack's make_slack_on_run_failure_sensor cannot skip runs that Dagster will retry
(tag dagster/will_retry=true) and takes only a bot token; this sensor does both and also speaks to webhooks.
"""

from __future__ import annotations

import os

import dagster as dg

from pipelines.alerting.slack import SlackSettings, build_sender

WILL_RETRY_TAG = "dagster/will_retry"


def failure_text(run_id: str, job: str, error: str | None, ui_url: str | None) -> str:
    text = f":x: market-monitor run failed: {job} (run {run_id[:8]})"
    if error:
        text += f"\n{error[:1500]}"
    if ui_url:
        text += f"\n<{ui_url.rstrip('/')}/runs/{run_id}|Open the run in Dagster>"
    return text


def build_run_failure_sensor() -> dg.RunFailureSensorDefinition:
    settings = SlackSettings.from_env()

    @dg.run_failure_sensor(
        name="slack_on_run_failure",
        description="Posts failed runs to Slack (skips runs Dagster will retry). Running by default when Slack is "
                    "configured (SLACK_BOT_TOKEN + SLACK_CHANNEL, or SLACK_WEBHOOK_URL).",
        default_status=dg.DefaultSensorStatus.RUNNING if settings.configured else dg.DefaultSensorStatus.STOPPED,
    )
    def slack_on_run_failure(context: dg.RunFailureSensorContext):
        run = context.dagster_run
        if run.tags.get(WILL_RETRY_TAG) == "true":
            return dg.SkipReason(f"run {run.run_id} will be retried")
        sender = build_sender(SlackSettings.from_env())
        if sender is None:
            return dg.SkipReason("no Slack settings")
        error = context.failure_event.message if context.failure_event else None
        text = failure_text(run.run_id, run.job_name, error, os.environ.get("DAGSTER_UI_URL"))
        sender.post(text, [{"type": "section", "text": {"type": "mrkdwn", "text": text[:3000]}}], None,
                    f"run-failure:{run.run_id}")
        return None

    return slack_on_run_failure
