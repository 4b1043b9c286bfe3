"""Freshness means "the latest session due is in": stale on a missing tonight, never on a holiday or weekend."""

import datetime as dt

import dagster as dg
import pytest

from assets.resources import slack_from_env
from pipelines import calendar
from pipelines.config import Runtime
from pipelines.definitions import build_definitions
from pipelines.domain import freshness
from pipelines.orchestration.execution import materialize_sessions
from pipelines.orchestration.sensors import build_failed_checks_sensor
from tests.support.fake_slack import FakeSlack
from tests.support.synthetic import basic_snapshot, write_config

pytestmark = pytest.mark.slow  # the graph, the CLI or the webserver: run by CI, not the fast loop

NY = calendar.NEW_YORK
D = dt.date


@pytest.mark.parametrize(
    "now, due",
    [
        (dt.datetime(2025, 11, 7, 20, 59, tzinfo=NY), D(2025, 11, 6)),  # Friday before the 21:00 deadline
        (dt.datetime(2025, 11, 7, 21, 0, tzinfo=NY), D(2025, 11, 7)),
        (dt.datetime(2025, 11, 9, 12, 0, tzinfo=NY), D(2025, 11, 7)),  # a Sunday is not stale
        (dt.datetime(2025, 11, 27, 22, 0, tzinfo=NY), D(2025, 11, 26)),  # Thanksgiving is not a session
        (dt.datetime(2025, 11, 28, 21, 0, tzinfo=NY), D(2025, 11, 28)),  # the half day counts
    ],
)
def test_the_session_due(now, due):
    assert freshness.due_session(now, "0 21 * * 1-5", "America/New_York") == due


def _checks(defs, instance) -> dict[str, tuple[bool, str]]:
    result = defs.resolve_job_def("freshness").execute_in_process(instance=instance, raise_on_error=False)
    assert result.success  # a failed check does not fail the run: the ops notice comes from the checks sensor
    _checks.last_run = result
    return {ev.asset_key.to_user_string(): (ev.passed, ev.description) for ev in result.get_asset_check_evaluations()}


def test_stale_when_tonight_is_missing_even_after_a_backfill_and_fresh_when_it_is_in(tmp_path, monkeypatch):
    snap = basic_snapshot(tmp_path / "snap")
    cfg = str(write_config(tmp_path / "monitor.toml"))
    runtime = Runtime(tmp_path / "mm.duckdb", "replay", snap)
    instance = dg.DagsterInstance.ephemeral()
    defs = build_definitions(runtime, cfg)
    assert materialize_sessions(runtime, cfg, calendar.sessions("2024-08-26", "2024-08-29"), instance).success

    monkeypatch.setattr(freshness, "now", lambda: dt.datetime(2024, 8, 30, 21, 30, tzinfo=NY))
    stale = _checks(defs, instance)
    assert set(stale) == {
        "daily_prices",
        "shares_outstanding",
        "earnings",
        "metrics_daily",
        "watchlist_daily",
        "alerts",
    }
    assert all(not ok for ok, _ in stale.values())
    assert stale["daily_prices"][1] == (
        "stale: 2024-08-30, the latest session due, is not materialized (newest session in: 2024-08-29)"
    )
    with FakeSlack() as slack:  # a stale asset reaches the ops channel like any failed ERROR check
        for k, v in {**slack.env(), "SLACK_OPS_CHANNEL": "#ops"}.items():
            monkeypatch.setenv(k, v)
        run = _checks.last_run
        success = next(e for e in run.all_events if e.event_type_value == "PIPELINE_SUCCESS")
        build_failed_checks_sensor()(
            dg.build_run_status_sensor_context(
                sensor_name="slack_on_failed_checks",
                dagster_instance=instance,
                dagster_run=instance.get_run_by_id(run.run_id),
                dagster_event=success,
                resources={"slack": slack_from_env()},
            )
        )
        [post] = slack.posts()
        assert post["channel"] == "#ops" and "daily_prices.session_fresh: stale: 2024-08-30" in post["text"]

    assert materialize_sessions(runtime, cfg, [D(2024, 8, 30)], instance).success
    monkeypatch.setattr(freshness, "now", lambda: dt.datetime(2024, 9, 2, 23, 0, tzinfo=NY))  # Labor Day
    fresh = _checks(defs, instance)
    assert all(ok for ok, _ in fresh.values()), fresh


@pytest.mark.usefixtures("yahoo_over_requests")
def test_a_night_every_source_call_failed_is_stale_though_its_fundamentals_materialized(tmp_path, monkeypatch):
    """Yahoo answers nothing (503 on every chart, nothing for shares or statements): daily_prices fails, and the
    fundamentals step still materializes shares_outstanding and earnings with 0 rows. That is not fresh: their
    session_fresh checks fail naming it, and the CLI line says nothing was fetched."""
    from pipelines.sources import yahoo
    from tests.support.fake_yahoo import FakeYahoo
    from tests.support.live_night import world

    night = D(2025, 11, 7)
    market = world()
    market.faults.update({symbol: "503" for symbol in market.closes})
    market.tonight = night
    monkeypatch.setattr(yahoo.YFinanceSource, "tonight", lambda self, end: night)
    breadth = "[rules.sector_selloff]\nmin_names_down = 2\nmin_names_with_cap = 2\n"
    cfg = str(write_config(tmp_path / "monitor.toml", tickers=["NVDA", "AMD", "META"], extra=breadth))
    runtime = Runtime(tmp_path / "mm.duckdb", "yfinance", None)
    instance = dg.DagsterInstance.ephemeral()
    with FakeYahoo(market):
        report = materialize_sessions(runtime, cfg, [night], instance, retries=0)
    assert not report.success and report.failed_step == "daily_prices"
    assert report.metadata["shares_outstanding"]["fetched_nothing"] is True
    monkeypatch.setattr(freshness, "now", lambda: dt.datetime(2025, 11, 7, 21, 30, tzinfo=NY))
    checks = _checks(build_definitions(runtime, cfg), instance)
    for asset in ("shares_outstanding", "earnings"):
        passed, text = checks[asset]
        assert not passed and text.startswith(
            "stale: 2025-11-07, the latest session due, was materialized by a run that fetched nothing"
        ), text


def test_freshness_is_evaluated_on_load_after_each_nightly_run_and_when_the_deadline_passes(tmp_path, monkeypatch):
    """It was "Not evaluated" until 21:00: a year-stale database looked fine all afternoon. The sensor asks for a
    run at its first evaluation, again once a nightly run has ended or the deadline has moved the session due, and
    not twice for the same state."""
    snap = basic_snapshot(tmp_path / "snap")
    cfg = str(write_config(tmp_path / "monitor.toml"))
    runtime = Runtime(tmp_path / "mm.duckdb", "replay", snap)
    instance = dg.DagsterInstance.ephemeral()
    sensor = build_definitions(runtime, cfg).resolve_sensor_def("freshness_sensor")
    clock = {"now": dt.datetime(2024, 8, 30, 15, 0, tzinfo=NY)}
    monkeypatch.setattr(freshness, "now", lambda: clock["now"])

    def keys() -> str:
        [request] = sensor.evaluate_tick(dg.build_sensor_context(instance=instance)).run_requests
        return request.run_key

    on_load = keys()
    assert on_load.startswith("due 2024-08-29 after nightly run none")  # 15:00: the 29th is the session due
    assert keys() == on_load  # the same state: the run key dedups it
    assert materialize_sessions(runtime, cfg, [D(2024, 8, 29)], instance).success
    after_run = keys()
    assert after_run != on_load and after_run.startswith("due 2024-08-29 after nightly run ")
    clock["now"] = dt.datetime(2024, 8, 30, 21, 0, 30, tzinfo=NY)
    assert keys().startswith("due 2024-08-30 ")
