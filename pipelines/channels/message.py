"""Slack messages: Block Kit plus a plain-text fallback; every figure is one a query can reproduce."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from slack_sdk.models.blocks import ContextBlock, DividerBlock, HeaderBlock, MarkdownTextObject, SectionBlock

from pipelines.fmt import missing, pe_text, slack_escape
from pipelines.fmt import pct as _pct
from pipelines.fmt import some as _some
from pipelines.fmt import usd as _usd
from pipelines.rules import SEVERITY_RANK
from pipelines.rules import title as rule_title

# Slack's limits, kept by construction: 50 blocks a message, 3,000 characters a section or context element,
# 150 a header; the fallback text is kept under 4,000 (what notifications show).
MAX_BLOCKS, SECTION_CHARS, TEXT_CHARS = 50, 3000, 4000
EVENT_SECTIONS = 12  # transitions shown one by one; the rest are named in one line
TABLE_ROWS = 15  # worst names in the table (plus the benchmark)

ICON = {"critical": ":rotating_light:", "warning": ":warning:", "info": ":information_source:"}
VERB = {"open": "new", "repeat": "still holding", "escalate": "escalated", "resolve": "resolved", "firing": "firing"}


def name_table(rows: list[tuple], tickers: list[str], benchmark: str, limit: int = TABLE_ROWS) -> str:
    """Per-name figures for the session as a monospace table: the `limit` worst names and the benchmark.
    rows: (ticker, close, return_5d, cap_change_5d, pe_ttm, eps_ttm), worst first (sql/outbox/session_names.sql)."""
    shown = [r for r in rows if r[0] != benchmark][:limit] + [r for r in rows if r[0] == benchmark]
    lines = [f"{'name':<7}{'close':>10}{'5d':>8}{'5d $':>10}{'P/E':>7}"]
    for ticker, close, r5, cap5, pe, eps in shown:
        lines.append(f"{ticker:<7}{close:>10,.2f}{_pct(r5):>8}{_usd(cap5):>10}{pe_text(pe, eps, '.0f'):>7}")
    if len(rows) > len(shown):
        lines.append(f"... and {len(rows) - len(shown)} more names (all of them: metrics_daily, the Dagster UI)")
    missing = [t for t in [*tickers, benchmark] if t not in {r[0] for r in rows}]
    if missing:
        lines.append(f"no bar: {_some(missing)}")
    return "\n".join(lines)


def _headline(events: list[dict]) -> tuple[str, str]:
    worst = max(events, key=lambda e: SEVERITY_RANK[e["severity"]])
    return worst["severity"], rule_title(worst["rule"])


def _count(x) -> str:
    return "n/a" if missing(x) else str(int(x))


def _figures(watch: dict | None, benchmark: str, name_threshold: float, names: list[tuple], title: str) -> str | None:
    if not watch:
        return None
    uncovered = sorted(r[0] for r in names if r[0] != benchmark and missing(r[3]))
    parts = [
        f"*{title} 5 sessions:* {_usd(watch['cap_change_5d'])} ({_pct(watch['cap_return_5d'])}) "
        f"over {watch['n_cap_pairs']} names with a market cap"
        + (f" (not {_some(uncovered)}: no market cap)" if uncovered else ""),
        f"*Names down {abs(name_threshold):.0%} or more:* {_count(watch['n_names_down'])} of "
        f"{watch['n_constituents']}; worst {watch['worst_ticker']} "
        f"{_pct(watch['worst_return_5d'])}",
        f"*{benchmark} 5 sessions:* {_pct(watch['benchmark_return_5d'])}",
    ]
    if watch["missing_tickers"]:
        parts.append(
            f"*Coverage:* {watch['n_constituents']} of {watch['n_expected']} names; no bar for "
            f"{_some(watch['missing_tickers'])}"
        )
    return "\n".join(parts)


def _thresholds(metrics: dict | None) -> str | None:
    if not metrics:
        return None
    crossed = metrics.get("thresholds") or {
        k.removeprefix("threshold_"): v for k, v in metrics.items() if k.startswith("threshold_")
    }
    return ", ".join(f"{k} {v:g}" for k, v in crossed.items()) or None


@dataclass(frozen=True)
class SessionFigures:
    """What a digest quotes besides its events, as read for the session (pipelines/channels/outbox.py)."""

    watch: dict | None  # the watchlist_daily row, or None if the session has none
    names: list[tuple]  # name_table's rows
    tickers: list[str]
    benchmark: str
    name_threshold: float = -0.05
    history: tuple[str, ...] = ()  # the sector alert's history section (pipelines/domain/history.py)
    silenced: tuple[str, ...] = ()  # silences covering the session, described
    title: str = "Watchlist"  # the basket's, as people read it


def digest(
    session: dt.date,
    events: list[dict],
    figures: SessionFigures,
    run_url: str | None,
    still_firing: list[dict] = (),
    arrived: dt.date | None = None,
) -> tuple[str, list[dict]]:
    """One message for all of a session's transitions: (fallback text, blocks). `arrived`: for a late message, the
    session on which the data behind it arrived."""
    severity, title = _headline(events)
    watch, benchmark = figures.watch, figures.benchmark
    ordered = sorted(events, key=lambda e: (-SEVERITY_RANK[e["severity"]], e["rule"], e["subject"]))
    header = f"{title} in {figures.title} — {session}"
    text_lines = [f"[{severity.upper()}] {header}"]
    if arrived:
        text_lines.append(f"Late: held on {session}; data arrived {arrived}.")
    blocks = [
        HeaderBlock(text=f"{header}"[:150]),
        ContextBlock(
            elements=[
                MarkdownTextObject(
                    text=f"{ICON[severity]} *{severity.upper()}* · "
                    f"market-monitor · session {session}"
                    + (f" · *late: held on {session}; data arrived {arrived}*" if arrived else "")
                )
            ]
        ),
    ]
    for e in ordered[:EVENT_SECTIONS]:
        verb = VERB[e["transition"]] + (f" since {e['opened_on']}" if e["transition"] != "open" else "")
        line = f"{ICON[e['severity']]} *{rule_title(e['rule'])}* ({verb}, {e['severity']}) — {e['message']}"
        blocks.append(SectionBlock(text=MarkdownTextObject(text=_cut(line, SECTION_CHARS))))
        thresholds = _thresholds(e["metrics"])
        if thresholds:
            blocks.append(
                ContextBlock(elements=[MarkdownTextObject(text=_cut(f"thresholds: {thresholds}", SECTION_CHARS))])
            )
        text_lines.append(f"- {e['severity']} {e['rule']} {e['subject']} ({verb}): {e['message']}")
    if len(ordered) > EVENT_SECTIONS:
        rest = ordered[EVENT_SECTIONS:]
        more = f"... and {len(rest)} more: " + _some([f"{e['rule']} {e['subject']}" for e in rest], 20)
        blocks.append(SectionBlock(text=MarkdownTextObject(text=_cut(more, SECTION_CHARS))))
        text_lines.append(more)
    if still_firing:
        firing = "Also still firing: " + _some(
            [f"{rule_title(o['rule'])} {o['subject']} since {o['since']}" for o in still_firing], 20
        )
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=_cut(firing, SECTION_CHARS))]))
        text_lines.append(firing)
    if figures.history:
        blocks += [
            DividerBlock(),
            SectionBlock(text=MarkdownTextObject(text=_cut("\n".join(figures.history), SECTION_CHARS))),
        ]
        text_lines += [line.replace("*", "") for line in figures.history]
    basket = _figures(watch, benchmark, figures.name_threshold, figures.names, figures.title)
    if basket:
        blocks += [DividerBlock(), SectionBlock(text=MarkdownTextObject(text=basket))]
    table = name_table(figures.names, figures.tickers, benchmark)
    blocks.append(SectionBlock(text=MarkdownTextObject(text=_cut(f"```{table}```", SECTION_CHARS))))
    text_lines.append(table)
    footer = "Figures: metrics_daily / watchlist_daily for this session; returns on adj. close, P/E on GAAP EPS."
    if run_url:
        footer += f" <{run_url}|Dagster run>"
        text_lines.append(f"Dagster run: {run_url}")
    if figures.silenced:
        quiet = "Silenced (recorded, not sent): " + "; ".join(figures.silenced)
        footer += f"\n{slack_escape(quiet)}"  # reasons are typed by people: shown as written, never as markup
        text_lines.append(slack_escape(quiet))
    blocks.append(ContextBlock(elements=[MarkdownTextObject(text=_cut(footer, SECTION_CHARS))]))
    return _cut("\n".join(text_lines), TEXT_CHARS), [b.to_dict() for b in blocks][:MAX_BLOCKS]


def resolved(session: dt.date, events: list[dict], title: str = "Watchlist") -> tuple[str, list[dict]]:
    lines = [f":white_check_mark: {e['message']}" for e in events[:EVENT_SECTIONS]]
    if len(events) > EVENT_SECTIONS:
        lines.append(
            f"... and {len(events) - EVENT_SECTIONS} more: "
            + _some([f"{e['rule']} {e['subject']}" for e in events[EVENT_SECTIONS:]], 20)
        )
    text = _cut(f"Resolved in {title} on {session}:\n" + "\n".join(lines), TEXT_CHARS)
    blocks = [SectionBlock(text=MarkdownTextObject(text=_cut(text, SECTION_CHARS))).to_dict()]
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
