"""The outbox: notifications written to DuckDB before sending, one row per (notification, destination), each
marked delivered only when that destination acknowledges it: a destination that fails is retried alone."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd

from pipelines.channels import message
from pipelines.channels.notifier import Attaching, LookupInconclusive, Message, Notifier
from pipelines.config import Basket
from pipelines.domain import history, silences
from pipelines.domain.lifecycle import notification_id
from pipelines.rules import BY_NAME, HEADLINE, SEVERITY_RANK, is_basket_rule
from pipelines.sqlfiles import sql


def _dicts(cursor) -> list[dict]:
    cols = [d[0] for d in cursor.description]
    return [dict(zip(cols, r)) for r in cursor.fetchall()]


def _pending_events(con) -> list[dict]:
    events = _dicts(con.execute(sql("outbox/pending_events")))
    for e in events:
        e["metrics"] = json.loads(e["metrics"]) if e.get("metrics") else None
    return events


def _thread_parent(con, episode_key: str) -> str | None:
    row = con.execute(sql("outbox/thread_parent"), {"episode_key": episode_key}).fetchone()
    return row[0] if row else None


def _still_firing(
    con, basket: str, session: dt.date, exclude: set[str], min_severity: str, quiet: list[silences.Silence]
) -> list[dict]:
    """Announced episodes of the basket that hold on this session but have no transition in its message (nor a
    silence): context."""
    floor = SEVERITY_RANK[min_severity]
    return [
        o
        for o in _dicts(con.execute(sql("outbox/still_firing"), {"basket": basket, "session": session}))
        if f"{o['rule']}|{o['subject']}" not in exclude
        and SEVERITY_RANK[o["severity"]] >= floor
        and not silences.matching(quiet, basket, o["rule"], o["subject"], session)
    ]


def _history(con, basket: str, session: dt.date, events: list[dict]) -> tuple[str, ...]:
    sector = next((e for e in events if e["rule"] == HEADLINE.name), None)
    if sector is None:
        return ()
    found = history.sector_history(con, basket, HEADLINE.name, session, sector["opened_on"])
    return tuple(history.lines(found)) if found else ()


def _figures(
    con, basket: Basket, session: dt.date, events: list[dict], quiet: list[silences.Silence]
) -> message.SessionFigures:
    names = con.execute(sql("outbox/session_names"), {"session": session, "tickers": basket.symbols}).fetchall()
    return message.SessionFigures(
        names,
        basket.tickers,
        basket.benchmark,
        _history(con, basket.name, session, events),
        tuple(s.describe() for s in quiet if s.basket in (None, basket.name)),
        basket.title,
    )


def _ended(con, basket: str, session: dt.date, e: dict) -> message.Ended:
    """A resolved episode's length, its figure on the session it resolved and at its peak (from its findings)."""
    rows = con.execute(
        sql("outbox/episode_findings"),
        {"basket": basket, "rule": e["rule"], "subject": e["subject"], "start": e["opened_on"], "end": session},
    ).fetchall()
    findings = [(day, json.loads(m)) for day, m in rows]
    rule = BY_NAME.get(e["rule"])
    now = peak = peak_on = None
    if rule and rule.figure and findings:
        peak_on, worst = min(findings, key=lambda f: rule.magnitude(f[1]))
        peak = rule.figure.of(worst)
        if rule.figure.source == "basket":
            found = _dicts(con.execute(sql("outbox/figure_of_basket"), {"basket": basket, "session": session}))
        else:
            found = _dicts(con.execute(sql("outbox/figure_of_subject"), {"subject": e["subject"], "session": session}))
        now = found[0].get(rule.figure.column) if found else None
    return message.Ended(e, len(findings), findings[-1][0] if findings else None, now, peak, peak_on)


def compose(
    con,
    baskets: list[Basket],
    run_url: str | None,
    routes: dict[str, list[tuple[str, bool, bool]]],
    now: dt.datetime,
    min_severity: str = "warning",
    late: dict[tuple[str, dt.date], dt.date] | None = None,
    chart: Callable[[Basket, dt.date], bytes | None] | None = None,
    ui_url: str | None = None,
) -> list[str]:
    """Turn notifiable transitions not yet carried by a message into outbox rows (caller holds the transaction).

    Per basket, one digest per session for opens, repeats and escalations; one resolved notice per session and
    thread. Each message is queued once per destination of its basket: `routes` maps a basket to its (destination,
    sendable, takes_files) triples (sendable False: a dry run, recorded and never sent). `late` maps a (basket,
    session) whose data arrived only later to the session it arrived on (labelled in the digest). `chart` draws a
    basket's session PNG: a digest where a rule opened (or was first announced) or escalated gets it queued for
    its thread at every destination that can take a file.
    """
    events = _pending_events(con)
    created: list[str] = []
    by_name = {b.name: b for b in baskets}
    links = {"Dagster run": run_url} if run_url else {}
    if ui_url:
        links["alerts in Dagster"] = f"{ui_url.rstrip('/')}/assets/alerts"
    for basket_name, session in sorted({(e["basket"], e["session"]) for e in events}, key=lambda k: (k[1], k[0])):
        basket = by_name.get(basket_name)
        if basket is None:  # a basket dropped from the config: its transitions stay recorded, nothing is sent
            continue
        todays = [e for e in events if e["session"] == session and e["basket"] == basket_name]
        news = [e for e in todays if e["transition"] != "resolve"]
        groups: list[tuple[str, str | None, list[dict]]] = []
        if news:
            groups.append(("digest", None, news))
        by_parent: dict[str | None, list[dict]] = {}
        for e in (e for e in todays if e["transition"] == "resolve"):
            by_parent.setdefault(_thread_parent(con, e["episode_key"]), []).append(e)
        groups += [("resolved", parent, evs) for parent, evs in by_parent.items()]
        for kind, parent, evs in groups:
            keys = [f"{e['episode_key']}|{e['transition']}" for e in evs]
            nid = notification_id(basket_name, kind, session, keys)
            try:
                if kind == "digest":
                    quiet = silences.covering(con, session)
                    others = _still_firing(
                        con, basket_name, session, {f"{e['rule']}|{e['subject']}" for e in evs}, min_severity, quiet
                    )
                    figures = _figures(con, basket, session, evs, quiet)
                    text, blocks = message.digest(
                        session, evs, figures, links, others, arrived=(late or {}).get((basket_name, session))
                    )
                else:
                    ended = [_ended(con, basket_name, session, e) for e in evs]
                    text, blocks = message.resolved(session, ended, basket.title)
            except Exception as exc:  # composing a message never loses the alert nor fails the pipeline
                text, blocks = message.fallback(session, evs, exc, basket.title)
            for destination, sendable, _files in routes.get(basket_name, ()):
                con.execute(
                    sql("outbox/insert"),
                    {
                        "notification_id": nid,
                        "destination": destination,
                        "basket": basket_name,
                        "session": session,
                        "kind": kind,
                        "thread_of": parent,
                        "text": text,
                        "blocks": json.dumps(blocks),
                        "status": "pending" if sendable else "dry_run",
                        "created_at": now,
                    },
                ).fetchall()
            carried = pd.DataFrame(
                [(e["episode_key"], e["session"], e["transition"]) for e in evs],
                columns=["episode_key", "session", "transition"],
            ).assign(notification_id=nid)
            con.register("carried", carried)
            con.execute(sql("outbox/mark_carried")).fetchall()
            con.unregister("carried")
            created.append(nid)
            if (
                kind == "digest"
                and chart
                and any(e["transition"] in CHARTED and is_basket_rule(e["rule"]) for e in evs)
            ):
                takes = [(d, s) for d, s, files in routes.get(basket_name, ()) if files]
                _queue_chart(con, nid, basket, session, chart, takes, now)
    return created


# News of the basket as a whole: a repeat's chart would say nothing new, and a digest of single names has their
# figures in its table (at 20 baskets of random walks, charting those cost 3 s a night)
CHARTED = {"open", "firing", "escalate"}
MAX_FILE_ATTEMPTS = 3


def chart_filename(notification_id: str) -> str:
    """Unique per message: a retry finds an earlier upload of it in the thread by this name."""
    return "market-monitor-" + notification_id.replace(":", "-") + ".png"


def _queue_chart(
    con,
    nid: str,
    basket: Basket,
    session: dt.date,
    chart: Callable[[Basket, dt.date], bytes | None],
    routes: list[tuple[str, bool]],
    now: dt.datetime,
) -> None:
    """Drawn once, queued for each destination's thread (`routes` lists only those that can take a file)."""
    title = f"market-monitor {session}: {basket.title} and names, 5-session change against the thresholds"
    try:
        png, error = chart(basket, session), "nothing to draw (no 5-session figures)"
    except Exception as exc:  # a chart that cannot be drawn never holds back the message; the reason is kept
        png, error = None, f"could not draw: {type(exc).__name__}: {exc}"[:500]
    for destination, sendable in routes:
        key = {"notification_id": nid, "destination": destination, "filename": chart_filename(nid)}
        status = ("pending" if sendable else "dry_run") if png else "abandoned"
        row = {**key, "title": title, "content": png or b"", "status": status, "created_at": now}
        con.execute(sql("outbox/insert_file"), row).fetchall()
        if not png:
            con.execute(
                sql("outbox/file_failed"),
                {**key, "error": error, "permanent": True, "max_attempts": MAX_FILE_ATTEMPTS},
            )


RESENT_NOTE = (
    "(re-sent: an earlier attempt failed in a way that may have delivered it, and a webhook cannot be checked)"
)


@dataclass
class DeliveryReport:
    delivered: list[str] = field(default_factory=list)  # "notification_id -> destination"
    failed: dict[str, str] = field(default_factory=dict)  # "notification_id -> destination" -> error (scrubbed)
    still_pending: int = 0
    cause: str | None = None  # one line: why messages stay undelivered (the first failure, or a permanent one)
    files_delivered: list[str] = field(default_factory=list)
    files_failed: dict[str, str] = field(default_factory=dict)  # filename -> error (retried, or abandoned)

    def record(self, key: str, error: str) -> None:
        self.failed[key] = error
        self.cause = self.cause or error


def text_of(con, notification_id: str) -> str:
    return con.execute(sql("outbox/text_of"), [notification_id]).fetchall()[0][0]


def files_of(con, notification_id: str) -> list[tuple[str, int]]:
    """(filename, bytes) of the files queued for the message's thread (one per file, whatever the destinations)."""
    return con.execute(sql("outbox/files_of"), [notification_id]).fetchall()


def pending(con) -> list[dict]:
    return _dicts(con.execute(sql("outbox/pending")))


def _as_resent(text: str, blocks: list[dict]) -> tuple[str, list[dict]]:
    note = {"type": "context", "elements": [{"type": "mrkdwn", "text": RESENT_NOTE}]}
    return f"{text}\n{RESENT_NOTE}", [*blocks, note][:50]


def deliver(con, senders: dict[str, Notifier], now: dt.datetime) -> DeliveryReport:
    """Send every pending (notification, destination) in order through that destination's sender; each outcome is
    committed on its own, so nothing delivered is sent again and nothing failed is lost, and a destination that
    fails never makes another one send again. A reply waits for its parent message at the same destination.

    The attempt is recorded before the post, so a process killed while the channel answers leaves a trace: the next
    run looks the message up (by its idempotency key) before posting again. A lookup that fails (no
    channels:history scope, an inconclusive page) holds that message alone, named, never posted blind. A webhook
    cannot be looked up: its re-send says so in the message. A permanent error of a post (a bad token, an unknown
    channel) stops this run's deliveries to that destination: every other message would fail the same way there,
    and they all stay queued."""
    report = DeliveryReport()
    stopped: dict[str, str] = {}
    for note in pending(con):
        nid, destination = note["notification_id"], note["destination"]
        key = {"notification_id": nid, "destination": destination}
        label = f"{nid} -> {destination}"
        sender = senders.get(destination)
        if sender is None:  # queued for a destination this run has no settings for (removed, or its secret unset)
            report.record(label, f"{destination}: no settings for this destination in this run; kept queued")
            continue
        if destination in stopped:
            report.failed[label] = f"not attempted: {stopped[destination]}"
            continue
        thread_ts = None
        if note["thread_of"]:
            parent = con.execute(sql("outbox/parent"), {**key, "notification_id": note["thread_of"]}).fetchone()
            if parent and parent[0] == "pending":
                report.record(label, f"waiting for {note['thread_of']}")
                continue
            thread_ts = parent[1] if parent else None
        text, blocks = note["text"], json.loads(note["blocks"])
        if note["attempts"]:
            # An earlier attempt may have arrived: look before posting again. A lookup that fails holds this
            # message only (posting it blind could send it twice); the messages after it still go out.
            try:
                ack = sender.find_posted(nid, note["created_at"], thread_ts)
            except Exception as exc:
                why = str(exc) if isinstance(exc, LookupInconclusive) else sender.failure(exc).text
                held = f"held: cannot tell whether an earlier attempt arrived ({why}); not posted again"
                con.execute(sql("outbox/record_error"), {**key, "error": held[:500]})
                report.record(label, held)
                continue
        else:
            ack = None
        try:
            if ack is None:
                if note["attempts"] and not sender.can_look_up:
                    text, blocks = _as_resent(text, blocks)
                con.execute(sql("outbox/count_attempt"), key)
                ack = sender.post(Message(text, blocks), thread_ts, nid)
        except Exception as exc:  # every failure is kept with its reason and retried next run
            failure = sender.failure(exc)
            con.execute(sql("outbox/record_error"), {**key, "error": failure.text[:500]})
            report.record(label, failure.text)
            if failure.permanent:
                stopped[destination], report.cause = failure.text, failure.text
            continue
        channel, ts = ack
        con.execute(sql("outbox/mark_delivered"), {**key, "now": now, "channel": channel, "ts": ts})
        report.delivered.append(label)
    report.still_pending = con.execute(sql("outbox/count_pending")).fetchall()[0][0]
    attaching = {d: s for d, s in senders.items() if isinstance(s, Attaching) and d not in stopped}
    if attaching:
        _deliver_files(con, attaching, now, report)
    return report


def _deliver_files(con, senders: dict[str, Attaching], now: dt.datetime, report: DeliveryReport) -> None:
    """Upload the files whose message is delivered, into its thread at that destination. A failure is kept with its
    reason and retried by the next run (after looking for the earlier attempt in the thread), abandoned after
    MAX_FILE_ATTEMPTS; the message it belongs to is never touched."""
    for f in _dicts(con.execute(sql("outbox/pending_files"))):
        sender = senders.get(f["destination"])
        if sender is None:
            continue
        key = {"notification_id": f["notification_id"], "destination": f["destination"], "filename": f["filename"]}
        try:
            file_id = sender.find_attached(f["filename"], f["channel"], f["ts"]) if f["attempts"] else None
            if file_id is None:
                con.execute(sql("outbox/file_attempt"), key)
                file_id = sender.attach(bytes(f["content"]), f["filename"], f["title"], f["channel"], f["ts"])
        except Exception as exc:
            failure = sender.failure(exc)
            (status,) = con.execute(
                sql("outbox/file_failed"),
                {**key, "error": failure.text[:500], "permanent": failure.permanent, "max_attempts": MAX_FILE_ATTEMPTS},
            ).fetchone()
            what = "abandoned: not retried" if status == "abandoned" else "retried next run"
            report.files_failed[f["filename"]] = f"{failure.text} ({what})"
            continue
        con.execute(sql("outbox/file_delivered"), {**key, "now": now, "file_id": file_id})
        report.files_delivered.append(f["filename"])
