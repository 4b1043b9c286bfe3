"""The November-2025 pattern: the watchlist loses market value over 5 sessions, broadly, while the benchmark
falls too. A name without a bar (one that has stopped arriving: delisted, renamed) does not blind it: the
session is decided on the names present when they carry the decision (the finding says which name it could not
see; incomplete data is reported beside it). Never decided without the benchmark, and never read as calm when the
basket's cap change covers too few names to decide it (reported as incomplete data)."""

from __future__ import annotations

from pipelines.bounds import Block, at_least_zero, at_most_zero
from pipelines.fmt import loss, pct, some
from pipelines.rules import data_incomplete
from pipelines.rules.base import WATCHLIST, Figure, Inputs, Rule, crossed, crossed_mask, num


class Settings(Block):
    cap_return_5d: float = at_most_zero(-0.06, least=-1.0)  # a return: -100% at worst
    min_names_down: int = at_least_zero(4)
    name_return_5d: float = at_most_zero(-0.05, least=-1.0)  # a return: -100% at worst
    benchmark_return_5d: float = at_most_zero(-0.02, least=-1.0)  # a return: -100% at worst
    min_names_with_cap: int = at_least_zero(4)


def evaluate(t: Settings, inp: Inputs):
    for row in inp.watch.itertuples(index=False):
        bench_r5, cap_return, names = num(row.benchmark_return_5d), num(row.cap_return_5d), inp.by_date.get(row.date)
        missing = inp.missing(row)
        if bench_r5 is None or names is None or inp.basket.benchmark in missing:
            continue
        down = names[crossed_mask(names["return_5d"], t.name_return_5d)].sort_values("return_5d")
        if not (len(down) >= t.min_names_down and crossed(bench_r5, t.benchmark_return_5d)):
            continue
        if int(row.n_cap_pairs) < t.min_names_with_cap:  # the cap change would decide, and it covers too little
            if not missing:  # else the session is reported incomplete already (one finding a session)
                yield undecided(t, inp, row, names, len(down), bench_r5)
            continue
        if cap_return is None or not crossed(cap_return, t.cap_return_5d):
            continue
        cap_change = num(row.cap_change_5d)
        figures = {
            "cap_change_5d": cap_change,
            "cap_return_5d": cap_return,
            "n_cap_pairs": int(row.n_cap_pairs),
            "names_down": {n.ticker: round(float(n.return_5d), 6) for n in down.itertuples()},
            "n_names_down": len(down),
            "missing_tickers": missing,  # the names it was decided without
            "benchmark_return_5d": bench_r5,
            "thresholds": {
                "cap_return_5d": t.cap_return_5d,
                "min_names_down": t.min_names_down,
                "name_return_5d": t.name_return_5d,
                "benchmark_return_5d": t.benchmark_return_5d,
            },
        }
        names_text = some([f"{n.ticker} {pct(n.return_5d)}" for n in down.itertuples()])
        # the dollar figure sums the names with a cap at both ends of the window: say which it leaves out
        uncovered = sorted(names.loc[names["cap_change_5d"].isna(), "ticker"])
        figures["names_without_cap"] = uncovered
        yield RULE.finding(
            inp,
            WATCHLIST,
            row.date,
            figures,
            f"{inp.basket.title} sell-off: the watchlist lost {loss(cap_change)} ({pct(cap_return)}) of market value "
            f"in 5 sessions to {row.date}"
            + (f" (summed over {int(row.n_cap_pairs)} names; no market cap for {some(uncovered)})" if uncovered else "")
            + f"; {len(down)} of {int(row.n_constituents)} names fell "
            f"{abs(t.name_return_5d):.0%} or more ({names_text}); {inp.basket.benchmark} {pct(bench_r5)}."
            + (
                f" Decided on {int(row.n_constituents)} of {int(row.n_expected)} names: no bar for {some(missing)}."
                if missing
                else ""
            ),
        )


def undecided(t: Settings, inp: Inputs, row, names, n_down: int, bench_r5: float):
    """Breadth and the benchmark hold, but the basket's cap change sums fewer names than min_names_with_cap: the
    session is reported as incomplete data (a sell-off cannot be ruled out), not recorded as calm."""
    without = sorted(names.loc[names["market_cap"].isna(), "ticker"])
    figures = {
        "missing_tickers": [],
        "n_constituents": int(row.n_constituents),
        "n_expected": int(row.n_expected),
        "n_cap_pairs": int(row.n_cap_pairs),
        "min_names_with_cap": t.min_names_with_cap,
        "names_without_cap": without,
        "n_names_down": n_down,
        "benchmark_return_5d": bench_r5,
    }
    return data_incomplete.RULE.finding(
        inp,
        WATCHLIST,
        row.date,
        figures,
        f"Incomplete data for {row.date}: {n_down} names fell {abs(t.name_return_5d):.0%} or more and "
        f"{inp.basket.benchmark} {pct(bench_r5)}, but the watchlist's 5-session cap change covers only "
        f"{int(row.n_cap_pairs)} name(s) (at least {t.min_names_with_cap} needed"
        + (f"; no market cap: {some(without)}" if without else "")
        + "). The sector rule was not decided for this session.",
    )


def validate(t: Settings, basket) -> str | None:
    for key in ("min_names_down", "min_names_with_cap"):
        if getattr(t, key) > len(basket.tickers):
            return f"{key}: {getattr(t, key)} exceeds the basket's {len(basket.tickers)} tickers"
    return None


def verdict(m: dict, title: str, benchmark: str) -> str:
    """One sentence with every figure that decided it: the dollar loss and its coverage, breadth, the benchmark."""
    covered = m["n_cap_pairs"]
    without = m.get("names_without_cap") or []
    constituents = covered + len(without)
    coverage = (
        f"summed over {covered} of {constituents} names (no market cap: {some(without)})"
        if without
        else f"summed over all {covered} names"
    )
    missing = m.get("missing_tickers") or []
    t = m["thresholds"]
    with_bar = " with a bar" if missing else ""
    return (
        f"{title} lost {loss(m['cap_change_5d'])} ({pct(m['cap_return_5d'])}) of market value in 5 sessions, "
        f"{coverage}; {m['n_names_down']} of {constituents} names{with_bar} fell "
        f"{abs(t['name_return_5d']):.0%} or more; {benchmark} {pct(m['benchmark_return_5d'])}."
        + (f" No bar for {some(missing)}: decided on the other {constituents}." if missing else "")
    )


RULE = Rule(
    name="sector_selloff",
    title="Sector sell-off",
    severity="critical",
    holds_when="the watchlist's 5-session cap change ≤ `cap_return_5d` (summed over at least `min_names_with_cap` "
    "names, else the session is reported as incomplete data), **and** at least `min_names_down` names "
    "have return_5d ≤ `name_return_5d`, **and** the benchmark's return_5d ≤ `benchmark_return_5d`; decided on the "
    "names with a bar when those carry it",
    evaluate=evaluate,
    magnitude=lambda m: m["cap_return_5d"],
    settings=Settings,
    validate=validate,
    scope="basket",
    chart_lines=lambda t: [("basket", "sell-off threshold", t.cap_return_5d)],
    headline=True,
    breadth=lambda t: t.name_return_5d,
    figure=Figure("basket", "cap_return_5d", "pct", "over 5 sessions"),
    verdict=verdict,
)
NAME = RULE.name
