"""A watchlist name or the benchmark has no bar for the session: reported as its own problem (a gap is never read
as "no sell-off"); without the benchmark the basket rules are not evaluated, without a name the sector rule is
decided on the names with a bar when they carry it. The sector rule also reports a
session here when its cap change covers too few names to decide it (see its `undecided`)."""

from __future__ import annotations

from pipelines.fmt import some
from pipelines.rules.base import WATCHLIST, Inputs, Rule


def evaluate(_settings, inp: Inputs):
    for row in inp.watch.itertuples(index=False):
        missing = inp.missing(row)
        if missing:
            yield RULE.finding(
                inp,
                WATCHLIST,
                row.date,
                {
                    "missing_tickers": missing,
                    "n_constituents": int(row.n_constituents),
                    "n_expected": int(row.n_expected),
                },
                f"Incomplete data for {row.date}: no bar for {some(missing)}. "
                + (
                    "The basket rules were not evaluated for this session."
                    if inp.basket.benchmark in missing
                    else "The sector rule was decided on the names with a bar: it holds only if they carry it."
                ),
            )


RULE = Rule(
    name="data_incomplete",
    title="Incomplete data",
    severity="warning",
    holds_when="a watchlist name (listed by then) or the benchmark has no bar for the session; or the sector rule's "
    "breadth and benchmark conditions hold while its cap change sums too few names to decide it",
    evaluate=evaluate,
    magnitude=lambda m: -len(m["missing_tickers"]),
    scope="basket",
)
NAME = RULE.name
