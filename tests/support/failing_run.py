"""A run of the real graph that fails at a chosen step, the way runs really fail: the step raises (a full disk), or
the process is killed inside the step's transaction (os._exit: nothing is cleaned up, nothing committed).

  python -m tests.support.failing_run DB CONFIG SNAPSHOT START END POINT MODE   (MODE: disk_full | killed)

POINT is an asset: the load steps fail after their facts are committed, the derived steps after recomputing and
before their transaction commits."""

from __future__ import annotations

import datetime as dt
import errno
import os
import sys
from contextlib import contextmanager
from pathlib import Path
from unittest import mock

from assets import alerting
from pipelines import calendar
from pipelines.config import Runtime
from pipelines.orchestration.execution import materialize_sessions
from pipelines.storage import ingest, publish

LOADS = {"daily_prices": "load_prices", "shares_outstanding": "load_fundamentals"}
DERIVED = ingest.DERIVED
# The last steps: notifications fail after recording their transitions and queueing; the copy fails to publish.
LAST = {"slack_notifications": (alerting, "notify"), "analytics_copy": (publish, "publish")}
POINTS = [*LOADS, *DERIVED, *LAST]


def _fail(mode: str, point: str):
    if mode == "killed":
        os._exit(137)
    raise OSError(errno.ENOSPC, f"No space left on device (injected at {point})")


@contextmanager
def failing_at(point: str, mode: str):
    """Patch the call that ends `point`'s work so that it completes, then fails: a load's or a last step's own
    call, or (derived steps) settle_recompute for that table, inside its transaction."""
    if point in LAST:
        module, name, when = *LAST[point], lambda *a: True
    elif point in LOADS:
        module, name, when = ingest, LOADS[point], lambda *a: True
    else:
        module, name, when = ingest, "settle_recompute", lambda con, model, *a: model == point
    real = getattr(module, name)

    def call_then_fail(*args, **kwargs):
        real(*args, **kwargs)
        if when(*args):
            _fail(mode, point)

    with mock.patch.object(module, name, call_then_fail):
        yield


def run(
    db: Path,
    config: Path,
    snapshot: Path,
    start: dt.date,
    end: dt.date,
    point: str | None = None,
    mode: str = "disk_full",
):
    sessions = calendar.sessions(start, end)
    runtime = Runtime(db, "replay", snapshot)
    if point is None:
        return materialize_sessions(runtime, str(config), sessions)
    with failing_at(point, mode):
        return materialize_sessions(runtime, str(config), sessions)


if __name__ == "__main__":
    db, config, snapshot, start, end, point, mode = sys.argv[1:]
    report = run(
        Path(db), Path(config), Path(snapshot), dt.date.fromisoformat(start), dt.date.fromisoformat(end), point, mode
    )
    sys.exit(0 if report.success else 1)
