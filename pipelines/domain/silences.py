"""Silences, as in Alertmanager but counted in sessions: a rule (optionally one basket, one subject) is quiet for the
sessions up to and including a date. Matched against the session being notified, so a replay and a live night behave
alike.
A silenced transition is recorded in alert_events (silenced_by) and not sent; an episode still holding when its
silence ends is announced then as firing since its first session (pipelines/domain/lifecycle.py)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from pipelines.fmt import control_chars
from pipelines.rules import BY_NAME, title
from pipelines.sqlfiles import sql


class SilenceError(ValueError):
    """Bad input for a silence: nothing was changed."""


@dataclass(frozen=True)
class Silence:
    id: int
    rule: str
    subject: str | None  # None: every subject
    until: dt.date
    reason: str
    created_by: str
    basket: str | None = None  # None: every basket

    def covers(self, basket: str, rule: str, subject: str, session: dt.date) -> bool:
        return (
            rule == self.rule
            and self.basket in (None, basket)
            and self.subject in (None, subject)
            and session <= self.until
        )

    def describe(self) -> str:
        """As a digest names it: the rule's title, its subject and basket, until when, and who said why."""
        where = f" in {self.basket}" if self.basket else ""
        return (
            f"{title(self.rule)}, {self.subject or 'every subject'}{where}, until {self.until} (#{self.id}, "
            f"{self.created_by}: {self.reason})"
        )


def add(
    con,
    rule: str,
    subject: str | None,
    until: dt.date,
    reason: str,
    created_by: str,
    now: dt.datetime,
    subjects: dict[str, list[str]],
    basket: str | None = None,
) -> int:
    """Store a silence; `subjects` are, per basket, the ones the configuration knows (tickers, benchmark,
    WATCHLIST); `basket` None covers every basket."""
    if rule not in BY_NAME:
        raise SilenceError(f"unknown rule {rule!r}; rules: {', '.join(sorted(BY_NAME))}")
    if basket is not None and basket not in subjects:
        raise SilenceError(f"unknown basket {basket!r}; baskets: {', '.join(subjects)}")
    known = list(dict.fromkeys(s for b, names in subjects.items() if basket in (None, b) for s in names))
    if subject is not None and subject not in known:
        raise SilenceError(f"unknown subject {subject!r} for {rule}; subjects: {', '.join(known)}")
    if not reason.strip():
        raise SilenceError("--reason must say why (it is shown in every digest while the silence holds)")
    for flag, text in (("--reason", reason), ("--by", created_by)):
        if bad := control_chars(text):
            raise SilenceError(f"{flag} contains control characters ({', '.join(bad)}): plain text only")
    [(new_id,)] = con.execute(
        sql("silences/insert"),
        {
            "basket": basket,
            "rule": rule,
            "subject": subject,
            "until": until,
            "reason": reason.strip(),
            "created_by": created_by,
            "now": now,
        },
    ).fetchall()
    return new_id


def expire(con, silence_id: int, by: str, now: dt.datetime) -> None:
    rows = con.execute(sql("silences/expire"), {"id": silence_id, "by": by, "now": now}).fetchall()
    if rows:
        return
    known = {r[0]: r for r in all_silences(con)}
    if silence_id not in known:
        raise SilenceError(f"no silence with id {silence_id} (see `market-monitor silence list`)")
    raise SilenceError(f"silence {silence_id} already expired at {known[silence_id][7]}")


def all_silences(con) -> list[tuple]:
    return con.execute(sql("silences/all")).fetchall()


def covering(con, session: dt.date) -> list[Silence]:
    """Silences not expired that cover `session` (for some rule and subject)."""
    return [Silence(*r) for r in con.execute(sql("silences/covering"), {"session": session}).fetchall()]


def matching(silences: list[Silence], basket: str, rule: str, subject: str, session: dt.date) -> Silence | None:
    return next((s for s in silences if s.covers(basket, rule, subject, session)), None)
