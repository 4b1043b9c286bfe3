"""Backtest: the rules over stored history, grouped into episodes, as text or JSON."""

from __future__ import annotations

import datetime as dt

from pipelines.config import MonitorConfig
from pipelines.domain import evaluation
from pipelines.domain.episodes import build_episodes
from pipelines.rules import RULES


def run_backtest(con, cfg: MonitorConfig, start: dt.date, end: dt.date) -> dict:
    """Per basket, each rule's episodes over the sessions stored in [start, end] (the first basket's sessions)."""
    covered = evaluation.covered_sessions(con, cfg.baskets[0].name, start, end)
    if not covered:
        raise ValueError(f"no stored metrics between {start} and {end}: run `market-monitor run` for that range first")
    findings = evaluation.evaluate_range(con, cfg, covered[0], covered[-1])
    eps = build_episodes(findings, covered[-1], cfg.alerts.resolve_after_sessions)
    report = {"start": str(covered[0]), "end": str(covered[-1]), "sessions": len(covered), "baskets": {}}
    for basket in cfg.baskets:
        rules = report["baskets"].setdefault(basket.name, {"title": basket.title, "rules": {}})["rules"]
        for rule in RULES:
            mine = [e for e in eps if e.rule == rule.name and e.basket == basket.name]
            rules[rule.name] = {
                "episodes": len(mine),
                "sessions_held": sum(len(e.findings) for e in mine),
                "list": [
                    {
                        "subject": e.subject,
                        "first": str(e.first),
                        "last": str(e.last),
                        "sessions_held": len(e.findings),
                        "resolved_on": str(e.resolved_on) if e.resolved_on else None,
                        "severity": e.severity,
                        "peak_session": str(e.peak.as_of),
                        "peak": e.peak.metrics,
                        "message": e.peak.message,
                    }
                    for e in mine
                ],
            }
    return report


def format_text(report: dict) -> str:
    lines = [f"Backtest {report['start']} .. {report['end']} ({report['sessions']} sessions)"]
    for name, basket in report["baskets"].items():
        lines.append(f"\n== basket {name}: {basket['title']}")
        for rule, data in basket["rules"].items():
            lines.append(f"\n{rule}: {data['episodes']} episode(s), {data['sessions_held']} session(s) held")
            for e in data["list"]:
                span = e["first"] if e["first"] == e["last"] else f"{e['first']} .. {e['last']}"
                lines.append(
                    f"  {span} {e['subject']} ({e['sessions_held']} held, {e['severity']}); "
                    f"peak {e['peak_session']}: {e['message']}"
                )
    return "\n".join(lines)
