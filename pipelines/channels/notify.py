"""Tonight's notifications: derive transitions from the stored findings, queue them, deliver them."""

from __future__ import annotations

import datetime as dt
import json
import textwrap
from dataclasses import dataclass, field

from pipelines import calendar
from pipelines.channels import charts, outbox
from pipelines.channels.notifier import Notifier
from pipelines.channels.routes import Routes
from pipelines.config import MonitorConfig
from pipelines.domain.lifecycle import derive_transitions, record_transitions
from pipelines.rules import INCOMPLETE, Finding
from pipelines.sqlfiles import sql
from pipelines.storage import store


@dataclass
class NotifyReport:
    transitions_recorded: int = 0
    queued: list[str] = field(default_factory=list)
    dry_run: bool = False  # no destination of any basket had its settings: nothing was sent
    dry_run_destinations: list[str] = field(default_factory=list)  # those without settings (the rest were sent)
    delivery: outbox.DeliveryReport = field(default_factory=outbox.DeliveryReport)
    texts: str = ""  # the queued messages' text, for the UI (markdown)

    def summary(self) -> str:
        if self.dry_run:
            return f"nothing sent (no Slack settings): {len(self.queued)} message(s) recorded as dry run"
        d = self.delivery
        text = f"{len(d.delivered)} message(s) delivered"
        if self.dry_run_destinations:
            text += f" (dry run, nothing sent: {'; '.join(self.dry_run_destinations)})"
        if d.files_delivered:
            text += f", {len(d.files_delivered)} chart(s) in their threads"
        if d.still_pending:
            text += f", {d.still_pending} pending after failures (retried next run)"
        if d.files_failed:
            text += f", {len(d.files_failed)} chart(s) not uploaded ({next(iter(d.files_failed.values()))})"
        return text


def due_sessions(start: dt.date, end: dt.date, *, history: bool, tonight: dt.date) -> set[dt.date]:
    """Only tonight is notified: the run's last session, when it is the session the source calls tonight (live:
    the latest completed session, so a backfill of the past records its episodes and sends nothing; replay: the
    run's last session). `history` (run tag market_monitor/notify_history=true) notifies the whole range."""
    if history:
        return set(calendar.sessions(start, end))
    return {end} if end == tonight else set()


def stored_findings(con, until: dt.date) -> list[Finding]:
    rows = con.execute(sql("alerts/stored_findings"), {"until": until}).fetchall()
    return [Finding(r, s, d, sev, json.loads(m), msg, b) for r, s, d, sev, m, msg, b in rows]


UI_WIDTH = 100  # characters a code block in the Dagster UI's metadata view shows before it cuts the line off


def for_ui(text: str, width: int = UI_WIDTH) -> str:
    """A message as the UI's metadata view shows it (a monospace block that does not wrap): long lines wrapped at
    `width`, continuations indented; the per-name table's lines are short and stay as they are."""
    lines = []
    for line in text.splitlines():
        wrapped = textwrap.wrap(line, width, subsequent_indent="    ", break_on_hyphens=False)
        lines += wrapped or [""]
    return "\n".join(lines)


def notify(
    con,
    cfg: MonitorConfig,
    until: dt.date,
    notify_sessions: set[dt.date],
    routes: Routes | Notifier | None,
    run_url: str | None,
    now: dt.datetime | None = None,
    ui_url: str | None = None,
) -> NotifyReport:
    """Record the lifecycle up to `until`, queue what is due for `notify_sessions` (per basket, to each of its
    destinations), and deliver the outbox. `routes`: each basket's destinations, or one sender for every basket
    (None: a dry run, messages are recorded and nothing is sent)."""
    now = now or dt.datetime.now(dt.UTC).replace(tzinfo=None)
    if not isinstance(routes, Routes):
        routes = Routes.one(cfg, routes)
    late: set[tuple[str, dt.date]] = set()
    if until in notify_sessions:  # tonight is notified: so are recent sessions whose data has only now arrived
        since = calendar.sessions_back(until, cfg.history.refetch_sessions)
        params = {"since": since, "until": until, "rule": INCOMPLETE}
        late = {(b, d) for b, d in con.execute(sql("alerts/completed_late"), params).fetchall()}
    findings = stored_findings(con, until)
    transitions = derive_transitions(
        findings, until, cfg.alerts.resolve_after_sessions, cfg.alerts.repeat_interval_sessions
    )
    report = NotifyReport(
        dry_run=routes.dry_run,
        dry_run_destinations=list(
            dict.fromkeys(r.describe() for rs in routes.by_basket.values() for r in rs if r.sender is None)
        ),
    )
    with store.transaction(con):
        report.transitions_recorded = record_transitions(
            con,
            transitions,
            notify_sessions,
            cfg.alerts.notify_min_severity,
            now,
            findings,
            until,
            late,
            cfg.alerts.repeat_interval_sessions,
        )
        report.queued = outbox.compose(
            con,
            list(cfg.baskets),
            run_url,
            routes.for_outbox(),
            now=now,
            min_severity=cfg.alerts.notify_min_severity,
            late={key: until for key in late},
            chart=lambda basket, day: charts.watchlist_chart(con, basket, day),
            ui_url=ui_url,
        )
    report.texts = "\n\n".join(f"**{nid}**\n```\n{for_ui(outbox.text_of(con, nid))}\n```" for nid in report.queued[:5])
    if not routes.dry_run:
        report.delivery = outbox.deliver(con, routes.senders, now)
    return report
