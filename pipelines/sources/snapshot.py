"""Write a snapshot folder in the replay format, so a live pull can be replayed offline and shared."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from pipelines.sources.base import Fundamentals, PriceBatch, Source


def _write(frame: pd.DataFrame, path: Path, columns: list[str], rename: dict | None = None) -> int:
    out = frame.rename(columns=rename or {})[columns].copy()
    sort = [c for c in ("ticker", "date", "period_end", "ex_date") if c in out.columns]
    # No float_format: pandas writes the shortest text that reads back as the same double (round-trips exactly).
    out.sort_values(sort).to_csv(path, index=False, date_format="%Y-%m-%d")
    return len(out)


def write_snapshot(batch: PriceBatch, fundamentals: Fundamentals, out: Path | str) -> dict[str, int]:
    """One `<SYMBOL>.csv` per symbol plus shares.csv, eps.csv, dividends.csv and splits.csv."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written = {}
    for symbol, prices in batch.prices.groupby("ticker"):
        name = f"{symbol}.csv"
        written[name] = _write(prices, out / name, ["date", "open", "high", "low", "close", "adj_close", "volume"])
    written["shares.csv"] = _write(
        fundamentals.shares,
        out / "shares.csv",
        ["ticker", "date", "shares_outstanding"],
        {"shares": "shares_outstanding"},
    )
    written["eps.csv"] = _write(
        fundamentals.earnings, out / "eps.csv", ["ticker", "period_end", "reported_date", "eps_diluted"]
    )
    written["dividends.csv"] = _write(
        batch.dividends,
        out / "dividends.csv",
        ["ticker", "ex_date", "dividend_per_share"],
        {"dividend": "dividend_per_share"},
    )
    written["splits.csv"] = _write(batch.splits, out / "splits.csv", ["ticker", "date", "ratio"])
    return written


def take_snapshot(
    source: Source, symbols: list[str], tickers: list[str], start, end, out: Path | str, say=print
) -> tuple[PriceBatch, Fundamentals, dict[str, int]]:
    """Fetch prices (one batched call) and fundamentals from `source` and write them as a snapshot folder."""
    say(f"market-monitor: fetching {', '.join(symbols)} {start} .. {end} from {source.name}")
    batch = source.fetch_prices(symbols, start, end)
    say(f"  prices: {len(batch.prices)} rows" + (f", missing: {', '.join(batch.missing)}" if batch.missing else ""))
    fundamentals = source.fetch_fundamentals(tickers, start, end)
    for problem in fundamentals.problems:
        say(f"  warning: {problem}")
    written = write_snapshot(batch, fundamentals, out)
    say(f"  wrote {len(written)} files to {out}: " + ", ".join(f"{k} ({v})" for k, v in written.items()))
    return batch, fundamentals, written
