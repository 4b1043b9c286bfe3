import datetime as dt
from types import SimpleNamespace

import dagster as dg

from pipelines.calendar import NEW_YORK
from pipelines.config import Runtime
from pipelines.definitions import build_definitions


def tick(tmp_path, when: dt.datetime):
    # an ephemeral instance: instance_for_test left its state storage set for the process, so a later test that
    # loads definitions in the same worker failed ("Attempted to resolve undefined DagsterInstance weakref")
    instance = dg.DagsterInstance.ephemeral()
    defs = build_definitions(Runtime(tmp_path / "mm.duckdb", "replay", tmp_path))
    schedule = defs.resolve_schedule_def("nightly_schedule")
    context = dg.build_schedule_context(
        instance=instance, scheduled_execution_time=when, repository_def=defs.get_repository_def()
    )
    result = schedule.evaluate_tick(context)
    return schedule, SimpleNamespace(run_requests=list(result.run_requests or []), skip_message=result.skip_message)


def test_friday_session_requests_its_partition(tmp_path):
    schedule, result = tick(tmp_path, dt.datetime(2025, 11, 7, 18, 30, tzinfo=NEW_YORK))
    assert schedule.cron_schedule == "30 18 * * 1-5" and schedule.execution_timezone == "America/New_York"
    assert schedule.default_status == dg.DefaultScheduleStatus.RUNNING
    [request] = result.run_requests
    assert request.partition_key == "2025-11-07" and request.run_key == "2025-11-07"


def test_holiday_and_weekend_are_skipped_with_a_reason(tmp_path):
    _, holiday = tick(tmp_path, dt.datetime(2025, 11, 27, 18, 30, tzinfo=NEW_YORK))  # Thanksgiving
    assert not holiday.run_requests and "2025-11-27 (Thursday) is not an NYSE trading session" in holiday.skip_message
    _, weekend = tick(tmp_path, dt.datetime(2025, 11, 8, 18, 30, tzinfo=NEW_YORK))
    assert not weekend.run_requests and "Saturday" in weekend.skip_message


def test_the_mourning_day_closure_is_skipped(tmp_path):
    _, closed = tick(tmp_path, dt.datetime(2025, 1, 9, 18, 30, tzinfo=NEW_YORK))
    assert not closed.run_requests
