"""Terminal progress for `market-monitor run`: one line per step as it starts and ends, plus warnings."""

from __future__ import annotations

import logging
import sys
import time

import dagster as dg


class StepProgress(logging.Handler):
    def __init__(self, stream=None, retries: int | None = None):
        super().__init__(level=logging.DEBUG)
        self.stream = stream or sys.stderr
        self.retries = retries
        self.started: dict[str, float] = {}
        self.attempts: dict[str, int] = {}

    def emit(self, record: logging.LogRecord) -> None:
        meta = getattr(record, "dagster_meta", None) or {}
        event = meta.get("dagster_event")
        step = meta.get("step_key")
        kind = event.event_type_value if event else None
        if kind == "STEP_START":
            self.started[step] = time.monotonic()
            self._say(f"  .. {step}")
        elif kind == "STEP_SUCCESS":
            self._say(f"  ok {step} ({time.monotonic() - self.started.get(step, time.monotonic()):.1f} s)")
        elif kind == "STEP_UP_FOR_RETRY":
            self.attempts[step] = self.attempts.get(step, 0) + 1
            data = event.event_specific_data
            wait = f" in {data.seconds_to_wait:.0f} s" if getattr(data, "seconds_to_wait", None) else ""
            of = f" of {self.retries}" if self.retries is not None else ""
            cause = _cause(getattr(data, "error", None))
            self._say(f"  !! {step}: retry {self.attempts[step]}{of}{wait}: {cause}"[:400])
        elif kind == "STEP_FAILURE":
            self._say(f"  !! {step} failed")
        elif kind is None and record.levelno >= logging.WARNING:
            self._say(f"     warning: {meta.get('orig_message') or record.getMessage()}"[:300])

    def _say(self, line: str) -> None:
        print(line, file=self.stream, flush=True)


def _cause(error) -> str:
    """The innermost cause of a serialized error, one line."""
    if error is None:
        return "failed"
    while error.cause is not None:
        error = error.cause
    return (error.message or "").strip().splitlines()[0] if (error.message or "").strip() else error.cls_name or ""


@dg.logger(
    config_schema={"retries": dg.Field(int, is_required=False)},
    description="One line per step on stderr: what runs now, how long it took, what went wrong.",
)
def progress_logger(init_context) -> logging.Logger:
    logger = logging.Logger("market_monitor.progress", level=logging.DEBUG)
    logger.addHandler(StepProgress(retries=(init_context.logger_config or {}).get("retries")))
    return logger
