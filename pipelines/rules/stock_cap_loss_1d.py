"""A watchlist name's one-session market-value loss at or below a threshold ("Nvidia lost $229B in a day")."""

from __future__ import annotations

from pipelines.bounds import Block, at_most_zero
from pipelines.fmt import loss, pct, usd
from pipelines.rules.base import Figure, Inputs, Rule, num


class Settings(Block):
    cap_change_1d: float = at_most_zero(-200e9)


def evaluate(s: Settings, inp: Inputs):
    for n in inp.hits("cap_change_1d", s.cap_change_1d).itertuples():
        yield RULE.finding(
            inp,
            n.ticker,
            n.date,
            {
                "cap_change_1d": float(n.cap_change_1d),
                "return_1d": num(n.return_1d),
                "market_cap": float(n.market_cap),
                "shares_as_of": str(n.shares_as_of),
                "threshold_cap_change_1d": s.cap_change_1d,
            },
            f"{n.ticker} lost {loss(n.cap_change_1d)} of market value on {n.date} "
            f"({pct(n.return_1d)}; threshold {usd(s.cap_change_1d, decimals=0)}).",
        )


RULE = Rule(
    name="stock_cap_loss_1d",
    title="One-day market-value loss",
    severity="warning",
    holds_when="a name's cap_change_1d ≤ −$200B",
    evaluate=evaluate,
    magnitude=lambda m: m["cap_change_1d"],
    settings=Settings,
    figure=Figure("subject", "cap_change_1d", "usd", "in one session"),
)
NAME = RULE.name
