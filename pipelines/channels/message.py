"""The messages people read: a digest per basket and session, resolved notices. Each is written once as Block Kit
(Slack) and as plain text that reads the same (Slack's notification and fallback text, the e-mail body, the CLI's
dry run). Every figure is one a query can reproduce; rules and subjects are named as people say them.

A digest leads with its worst alert: a header with the basket and the alert, one verdict line with the numbers that
decided it, at most three lines of history, the names. When the lead is the basket's sell-off, the same session's
alerts of single names (and of the benchmark) fold into one line of it, as Alertmanager inhibits the alerts a wider
one explains; they are still recorded, and still listed in the table.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from slack_sdk.models.blocks import ContextBlock, DividerBlock, HeaderBlock, MarkdownTextObject, SectionBlock

from pipelines.fmt import pct as _pct
from pipelines.fmt import pe_text, plural, slack_escape
from pipelines.fmt import some as _some
from pipelines.fmt import usd as _usd
from pipelines.rules import BY_NAME, SEVERITY_RANK, WATCHLIST, is_basket_rule
from pipelines.rules import title as rule_title

# Slack's limits, kept by construction: 50 blocks a message, 3,000 characters a section or context element,
# 150 a header; the fallback text is kept under 4,000 (what notifications show).
MAX_BLOCKS, SECTION_CHARS, TEXT_CHARS, HEADER_CHARS = 50, 3000, 4000, 150
EVENT_SECTIONS = 12  # alerts shown one by one; the rest are named in one line
TABLE_ROWS = 15  # worst names in the table (plus the benchmark)

ICON = {"critical": ":rotating_light:", "warning": ":warning:", "info": ":information_source:"}
VERB = {"open": "new", "repeat": "still holding", "escalate": "escalated", "resolve": "resolved", "firing": "firing"}


def subject_title(subject: str, basket_title: str) -> str:
    """WATCHLIST is stored for the basket as a whole: people read the basket's title."""
    return basket_title if subject == WATCHLIST else subject


def name_table(rows: list[tuple], tickers: list[str], benchmark: str, limit: int = TABLE_ROWS) -> str:
    """Per-name figures for the session as a monospace table: the `limit` worst names and the benchmark.
    rows: (ticker, close, return_5d, cap_change_5d, pe_ttm, eps_ttm), worst first (sql/outbox/session_names.sql)."""
    shown = [r for r in rows if r[0] != benchmark][:limit] + [r for r in rows if r[0] == benchmark]
    lines = [f"{'name':<7}{'close':>10}{'5d':>8}{'5d $':>10}{'P/E':>7}"]
    for ticker, close, r5, cap5, pe, eps in shown:
        lines.append(f"{ticker:<7}{close:>10,.2f}{_pct(r5):>8}{_usd(cap5):>10}{pe_text(pe, eps, '.0f'):>7}")
    if len(rows) > len(shown):
        lines.append(f"... and {len(rows) - len(shown)} more names (all of them: metrics_daily, the Dagster UI)")
    absent = [t for t in [*tickers, benchmark] if t not in {r[0] for r in rows}]
    if absent:
        lines.append(f"no bar: {_some(absent)}")
    return "\n".join(lines)


@dataclass(frozen=True)
class SessionFigures:
    """What a digest quotes besides its events, as read for the session (pipelines/channels/outbox.py)."""

    names: list[tuple]  # name_table's rows
    tickers: list[str]
    benchmark: str
    history: tuple[str, ...] = ()  # the sell-off alert's history section (pipelines/domain/history.py)
    silenced: tuple[str, ...] = ()  # silences covering the session, described
    title: str = "Watchlist"  # the basket's, as people read it


def _lead(events: list[dict]) -> dict:
    """The alert the digest leads with: the worst, a rule of the basket as a whole before a name's."""

    def rank(e: dict) -> tuple:
        rule = BY_NAME.get(e["rule"])
        return SEVERITY_RANK[e["severity"]], bool(rule and rule.headline), bool(rule and rule.scope == "basket")

    return max(events, key=rank)


def _since(e: dict) -> str:
    return VERB[e["transition"]] + (f" since {e['opened_on']}" if e["transition"] != "open" else "")


def _short(e: dict) -> str:
    """A folded alert in a few words: `CRWV -22.2%`."""
    rule = BY_NAME.get(e["rule"])
    figure = rule.figure if rule else None
    value = figure.of(e["metrics"]) if figure else None
    return f"{e['subject']} {figure.value(value)}" if value is not None else e["subject"]


def _worst_first(e: dict) -> float:
    rule = BY_NAME.get(e["rule"])
    return rule.magnitude(e["metrics"]) if rule and e["metrics"] else 0.0


def _folded(events: list[dict]) -> str:
    """One line for the alerts the sell-off explains, grouped by rule: `5-session drop: CRWV -22.2% ..., PLTR ...`."""
    by_rule: dict[str, list[dict]] = {}
    for e in sorted(events, key=lambda e: (e["rule"], _worst_first(e))):
        by_rule.setdefault(e["rule"], []).append(e)
    parts = []
    for r, evs in by_rule.items():
        figure = BY_NAME[r].figure if r in BY_NAME else None
        label = f" {figure.label}" if figure and figure.unit != "pe" else ""
        parts.append(f"{rule_title(r)} {_some([_short(e) for e in evs], 8)}{label}")
    return "Their own alerts tonight, folded in: " + "; ".join(parts) + "."


def _event_line(e: dict, basket_title: str) -> str:
    who = subject_title(e["subject"], basket_title)
    return f"{rule_title(e['rule'])}, {who} ({_since(e)}, {e['severity']}): {e['message']}"


def _links(links: dict[str, str]) -> str:
    return " · ".join(f"<{url}|{label}>" for label, url in links.items())


def digest(
    session: dt.date,
    events: list[dict],
    figures: SessionFigures,
    links: dict[str, str] | None = None,
    still_firing: list[dict] = (),
    arrived: dt.date | None = None,
) -> tuple[str, list[dict]]:
    """One message for all of a basket's transitions on a session: (plain text, blocks). `links`: label -> URL
    (the Dagster run, the asset). `arrived`: for a late message, the session on which the data behind it arrived."""
    links = links or {}
    title = figures.title
    lead = _lead(events)
    rule = BY_NAME.get(lead["rule"])
    severity = lead["severity"]
    headline = rule is not None and rule.headline
    folded = [e for e in events if e is not lead and headline and BY_NAME[e["rule"]].scope != "basket"]
    others = sorted(
        (e for e in events if e is not lead and e not in folded),
        key=lambda e: (-SEVERITY_RANK[e["severity"]], e["rule"], e["subject"]),
    )
    header = f"{title}: {rule_title(lead['rule'])}"
    if lead["subject"] != WATCHLIST:
        header += f", {lead['subject']}"
    when = _since(lead)
    verdict = rule.verdict(lead["metrics"], title, figures.benchmark) if rule and rule.verdict else lead["message"]
    late = f"Late: held on {session}; data arrived {arrived}." if arrived else None

    text = [f"[{severity.upper()}] {header} — {session} ({when})"]
    text += [late] if late else []
    text.append(verdict)
    blocks = [
        HeaderBlock(text=_cut(f"{ICON[severity]} {header} — {session}", HEADER_CHARS)),
        ContextBlock(
            elements=[
                MarkdownTextObject(
                    text=f"*{severity.upper()}* · {when} · market-monitor" + (f" · *{late}*" if late else "")
                )
            ]
        ),
        SectionBlock(text=MarkdownTextObject(text=_cut(verdict, SECTION_CHARS))),
    ]
    if figures.history:
        blocks.append(SectionBlock(text=MarkdownTextObject(text=_cut("\n".join(figures.history), SECTION_CHARS))))
        text += [line.replace("*", "") for line in figures.history]
    if folded:
        line = _folded(folded)
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=_cut(line, SECTION_CHARS))]))
        text.append(line)
    shown = others[:EVENT_SECTIONS]
    for e in shown:
        line = _event_line(e, title)
        blocks.append(SectionBlock(text=MarkdownTextObject(text=_cut(f"{ICON[e['severity']]} {line}", SECTION_CHARS))))
        text.append(f"- {line}")
    if len(others) > len(shown):
        more = f"... and {len(others) - len(shown)} more: " + _some(
            [f"{rule_title(e['rule'])} {subject_title(e['subject'], title)}" for e in others[len(shown) :]], 20
        )
        blocks.append(SectionBlock(text=MarkdownTextObject(text=_cut(more, SECTION_CHARS))))
        text.append(more)
    table = name_table(figures.names, figures.tickers, figures.benchmark)
    blocks += [DividerBlock(), SectionBlock(text=MarkdownTextObject(text=_cut(f"```{table}```", SECTION_CHARS)))]
    text.append(table)
    if still_firing:
        firing = "Still firing: " + _some(
            [f"{rule_title(o['rule'])}, {subject_title(o['subject'], title)} since {o['since']}" for o in still_firing],
            20,
        )
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=_cut(firing, SECTION_CHARS))]))
        text.append(firing)
    footer = "Figures: metrics_daily and watchlist_daily for this session; returns on adj. close, P/E on GAAP EPS."
    if links:
        footer = f"{_links(links)} · {footer}"
        text.append(" · ".join(f"{label}: {url}" for label, url in links.items()))
    if figures.silenced:
        quiet = "Silenced (recorded, not sent): " + "; ".join(figures.silenced)
        footer += f"\n{slack_escape(quiet)}"  # reasons are typed by people: shown as written, never as markup
        text.append(slack_escape(quiet))
    blocks.append(ContextBlock(elements=[MarkdownTextObject(text=_cut(footer, SECTION_CHARS))]))
    return _cut("\n".join(text), TEXT_CHARS), [b.to_dict() for b in blocks][:MAX_BLOCKS]


@dataclass(frozen=True)
class Ended:
    """A resolved episode as its notice tells it: where its figure is now and where it peaked."""

    event: dict
    sessions_held: int
    last: dt.date | None
    now: float | None
    peak: float | None
    peak_on: dt.date | None


def _ended_line(x: Ended, basket_title: str) -> str:
    e = x.event
    who = subject_title(e["subject"], basket_title)
    if e["message"].startswith("Withdrawn"):
        return f"{rule_title(e['rule'])}, {who}: withdrawn, the data behind it was revised (since {e['opened_on']})."
    span = f"{e['opened_on']}" if x.last in (None, e["opened_on"]) else f"{e['opened_on']} .. {x.last}"
    line = f"{rule_title(e['rule'])}, {who}: no longer holds (held {plural(x.sessions_held, 'session')}, {span})"
    rule = BY_NAME.get(e["rule"])
    if rule and rule.figure and (x.now is not None or x.peak is not None):
        now = rule.figure.text(x.now) if x.now is not None else "n/a"
        peak = f"; at the peak {rule.figure.text(x.peak)} on {x.peak_on}" if x.peak is not None else ""
        line += f"; now {now}{peak}"
    return line + "."


def resolved(session: dt.date, ended: list[Ended], title: str = "Watchlist") -> tuple[str, list[dict]]:
    """The notice that episodes ended, in the thread of the message that announced them: each with its figure now
    and at its peak."""
    # the basket's own alerts first, then its names'
    ended = sorted(ended, key=lambda x: (not is_basket_rule(x.event["rule"]), x.event["rule"], x.event["subject"]))
    lines = [f":white_check_mark: {_ended_line(x, title)}" for x in ended[:EVENT_SECTIONS]]
    if len(ended) > EVENT_SECTIONS:
        rest = ended[EVENT_SECTIONS:]
        lines.append(
            f"... and {len(rest)} more: "
            + _some([f"{rule_title(x.event['rule'])} {subject_title(x.event['subject'], title)}" for x in rest], 20)
        )
    head = f"Resolved in {title} on {session}"
    text = _cut(head + ":\n" + "\n".join(line.replace(":white_check_mark: ", "") for line in lines), TEXT_CHARS)
    blocks = [
        SectionBlock(text=MarkdownTextObject(text=_cut(f"*{head}*\n" + "\n".join(lines), SECTION_CHARS))).to_dict()
    ]
    return text, blocks


def fallback(
    session: dt.date, events: list[dict], error: Exception, title: str = "Watchlist"
) -> tuple[str, list[dict]]:
    """When composing the full message fails, the alert still goes out, saying so."""
    worst = max((e["severity"] for e in events), key=lambda sev: SEVERITY_RANK[sev])
    text = _cut(
        f"[{worst.upper()}] market-monitor, {title}: {len(events)} alert transition(s) for {session}: "
        + _some([f"{e['rule']} {e['subject']}" for e in events], 30)
        + f". The full message could not be composed ({type(error).__name__}: {error}); see the Dagster UI.",
        SECTION_CHARS,
    )
    return text, [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 2] + " …"
