"""Synthetic snapshots in the replay format: small, exact, and free of ../shared."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from pipelines import calendar

WATCHLIST = ["NVDA", "PLTR", "ORCL", "META", "AMD", "CRWV"]
BENCHMARK = "^IXIC"


def write_config(path: Path, tickers=None, benchmark=BENCHMARK, start="2024-01-02", extra: str = "") -> Path:
    tickers = tickers or WATCHLIST
    text = (
        f'[watchlist]\ntickers = {tickers!r}\nbenchmark = "{benchmark}"\n\n'
        f'[history]\nstart = "{start}"\nsource_retries = 0\nretry_delay_seconds = 0\n' + extra
    )
    path.write_text(text.replace("'", '"'))
    return path


def flat_prices(start: str, end: str, level: float = 100.0) -> pd.DataFrame:
    days = calendar.sessions(start, end)
    return pd.DataFrame({"date": days, "close": [level] * len(days)})


def write_prices(folder: Path, symbol: str, frame: pd.DataFrame) -> None:
    """frame: date, close (others derived: open=high=low=close unless given; empty adj_close)."""
    out = frame.copy()
    for col in ("open", "high", "low"):
        if col not in out:
            out[col] = out["close"]
    if "adj_close" not in out:
        out["adj_close"] = ""
    if "volume" not in out:
        out["volume"] = 1_000_000
    name = symbol.lstrip("^") + ".csv"
    out[["date", "open", "high", "low", "close", "adj_close", "volume"]].to_csv(folder / name, index=False)


def write_fundamentals(folder: Path, shares: list[tuple] = (), eps: list[tuple] = ()) -> None:
    pd.DataFrame(list(shares), columns=["ticker", "date", "shares_outstanding"]).to_csv(
        folder / "shares.csv", index=False
    )
    pd.DataFrame(list(eps), columns=["ticker", "period_end", "reported_date", "eps_diluted"]).to_csv(
        folder / "eps.csv", index=False
    )


def basic_snapshot(folder: Path, start="2024-06-03", end="2024-08-30", tickers=None) -> Path:
    """Every ticker flat at 100 with 1B shares, the benchmark flat at 10,000."""
    folder.mkdir(parents=True, exist_ok=True)
    tickers = tickers or WATCHLIST
    for t in tickers:
        write_prices(folder, t, flat_prices(start, end))
    write_prices(folder, BENCHMARK, flat_prices(start, end, 10_000.0))
    write_fundamentals(
        folder,
        shares=[(t, "2024-01-02", 1_000_000_000) for t in tickers],
        eps=[(t, q, "", 1.0) for t in tickers for q in ("2023-03-31", "2023-06-30", "2023-09-30", "2023-12-31")],
    )
    return folder
