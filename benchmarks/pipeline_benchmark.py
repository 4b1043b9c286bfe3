"""Whole-pipeline benchmark: synthetic universes over the real NYSE calendar, through the real CLI and graph.

For each size (default 7, 100 and 500 names) it writes a replay snapshot (random walks, one share count and
quarterly EPS per name), runs `market-monitor run` for two years of sessions on an empty database, then for one
more session, and prints one JSON line per size: seconds per step (from the CLI's progress lines), total seconds,
the largest message's size, and the peak memory (max RSS of the runs so far: the largest child process).

With --baskets K the universe is watched as K overlapping baskets of 2n/K names each (every name in two baskets),
half of them against ^IXIC and half against ^GSPC: the several-baskets case (issue 24: 20 baskets over 500 names).

  .venv/bin/python benchmarks/pipeline_benchmark.py [--sizes 7 100 500] [--baskets 20] [--start ..] [--end ..]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipelines import calendar  # noqa: E402
from pipelines.rules import sector_selloff  # noqa: E402


def write_universe(folder: Path, n: int, start: str, end: str, seed: int = 7) -> list[str]:
    rng = np.random.default_rng(seed)
    days = calendar.sessions(start, end)
    names = [f"S{i:03d}" for i in range(n)]
    folder.mkdir(parents=True, exist_ok=True)
    for name in [*names, "^IXIC", "^GSPC"]:
        walk = 100 * np.exp(np.cumsum(rng.normal(0, 0.02, len(days))))
        pd.DataFrame(
            {
                "date": days,
                "open": walk,
                "high": walk * 1.01,
                "low": walk * 0.99,
                "close": walk,
                "adj_close": walk,
                "volume": 1_000_000,
            }
        ).to_csv(folder / f"{name.lstrip('^')}.csv", index=False)
    pd.DataFrame({"ticker": names, "date": start, "shares_outstanding": 1e9}).to_csv(folder / "shares.csv", index=False)
    quarters = pd.date_range("2023-03-31", end, freq="QE").date
    pd.DataFrame(
        [(t, q, "", 1.0) for t in names for q in quarters],
        columns=["ticker", "period_end", "reported_date", "eps_diluted"],
    ).to_csv(folder / "eps.csv", index=False)
    return names


def write_config(path: Path, names: list[str], start, baskets: int = 0) -> Path:
    """One watchlist, or `baskets` overlapping baskets: basket i holds names [i*step, i*step + 2*step) (wrapping)."""
    history = f'[history]\nstart = "{start}"\nsource_retries = 0\n'
    if not baskets:
        path.write_text(f"[watchlist]\ntickers = {json.dumps(names)}\n" + history)
        return path
    step, sector = max(1, len(names) // baskets), sector_selloff.NAME
    tables = []
    for i in range(baskets):
        held = [names[(i * step + k) % len(names)] for k in range(min(2 * step, len(names)))]
        benchmark = "^IXIC" if i % 2 == 0 else "^GSPC"
        tables.append(
            f'[baskets.b{i:02d}]\ntitle = "Basket {i}"\ntickers = {json.dumps(held)}\nbenchmark = "{benchmark}"\n'
            f"[baskets.b{i:02d}.rules.{sector}]\nmin_names_down = {min(4, len(held))}\n"
            f"min_names_with_cap = {min(4, len(held))}\n"
        )
    path.write_text("\n".join(tables) + history)
    return path


def run(args: list[str], env: dict) -> dict:
    started = time.monotonic()
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    out = subprocess.run(
        [sys.executable, "-m", "pipelines.cli", "run", *args],
        env={**os.environ, **env},
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    seconds = time.monotonic() - started
    steps = {m.group(1): float(m.group(2)) for m in re.finditer(r"  ok (\w+) \(([\d.]+) s\)", out.stderr)}
    messages = out.stdout.split("this message would be sent ---")[1:]
    return {
        "exit": out.returncode,
        "seconds": round(seconds, 1),
        "steps_s": steps,
        "largest_message_chars": max((len(m) for m in messages), default=0),
        "peak_rss_mib": round(max(before, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024),
        "error": out.stderr.strip().splitlines()[-1] if out.returncode else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[7, 100, 500])
    parser.add_argument("--baskets", type=int, default=0, help="watch the universe as this many baskets")
    parser.add_argument("--start", default="2024-01-02")
    parser.add_argument("--end", default="2025-11-28")
    opts = parser.parse_args()
    days = calendar.sessions(opts.start, opts.end)
    warm_up = calendar.sessions_back(days[0], 260)
    failed = False
    for n in opts.sizes:
        with tempfile.TemporaryDirectory() as tmp:
            tmp = Path(tmp)
            names = write_universe(tmp / "snap", n, str(warm_up), opts.end)
            cfg = write_config(tmp / "monitor.toml", names, warm_up, opts.baskets)
            env = {"MARKET_MONITOR_CONFIG": str(cfg), "MARKET_MONITOR_DB": str(tmp / "mm.duckdb")}
            base = ["--source", "replay", "--replay-dir", str(tmp / "snap")]
            history = run([*base, "--start", str(days[0]), "--end", str(days[-2])], env)
            nightly = run([*base, "--end", str(days[-1])], env)
            print(
                json.dumps(
                    {
                        "names": n,
                        "baskets": opts.baskets or 1,
                        "sessions": len(days) - 1,
                        "two_years": history,
                        "one_more_session": nightly,
                    }
                ),
                flush=True,
            )
            failed |= bool(history["exit"] or nightly["exit"])
    if failed:  # figures of a failed run are no figures: say so with the exit code
        sys.exit("a benchmarked run failed (its error is in the JSON line above)")


if __name__ == "__main__":
    main()
