"""Cut examples/november-2025/ from the real market data beside the project (../shared/data/market).

The example is a plain row filter of those files (every name and benchmark of the shipped monitor.toml's baskets
from 2024-11-01 to 2025-11-07, with their share counts, quarterly EPS and dividends), in the replay format: enough
for `market-monitor run --source replay --replay-dir examples/november-2025` to compute a year of metrics and
show the 2025-11-07 sell-off in any clone. Re-run it to regenerate; tests check the copy matches its source.

    python examples/cut_november_2025.py [SOURCE_DIR] [OUT_DIR]
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from pipelines.config import DEFAULT_CONFIG, load_config  # noqa: E402  (the script runs from a checkout)

SHIPPED = load_config(DEFAULT_CONFIG)
NAMES = SHIPPED.tickers
BENCHMARKS = [b.lstrip("^") for b in SHIPPED.benchmarks]  # ^IXIC is IXIC.csv
FIRST, LAST = "2024-11-01", "2025-11-07"  # a 252-session warm-up before the week that ends on LAST


def _cut(source: Path, out: Path, keep) -> int:
    with source.open(newline="") as fh:
        lines = fh.read().splitlines()
    header, rows = lines[0], lines[1:]
    columns = next(csv.reader([header]))
    kept = [line for line in rows if keep(dict(zip(columns, next(csv.reader([line])))))]
    out.write_text("\n".join([header, *kept]) + "\n")
    return len(kept)


def cut(source: Path, out: Path) -> dict[str, int]:
    out.mkdir(parents=True, exist_ok=True)
    counts = {}
    for name in [*NAMES, *BENCHMARKS]:
        counts[f"{name}.csv"] = _cut(source / f"{name}.csv", out / f"{name}.csv", lambda r: FIRST <= r["date"] <= LAST)
    counts["shares.csv"] = _cut(
        source / "shares.csv", out / "shares.csv", lambda r: r["ticker"] in NAMES and r["date"] <= LAST
    )
    counts["eps.csv"] = _cut(
        source / "eps.csv",
        out / "eps.csv",
        lambda r: r["ticker"] in NAMES and r["period_end"] <= LAST and (r["reported_date"] or r["period_end"]) <= LAST,
    )
    counts["shares_weighted.csv"] = _cut(
        source / "shares_weighted.csv",
        out / "shares_weighted.csv",
        lambda r: r["ticker"] in NAMES and r["period_end"] <= LAST and (r["reported_date"] or r["period_end"]) <= LAST,
    )
    counts["dividends.csv"] = _cut(
        source / "dividends.csv",
        out / "dividends.csv",
        lambda r: r["ticker"] in NAMES and FIRST <= r["ex_date"] <= LAST,
    )
    return counts


if __name__ == "__main__":
    src = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE.parent.parent / "shared" / "data" / "market"
    dst = Path(sys.argv[2]) if len(sys.argv) > 2 else HERE / "november-2025"
    for name, n in cut(src, dst).items():
        print(f"{name}: {n} rows")
