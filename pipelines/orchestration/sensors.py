"""Ops notices: failed runs and failed ERROR checks, through the same clients and retries as the alerts, to the ops
destination (monitor.toml [ops] destination; without one, SLACK_OPS_CHANNEL when set, else SLACK_CHANNEL).

dagster-slack's make_slack_on_run_failure_sensor cannot skip runs that Dagster will retry
(tag dagster/will_retry=true) and takes only a bot token; this sensor does both and also speaks to webhooks.
"""

from __future__ import annotations

import dagster as dg

from assets.resources import SlackResource, slack_from_env
from pipelines.channels.notifier import Message
from pipelines.channels.routes import ops_sender
from pipelines.config import MonitorConfig
from pipelines.orchestration.unrun_checks import explain_unrun_checks, run_failure_cause

WILL_RETRY_TAG = "dagster/will_retry"


def failure_text(run_id: str, job: str, error: str | None, ui_url: str | None) -> str:
    text = f":x: market-monitor run failed: {job} (run {run_id[:8]})"
    if error:
        text += f"\n{error[:1500]}"
    if ui_url:
        text += f"\n<{ui_url.rstrip('/')}/runs/{run_id}|Open the run in Dagster>"
    return text


def _ops_configured(cfg: MonitorConfig, slack: SlackResource | None) -> bool:
    return ops_sender(cfg, (slack or slack_from_env()).settings()) is not None  # running by default when it is


def _post(sender, text: str, key: str) -> None:
    sender.post(Message(text, [{"type": "section", "text": {"type": "mrkdwn", "text": text[:3000]}}]), None, key)


def build_run_failure_sensor(
    cfg: MonitorConfig | None = None, slack: SlackResource | None = None
) -> dg.RunFailureSensorDefinition:
    cfg = cfg or MonitorConfig()
    configured = _ops_configured(cfg, slack)

    @dg.run_failure_sensor(
        name="slack_on_run_failure",
        description="Posts failed runs to Slack (skips runs Dagster will retry). Running by default when Slack is "
        "configured (SLACK_BOT_TOKEN + SLACK_CHANNEL, or SLACK_WEBHOOK_URL).",
        default_status=dg.DefaultSensorStatus.RUNNING if configured else dg.DefaultSensorStatus.STOPPED,
    )
    def slack_on_run_failure(context: dg.RunFailureSensorContext, slack: SlackResource):
        run = context.dagster_run
        if run.tags.get(WILL_RETRY_TAG) == "true":
            return dg.SkipReason(f"run {run.run_id} will be retried")
        sender = ops_sender(cfg, slack.settings())
        if sender is None:
            return dg.SkipReason("no Slack settings")
        # the step's own cause (Dagster's run failure message only names the failed steps)
        error = run_failure_cause(context.instance, run.run_id)
        if error is None and context.failure_event:
            error = context.failure_event.message
        _post(sender, failure_text(run.run_id, run.job_name, error, slack.ui_url), f"run-failure:{run.run_id}")
        return None

    return slack_on_run_failure


def build_unrun_checks_sensor() -> dg.RunFailureSensorDefinition:
    @dg.run_failure_sensor(
        name="explain_unrun_checks",
        description="A failed run leaves the checks it never reached as 'Execution failed' with no word of why: "
        "this records a WARN 'not evaluated' result for each, naming the failed step and its cause. "
        "CLI runs do the same in-process.",
        default_status=dg.DefaultSensorStatus.RUNNING,
        monitor_all_code_locations=False,
    )
    def explain_unrun(context: dg.RunFailureSensorContext):
        explained = explain_unrun_checks(context.instance, context.dagster_run.run_id)
        if not explained:
            return dg.SkipReason(f"run {context.dagster_run.run_id}: every planned check was evaluated")
        context.log.info(f"not evaluated: {', '.join(explained)}")
        return None

    return explain_unrun


def failed_error_checks(instance: dg.DagsterInstance, run_id: str) -> list[str]:
    """'asset.check: description' for every ERROR-severity check that failed in the run."""
    records = instance.get_records_for_run(
        run_id=run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION, limit=1000
    ).records
    out = []
    for record in records:
        ev = record.event_log_entry.dagster_event.event_specific_data
        if not ev.passed and ev.severity == dg.AssetCheckSeverity.ERROR:
            line = f"{ev.asset_key.to_user_string()}.{ev.check_name}: {ev.description or 'failed'}"
            if line not in out:
                out.append(line)
    return out


def build_failed_checks_sensor(
    cfg: MonitorConfig | None = None, slack: SlackResource | None = None
) -> dg.RunStatusSensorDefinition:
    cfg = cfg or MonitorConfig()
    configured = _ops_configured(cfg, slack)

    @dg.run_status_sensor(
        run_status=dg.DagsterRunStatus.SUCCESS,
        name="slack_on_failed_checks",
        description="A failed check does not fail the run, so run-failure alerts never see it: this posts the "
        "ERROR-severity checks that failed in a successful run (missing bars, unusable prices, "
        "undelivered messages). WARN checks (stale fundamentals) stay in the UI.",
        default_status=dg.DefaultSensorStatus.RUNNING if configured else dg.DefaultSensorStatus.STOPPED,
    )
    def slack_on_failed_checks(context: dg.RunStatusSensorContext, slack: SlackResource):
        run = context.dagster_run
        failed = failed_error_checks(context.instance, run.run_id)
        if not failed:
            return dg.SkipReason(f"run {run.run_id}: no ERROR check failed")
        sender = ops_sender(cfg, slack.settings())
        if sender is None:
            return dg.SkipReason("no Slack settings")
        text = f":warning: market-monitor data checks failed in run {run.run_id[:8]} ({run.job_name}):\n" + "\n".join(
            f"- {line[:400]}" for line in failed[:10]
        )
        if slack.ui_url:
            text += f"\n<{slack.run_url(run.run_id)}|Open the run in Dagster>"
        _post(sender, text, f"failed-checks:{run.run_id}")
        return None

    return slack_on_failed_checks
