"""Episodes: the sessions a rule kept holding for one subject of one basket, counted in trading sessions.

An episode opens on the first session a (rule, subject) holds and resolves once it has not held for
`resolve_after` consecutive sessions, so a condition that flickers for a day is one episode, not two.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from pipelines import calendar
from pipelines.rules import BY_NAME, SEVERITY_RANK, Finding


@dataclass
class Episode:
    basket: str
    rule: str
    subject: str
    findings: list[Finding] = field(default_factory=list)
    resolved_on: dt.date | None = None  # the session it was declared over; None while it may still hold

    @property
    def first(self) -> dt.date:
        return self.findings[0].as_of

    @property
    def last(self) -> dt.date:
        return self.findings[-1].as_of

    @property
    def severity(self) -> str:
        return max((f.severity for f in self.findings), key=SEVERITY_RANK.__getitem__)

    @property
    def peak(self) -> Finding:
        return min(self.findings, key=lambda f: BY_NAME[f.rule].magnitude(f.metrics))


def build_episodes(
    findings: list[Finding], evaluated_until: dt.date, resolve_after: int, since: dt.date | None = None
) -> list[Episode]:
    """Group findings into episodes; an episode resolves `resolve_after` sessions after it last held,
    if that session is on or before `evaluated_until`."""
    if not findings:
        return []
    start = since or min(f.as_of for f in findings)
    days = calendar.sessions(start, calendar.sessions_back(evaluated_until, -resolve_after - 1))
    idx = {d: i for i, d in enumerate(days)}
    out: list[Episode] = []
    current: dict[tuple[str, str], Episode] = {}
    for f in sorted(findings, key=lambda f: (f.as_of, f.basket, f.rule, f.subject)):
        key = (f.basket, f.rule, f.subject)
        ep = current.get(key)
        if ep is not None and idx[f.as_of] - idx[ep.last] > resolve_after:
            ep.resolved_on = days[idx[ep.last] + resolve_after]
            ep = None
        if ep is None:
            ep = current[key] = Episode(f.basket, f.rule, f.subject)
            out.append(ep)
        ep.findings.append(f)
    for ep in current.values():
        if ep.resolved_on is None:
            resolve = days[idx[ep.last] + resolve_after]
            ep.resolved_on = resolve if resolve <= evaluated_until else None
    return sorted(out, key=lambda e: (e.first, e.basket, e.rule, e.subject))
