import dagster as dg
import pytest

from assets.resources import slack_from_env
from pipelines.orchestration.sensors import build_run_failure_sensor
from tests.support.fake_slack import FakeSlack

pytestmark = pytest.mark.slow  # the graph, the CLI or the webserver: run by CI, not the fast loop


@dg.op
def explode():
    raise RuntimeError("yfinance prices NVDA: no answer within 120 s")


@dg.job
def failing_job():
    explode()


def _failure_context(instance, tags=None):
    result = failing_job.execute_in_process(instance=instance, raise_on_error=False, tags=tags or {})
    assert not result.success
    run = instance.get_run_by_id(result.run_id)
    failure = next(e for e in result.all_events if e.event_type_value == "PIPELINE_FAILURE")
    return dg.build_run_status_sensor_context(
        sensor_name="slack_on_run_failure",
        dagster_instance=instance,
        dagster_run=run,
        dagster_event=failure,
        resources={"slack": slack_from_env()},
    ).for_run_failure()


def test_failed_run_reaches_slack(monkeypatch):
    with FakeSlack() as slack, dg.instance_for_test() as instance:
        for k, v in slack.env().items():
            monkeypatch.setenv(k, v)
        sensor = build_run_failure_sensor()
        assert sensor.default_status == dg.DefaultSensorStatus.RUNNING
        sensor(_failure_context(instance))
        [post] = slack.posts()
        assert "market-monitor run failed: failing_job" in post["text"]
        # the step's cause, not only Dagster's "Steps failed: ['explode']"
        assert "explode: yfinance prices NVDA: no answer within 120 s" in post["text"]


def test_runs_that_will_be_retried_are_skipped_and_no_slack_means_stopped(monkeypatch):
    with FakeSlack() as slack, dg.instance_for_test() as instance:
        for k, v in slack.env().items():
            monkeypatch.setenv(k, v)
        result = build_run_failure_sensor()(_failure_context(instance, {"dagster/will_retry": "true"}))
        assert isinstance(result, dg.SkipReason) and slack.posts() == []
    for k in ("SLACK_BOT_TOKEN", "SLACK_CHANNEL", "SLACK_API_URL"):
        monkeypatch.delenv(k, raising=False)
    assert build_run_failure_sensor().default_status == dg.DefaultSensorStatus.STOPPED


def test_failed_error_checks_of_a_successful_run_reach_the_ops_channel(monkeypatch):
    from pipelines.orchestration.sensors import build_failed_checks_sensor

    @dg.asset(
        check_specs=[
            dg.AssetCheckSpec("bars_present", asset="prices"),
            dg.AssetCheckSpec("moves_plausible", asset="prices"),
        ]
    )
    def prices():
        return dg.MaterializeResult(
            check_results=[
                dg.AssetCheckResult(check_name="bars_present", passed=False, description="missing bars: NVDA"),
                dg.AssetCheckResult(check_name="moves_plausible", passed=False, severity=dg.AssetCheckSeverity.WARN),
            ]
        )

    with FakeSlack() as slack, dg.instance_for_test() as instance:
        for k, v in {**slack.env(), "SLACK_OPS_CHANNEL": "#ops"}.items():
            monkeypatch.setenv(k, v)
        result = dg.materialize([prices], instance=instance)
        assert result.success  # a failed check does not fail the run
        run = instance.get_run_by_id(result.run_id)
        success = next(e for e in result.all_events if e.event_type_value == "PIPELINE_SUCCESS")
        context = dg.build_run_status_sensor_context(
            sensor_name="slack_on_failed_checks",
            dagster_instance=instance,
            dagster_run=run,
            dagster_event=success,
            resources={"slack": slack_from_env()},
        )
        sensor = build_failed_checks_sensor()
        assert sensor.default_status == dg.DefaultSensorStatus.RUNNING
        sensor(context)
        [post] = slack.posts()
        assert post["channel"] == "#ops"
        assert "prices.bars_present: missing bars: NVDA" in post["text"] and "moves_plausible" not in post["text"]


def test_checks_a_failed_run_never_reached_say_so_and_why_instead_of_execution_failed():
    """Dagster leaves them planned: the UI said "Execution failed" with no description, read as bad data."""
    from pipelines.orchestration.sensors import build_unrun_checks_sensor

    @dg.asset(check_specs=[dg.AssetCheckSpec("bars_present", asset="prices")])
    def prices():
        raise dg.Failure(description="yfinance prices: cannot resolve host (no network or DNS)")

    @dg.asset(deps=[prices], check_specs=[dg.AssetCheckSpec("data_complete", asset="verdicts")])
    def verdicts():
        return dg.MaterializeResult(check_results=[dg.AssetCheckResult(passed=True)])

    keys = [dg.AssetCheckKey(dg.AssetKey(a), c) for a, c in (("prices", "bars_present"), ("verdicts", "data_complete"))]
    with dg.instance_for_test() as instance:
        result = dg.materialize([prices, verdicts], instance=instance, raise_on_error=False)
        run = instance.get_run_by_id(result.run_id)
        before = instance.event_log_storage.get_latest_asset_check_execution_by_key(keys)
        assert {r.status.value for r in before.values()} == {"PLANNED"}
        failure = next(e for e in result.all_events if e.event_type_value == "PIPELINE_FAILURE")
        context = dg.build_run_status_sensor_context(
            sensor_name="explain_unrun_checks", dagster_instance=instance, dagster_run=run, dagster_event=failure
        ).for_run_failure()
        sensor = build_unrun_checks_sensor()
        assert sensor.default_status == dg.DefaultSensorStatus.RUNNING  # with or without Slack
        assert sensor(context) is None
        after = instance.event_log_storage.get_latest_asset_check_execution_by_key(keys)
        for record in after.values():
            evaluation = record.event.asset_check_evaluation
            assert record.run_id == result.run_id and not evaluation.passed
            assert evaluation.severity == dg.AssetCheckSeverity.WARN
            assert evaluation.description.startswith("not evaluated: step prices failed before this check ran")
            assert "cannot resolve host" in evaluation.description
        assert isinstance(sensor(context), dg.SkipReason)  # once: the CLI and the daemon may both see the run
        assert (
            len(instance.get_records_for_run(result.run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION).records)
            == 2
        )
