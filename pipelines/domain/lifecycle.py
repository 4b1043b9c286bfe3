"""Alert lifecycle (Alertmanager's semantics, counted in trading sessions).

Transitions are derived from the stored findings alone, so a restart, a re-run or a backfill derives the same
ones; each is recorded once in alert_events, and only the ones meant for tonight are notified.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass

import pandas as pd

from pipelines import calendar
from pipelines.domain import silences as silencing
from pipelines.domain.episodes import build_episodes
from pipelines.rules import HEADLINE, SEVERITY_RANK, Finding, is_basket_rule
from pipelines.sqlfiles import sql


@dataclass(frozen=True)
class Transition:
    episode_key: str
    basket: str
    rule: str
    subject: str
    opened_on: dt.date
    session: dt.date
    transition: str  # open | repeat | escalate | resolve
    severity: str
    metrics: dict | None
    message: str


def derive_transitions(
    findings: list[Finding], evaluated_until: dt.date, resolve_after: int, repeat_every: int
) -> list[Transition]:
    out: list[Transition] = []
    for ep in build_episodes(findings, evaluated_until, resolve_after):
        key = episode_key(ep.basket, ep.rule, ep.subject, ep.first)
        days = calendar.sessions(ep.first, ep.last)
        idx = {d: i for i, d in enumerate(days)}
        first = ep.findings[0]
        opening = Transition(
            key,
            ep.basket,
            ep.rule,
            ep.subject,
            ep.first,
            ep.first,
            "open",
            first.severity,
            first.metrics,
            first.message,
        )
        out.append(opening)
        last_notice, top = idx[ep.first], SEVERITY_RANK[first.severity]
        for f in ep.findings[1:]:
            if SEVERITY_RANK[f.severity] > top:
                kind, top = "escalate", SEVERITY_RANK[f.severity]
            elif idx[f.as_of] - last_notice >= repeat_every:
                kind = "repeat"
            else:
                continue
            last_notice = idx[f.as_of]
            out.append(_at(opening, f, kind))
        if ep.resolved_on:
            out.append(
                Transition(
                    key,
                    ep.basket,
                    ep.rule,
                    ep.subject,
                    ep.first,
                    ep.resolved_on,
                    "resolve",
                    ep.severity,
                    None,
                    f"Resolved: {ep.rule} for {ep.subject} no longer holds (held {len(ep.findings)} "
                    f"session(s), {ep.first} .. {ep.last}).",
                )
            )
    return sorted(out, key=lambda t: (t.session, t.episode_key))


def record_transitions(
    con,
    transitions: list[Transition],
    notify_sessions: set[dt.date] | None,
    min_severity: str,
    now: dt.datetime,
    findings: list[Finding] = (),
    until: dt.date | None = None,
    late: set[tuple[str, dt.date]] = frozenset(),
    repeat_every: int | None = None,
) -> int:
    """Insert the transitions not recorded yet; `notify` is decided once, when first recorded.

    notify_sessions None means every session; `late` adds (basket, session) pairs whose data arrived only now. An
    episode that holds on a notified session but was never
    announced (it opened during a backfill, or before the first run) is announced then as `firing`, as
    Alertmanager announces what is firing when it starts. A resolve is notified only for an announced episode.
    An announced episode that the findings no longer contain (Yahoo revised the bars behind it) is resolved
    on `until` as withdrawn, so nobody is left waiting for a resolve that would never come.
    A transition a silence covers is recorded with silenced_by and not notified; an episode whose opening was
    silenced is not announced, so it is announced as `firing` on the first notified session after the silence.
    With `repeat_every`, reminders are timed from the last message sent for the episode (not from its opening: an
    episode first announced on a catch-up night is not announced again the next evening). A name's resolve while
    its basket's sell-off alert holds is recorded with inhibited_by and not sent (the basket alert speaks for it).
    """

    def loud(severity: str) -> bool:
        return SEVERITY_RANK[severity] >= SEVERITY_RANK[min_severity]

    def due(basket: str, session: dt.date) -> bool:
        return notify_sessions is None or session in notify_sessions or (basket, session) in late

    def silence(basket: str, t_rule: str, subject: str, session: dt.date) -> int | None:
        s = silencing.matching(quiet, basket, t_rule, subject, session)
        return s.id if s else None

    def too_soon(key: str, session: dt.date) -> bool:
        return repeat_every is not None and key in last_sent and _gap(last_sent[key], session) < repeat_every

    quiet = silencing.covering(con, dt.date.min)
    announced = {r[0] for r in con.execute(sql("alerts/announced_keys")).fetchall()}
    last_sent = dict(con.execute(sql("alerts/last_sent")).fetchall())
    # Indexed once: a night with hundreds of episodes must not scan every finding for every episode.
    held: dict[tuple[str, str, str], list[Finding]] = {}
    for f in sorted(findings, key=lambda f: f.as_of):
        held.setdefault((f.basket, f.rule, f.subject), []).append(f)
    resolved_on = {t.episode_key: t.session for t in transitions if t.transition == "resolve"}
    inhibitor = _inhibitors(transitions, resolved_on)
    rows = []
    for t in transitions:
        notify = due(t.basket, t.session) and loud(t.severity)
        inhibited = None
        if t.transition == "resolve":
            notify = notify and t.episode_key in announced
            inhibited = inhibitor(t.basket, t.session) if notify and not is_basket_rule(t.rule) else None
            notify = notify and inhibited is None
        elif t.transition == "repeat" and too_soon(t.episode_key, t.session):
            notify = False
        silenced = silence(t.basket, t.rule, t.subject, t.session) if notify else None
        if silenced:
            notify = False
        elif notify and t.transition != "resolve":
            announced.add(t.episode_key)
            last_sent[t.episode_key] = t.session
        rows.append(_row(t, notify, now, silenced, inhibited))
    for t in transitions:
        if t.transition != "open" or t.episode_key in announced:
            continue
        end = resolved_on.get(t.episode_key)  # the episode's findings are those before its resolve
        candidates = [
            f
            for f in held.get((t.basket, t.rule, t.subject), ())
            if f.as_of >= t.session and (end is None or f.as_of < end) and due(t.basket, f.as_of)
        ]
        quiet_first = [f for f in candidates if silence(t.basket, t.rule, t.subject, f.as_of)]
        f = next((f for f in candidates if f not in quiet_first), None)
        if f is not None and loud(f.severity):
            rows.append(_row(_at(t, f, "firing"), True, now))
            announced.add(t.episode_key)
            last_sent[t.episode_key] = f.as_of
        elif quiet_first and quiet_first[0].as_of != t.session and loud(quiet_first[0].severity):
            q = quiet_first[0]  # held only on silenced sessions: recorded as silenced, announced after the silence
            rows.append(_row(_at(t, q, "firing"), False, now, silence(t.basket, t.rule, t.subject, q.as_of)))
    if repeat_every is not None and notify_sessions:
        rows += _reminders(transitions, held, resolved_on, last_sent, notify_sessions, repeat_every, now, loud, silence)
    if until is not None:
        rows += [
            _row(t, due(t.basket, until), now) for t in _withdrawn(con, transitions, until)
        ]  # a correction: never silenced
    [(before,)] = con.execute(sql("alerts/count_events")).fetchall()
    if rows:
        con.register("incoming_events", pd.DataFrame(rows, columns=EVENT_COLUMNS))
        con.execute(sql("alerts/insert_events"))
        con.unregister("incoming_events")  # not on failure: an aborted transaction refuses it (as in store.py)
    [(after,)] = con.execute(sql("alerts/count_events")).fetchall()
    return after - before


def _at(opening: Transition, f: Finding, kind: str) -> Transition:
    """A transition of the episode that `opening` opened, on the session of finding `f`."""
    return Transition(
        opening.episode_key,
        opening.basket,
        opening.rule,
        opening.subject,
        opening.opened_on,
        f.as_of,
        kind,
        f.severity,
        f.metrics,
        f.message,
    )


def _gap(first: dt.date, last: dt.date) -> int:
    """Sessions from `first` to `last` (0 on the same session)."""
    return len(calendar.sessions(first, last)) - 1 if last >= first else -1


def _inhibitors(transitions: list[Transition], resolved_on: dict[str, dt.date]):
    """(basket, session) -> the episode key of the basket's sell-off alert holding then, or None."""
    spans: dict[str, list[tuple[dt.date, dt.date | None, str]]] = {}
    for t in transitions:
        if t.transition == "open" and t.rule == HEADLINE.name:
            spans.setdefault(t.basket, []).append((t.opened_on, resolved_on.get(t.episode_key), t.episode_key))

    def holding(basket: str, day: dt.date) -> str | None:
        return next((k for start, end, k in spans.get(basket, ()) if start <= day and (end is None or day < end)), None)

    return holding


def _reminders(transitions, held, resolved_on, last_sent, notify_sessions, repeat_every, now, loud, silence) -> list:
    """A reminder on a notified session for an announced episode still holding, `repeat_every` sessions after its
    last message, where the episode has no transition of its own that session."""
    derived = {(t.episode_key, t.session) for t in transitions if t.transition != "resolve"}
    out = []
    for t in (t for t in transitions if t.transition == "open" and t.episode_key in last_sent):
        end = resolved_on.get(t.episode_key)
        for f in held.get((t.basket, t.rule, t.subject), ()):
            if (
                f.as_of in notify_sessions
                and t.session <= f.as_of
                and (end is None or f.as_of < end)
                and (t.episode_key, f.as_of) not in derived
                and _gap(last_sent[t.episode_key], f.as_of) >= repeat_every
                and loud(f.severity)
                and not silence(t.basket, t.rule, t.subject, f.as_of)
            ):
                out.append(_row(_at(t, f, "repeat"), True, now))
                last_sent[t.episode_key] = f.as_of
    return out


def _withdrawn(con, transitions: list[Transition], until: dt.date) -> list[Transition]:
    derived = {t.episode_key for t in transitions}
    rows = con.execute(sql("alerts/announced_unresolved"), {"until": until}).fetchall()
    return [
        Transition(
            key,
            basket,
            rule,
            subject,
            opened,
            until,
            "resolve",
            max(severities, key=SEVERITY_RANK.__getitem__),
            None,
            f"Withdrawn: {rule} for {subject} (since {opened}) no longer holds after the data behind it was revised.",
        )
        for key, basket, rule, subject, opened, severities in rows
        if key not in derived
    ]


EVENT_COLUMNS = [
    "episode_key",
    "basket",
    "rule",
    "subject",
    "opened_on",
    "session",
    "transition",
    "severity",
    "metrics",
    "message",
    "notify",
    "recorded_at",
    "silenced_by",
    "inhibited_by",
]


def _row(
    t: Transition, notify: bool, now: dt.datetime, silenced_by: int | None = None, inhibited_by: str | None = None
) -> tuple:
    return (
        t.episode_key,
        t.basket,
        t.rule,
        t.subject,
        t.opened_on,
        t.session,
        t.transition,
        t.severity,
        json.dumps(t.metrics, sort_keys=True, default=str) if t.metrics is not None else None,
        t.message,
        notify,
        now,
        silenced_by,
        inhibited_by,
    )


def episode_key(basket: str, rule: str, subject: str, first: dt.date) -> str:
    return f"{basket}|{rule}|{subject}|{first}"


def notification_id(basket: str, kind: str, session: dt.date, keys: list[str]) -> str:
    digest = hashlib.sha1("\n".join(sorted(keys)).encode()).hexdigest()[:12]
    return f"{basket}:{kind}:{session}:{digest}"
