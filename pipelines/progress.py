"""Terminal progress for `market-monitor run`: one line per step as it starts and ends, plus warnings."""

from __future__ import annotations

import logging
import sys
import time

import dagster as dg


class StepProgress(logging.Handler):
    def __init__(self, stream=None):
        super().__init__(level=logging.DEBUG)
        self.stream = stream or sys.stderr
        self.started: dict[str, float] = {}

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
            self._say(f"  !! {step} failed, retrying: {event.message or ''}"[:300])
        elif kind == "STEP_FAILURE":
            self._say(f"  !! {step} failed")
        elif kind is None and record.levelno >= logging.WARNING:
            self._say(f"     warning: {meta.get('orig_message') or record.getMessage()}"[:300])

    def _say(self, line: str) -> None:
        print(line, file=self.stream, flush=True)


@dg.logger(description="One line per step on stderr: what runs now, how long it took, what went wrong.")
def progress_logger(_init_context) -> logging.Logger:
    logger = logging.Logger("market_monitor.progress", level=logging.DEBUG)
    logger.addHandler(StepProgress())
    return logger
