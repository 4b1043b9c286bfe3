"""The benchmark's 5-session return at or below a threshold ("the Nasdaq Composite fell 3% in five days")."""

from __future__ import annotations

from pipelines.bounds import Block, at_most_zero
from pipelines.fmt import pct
from pipelines.rules.base import Figure, Inputs, Rule, crossed, num


class Settings(Block):
    return_5d: float = at_most_zero(-0.03, least=-1.0)  # a return: -100% at worst


def evaluate(s: Settings, inp: Inputs):
    bench = inp.basket.benchmark
    for row in inp.watch.itertuples(index=False):
        r5 = num(row.benchmark_return_5d)
        if crossed(r5, s.return_5d):
            yield RULE.finding(
                inp,
                bench,
                row.date,
                {"benchmark_return_5d": r5, "threshold_return_5d": s.return_5d},
                f"{bench} {pct(r5)} over 5 sessions (threshold {pct(s.return_5d)}).",
            )


RULE = Rule(
    name="benchmark_drop",
    title="Benchmark drop",
    severity="warning",
    holds_when="benchmark return_5d ≤ −3%",
    evaluate=evaluate,
    magnitude=lambda m: m["benchmark_return_5d"],
    settings=Settings,
    chart_lines=lambda s: [("basket", "benchmark threshold", s.return_5d)],
    figure=Figure("subject", "return_5d", "pct", "over 5 sessions", key="benchmark_return_5d"),
)
NAME = RULE.name
