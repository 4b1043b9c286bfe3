"""The outbox: notifications written to DuckDB before sending, marked delivered only when Slack acknowledges."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field

from pipelines.alerting import message
from pipelines.alerting.lifecycle import notification_id
from pipelines.rules import SEVERITY_RANK

EVENT_COLUMNS = ["episode_key", "rule", "subject", "opened_on", "session", "transition", "severity", "metrics",
                 "message"]


def _pending_events(con) -> list[dict]:
    rows = con.execute(f"SELECT {', '.join(EVENT_COLUMNS)} FROM alert_events "
                       "WHERE notify AND notification_id IS NULL ORDER BY session, episode_key").fetchall()
    return [message.event_dict(r, EVENT_COLUMNS) for r in rows]


def _thread_parent(con, episode_key: str) -> str | None:
    row = con.execute("SELECT notification_id FROM alert_events WHERE episode_key = ? AND transition <> 'resolve' "
                      "AND notification_id IS NOT NULL ORDER BY session LIMIT 1", [episode_key]).fetchone()
    return row[0] if row else None


def _still_firing(con, session: dt.date, exclude: set[str], min_severity: str) -> list[dict]:
    """Announced episodes that hold on this session but have no transition in its message: context."""
    rows = con.execute(
        "SELECT a.rule, a.subject, a.severity, max(e.opened_on) AS since FROM alerts a "
        "JOIN alert_events e ON e.rule = a.rule AND e.subject = a.subject AND e.notify AND e.transition <> 'resolve' "
        "WHERE a.as_of = ? GROUP BY ALL ORDER BY a.rule, a.subject", [session]).fetchall()
    floor = SEVERITY_RANK[min_severity]
    return [{"rule": r, "subject": s, "severity": sev, "since": since} for r, s, sev, since in rows
            if f"{r}|{s}" not in exclude and SEVERITY_RANK[sev] >= floor]


def compose(con, tickers: list[str], benchmark: str, run_url: str | None, dry_run: bool,
            now: dt.datetime, min_severity: str = "warning", name_threshold: float = -0.05,
            late: dict[dt.date, dt.date] | None = None) -> list[str]:
    """Turn notifiable transitions not yet carried by a message into outbox rows (caller holds the transaction).

    One digest per session for opens, repeats and escalations; one resolved notice per session and thread.
    `late` maps a session whose data arrived only later to the session it arrived on (labelled in the digest).
    """
    events = _pending_events(con)
    created: list[str] = []
    status = "dry_run" if dry_run else "pending"
    sessions = sorted({e["session"] for e in events})
    for session in sessions:
        todays = [e for e in events if e["session"] == session]
        news = [e for e in todays if e["transition"] != "resolve"]
        groups: list[tuple[str, str | None, list[dict]]] = []
        if news:
            groups.append(("digest", None, news))
        by_parent: dict[str | None, list[dict]] = {}
        for e in (e for e in todays if e["transition"] == "resolve"):
            by_parent.setdefault(_thread_parent(con, e["episode_key"]), []).append(e)
        groups += [("resolved", parent, evs) for parent, evs in by_parent.items()]
        for kind, parent, evs in groups:
            nid = notification_id(kind, session, [f"{e['episode_key']}|{e['transition']}" for e in evs])
            try:
                if kind == "digest":
                    others = _still_firing(con, session, {f"{e['rule']}|{e['subject']}" for e in evs}, min_severity)
                    text, blocks = message.digest(con, session, evs, tickers, benchmark, run_url, others,
                                                  name_threshold, arrived=(late or {}).get(session))
                else:
                    text, blocks = message.resolved(session, evs)
            except Exception as exc:  # composing a message never loses the alert nor fails the pipeline
                text, blocks = message.fallback(session, evs, exc)
            con.execute("INSERT OR IGNORE INTO outbox (notification_id, session, kind, thread_of, text, blocks, "
                        "status, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                        [nid, session, kind, parent, text, json.dumps(blocks), status, now])
            for e in evs:
                con.execute("UPDATE alert_events SET notification_id = ? WHERE episode_key = ? AND session = ? "
                            "AND transition = ?", [nid, e["episode_key"], e["session"], e["transition"]])
            created.append(nid)
    return created


RESENT_NOTE = ("(re-sent: an earlier attempt failed in a way that may have delivered it, and a webhook cannot be "
               "checked)")


@dataclass
class DeliveryReport:
    delivered: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)  # notification_id -> error (secrets scrubbed)
    still_pending: int = 0
    cause: str | None = None  # one line: why messages stay undelivered (the first failure, or a permanent one)

    def record(self, nid: str, error: str) -> None:
        self.failed[nid] = error
        self.cause = self.cause or error


def pending(con) -> list[dict]:
    cols = ["notification_id", "session", "kind", "thread_of", "text", "blocks", "attempts", "created_at"]
    rows = con.execute(f"SELECT {', '.join(cols)} FROM outbox WHERE status = 'pending' "
                       "ORDER BY created_at, session, kind, notification_id").fetchall()
    return [dict(zip(cols, r)) for r in rows]


def _as_resent(text: str, blocks: list[dict]) -> tuple[str, list[dict]]:
    note = {"type": "context", "elements": [{"type": "mrkdwn", "text": RESENT_NOTE}]}
    return f"{text}\n{RESENT_NOTE}", [*blocks, note][:50]


def deliver(con, sender, now: dt.datetime) -> DeliveryReport:
    """Send every pending notification in order; each outcome is committed on its own, so nothing delivered is
    sent again and nothing failed is lost. A reply waits for its parent message.

    The attempt is recorded before the post, so a process killed while Slack answers leaves a trace: the next
    run looks the message up in the channel (by its idempotency key) before posting again. A webhook cannot be
    looked up: its re-send says so in the message. A permanent error (a bad token, an unknown channel) stops this
    run's deliveries: every other message would fail the same way, and they all stay queued."""
    report = DeliveryReport()
    stopped: str | None = None
    for note in pending(con):
        nid = note["notification_id"]
        if stopped:
            report.failed[nid] = f"not attempted: {stopped}"
            continue
        thread_ts = None
        if note["thread_of"]:
            parent = con.execute("SELECT status, ts FROM outbox WHERE notification_id = ?",
                                 [note["thread_of"]]).fetchone()
            if parent and parent[0] == "pending":
                report.record(nid, f"waiting for {note['thread_of']}")
                continue
            thread_ts = parent[1] if parent else None
        text, blocks = note["text"], json.loads(note["blocks"])
        try:
            ack = sender.find_posted(nid, note["created_at"], thread_ts) if note["attempts"] else None
            if ack is None:
                if note["attempts"] and not sender.can_look_up:
                    text, blocks = _as_resent(text, blocks)
                con.execute("UPDATE outbox SET attempts = attempts + 1 WHERE notification_id = ?", [nid])
                ack = sender.post(text, blocks, thread_ts, nid)
        except Exception as exc:  # every failure is kept with its reason and retried next run
            failure = sender.failure(exc)
            con.execute("UPDATE outbox SET last_error = ? WHERE notification_id = ?", [failure.text[:500], nid])
            report.record(nid, failure.text)
            if failure.permanent:
                stopped, report.cause = failure.text, failure.text
            continue
        channel, ts = ack
        con.execute("UPDATE outbox SET status = 'delivered', delivered_at = ?, channel = ?, ts = ?, last_error = NULL "
                    "WHERE notification_id = ?", [now, channel, ts, nid])
        report.delivered.append(nid)
    report.still_pending = con.execute("SELECT count(*) FROM outbox WHERE status = 'pending'").fetchone()[0]
    return report
