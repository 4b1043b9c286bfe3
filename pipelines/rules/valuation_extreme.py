"""A watchlist name's trailing P/E at or above a level (Palantir's P/E of 313)."""

from __future__ import annotations

from pipelines.bounds import Block, at_least_zero
from pipelines.rules.base import Figure, Inputs, Rule


class Settings(Block):
    pe_ttm: float = at_least_zero(300.0)


def evaluate(s: Settings, inp: Inputs):
    for n in inp.hits("pe_ttm", s.pe_ttm, below=False).itertuples():
        yield RULE.finding(
            inp,
            n.ticker,
            n.date,
            {
                "pe_ttm": float(n.pe_ttm),
                "eps_ttm": float(n.eps_ttm),
                "close": float(n.close),
                "threshold_pe_ttm": s.pe_ttm,
            },
            f"{n.ticker} trades at {n.pe_ttm:,.0f}× trailing GAAP diluted EPS "
            f"({n.eps_ttm:.2f}) on {n.date} (threshold {s.pe_ttm:,.0f}×).",
        )


RULE = Rule(
    name="valuation_extreme",
    title="Extreme valuation",
    severity="info",
    holds_when="a name's pe_ttm ≥ 300",
    evaluate=evaluate,
    magnitude=lambda m: -m["pe_ttm"],
    settings=Settings,
    figure=Figure("subject", "pe_ttm", "pe", "P/E"),
)
NAME = RULE.name
