"""A watchlist name's 5-session return at or below a threshold ("Palantir fell more than 10%")."""

from __future__ import annotations

from pipelines.bounds import Block, at_most_zero
from pipelines.fmt import pct
from pipelines.rules.base import Figure, Inputs, Rule, num


class Settings(Block):
    return_5d: float = at_most_zero(-0.10, least=-1.0)  # a return: -100% at worst


def evaluate(s: Settings, inp: Inputs):
    for n in inp.hits("return_5d", s.return_5d).itertuples():
        yield RULE.finding(
            inp,
            n.ticker,
            n.date,
            {
                "return_5d": float(n.return_5d),
                "close": float(n.close),
                "threshold_return_5d": s.return_5d,
                "cap_change_5d": num(n.cap_change_5d),
            },
            f"{n.ticker} {pct(n.return_5d)} over 5 sessions to {n.date} (close {n.close:,.2f}; "
            f"threshold {pct(s.return_5d)}).",
        )


RULE = Rule(
    name="stock_drop_5d",
    title="5-session drop",
    severity="warning",
    holds_when="a name's return_5d ≤ −10%",
    evaluate=evaluate,
    magnitude=lambda m: m["return_5d"],
    settings=Settings,
    chart_lines=lambda s: [("names", "stock drop threshold", s.return_5d)],
    figure=Figure("subject", "return_5d", "pct", "over 5 sessions"),
)
NAME = RULE.name
