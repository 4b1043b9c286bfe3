"""Dagster instance benchmark: the same CLI runs recorded by the shipped SQLite instance (dagster_home/dagster.yaml)
and by the production one (deploy/dagster.yaml on PostgreSQL, minus the Kubernetes launcher), in one process, so
the figures share an hour. Needs the DAGSTER_PG_* settings of a running server:

  eval "$(deploy/local-postgres.sh)"
  .venv/bin/python benchmarks/instance_benchmark.py [--names 7] [--start 2024-01-02] [--end 2025-11-28] [--repeat 2]

Prints one JSON line per (instance, repetition) and a table: two years on an empty database, then one more session.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.pipeline_benchmark import run, write_config, write_universe  # noqa: E402
from pipelines import calendar  # noqa: E402
from tests.support import postgres  # noqa: E402


def sqlite_home(home: Path) -> dict:
    home.mkdir(parents=True)
    shutil.copy(ROOT / "dagster_home" / "dagster.yaml", home / "dagster.yaml")
    return {"DAGSTER_HOME": str(home)}


def postgres_home(home: Path, db: str) -> dict:
    postgres.production_home(home)
    return {"DAGSTER_HOME": str(home), **postgres.instance_env(db)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--names", type=int, default=7)
    parser.add_argument("--start", default="2024-01-02")
    parser.add_argument("--end", default="2025-11-28")
    parser.add_argument("--repeat", type=int, default=2)
    opts = parser.parse_args()
    if not all(k in os.environ for k in postgres.KEYS):
        sys.exit('no PostgreSQL settings: run  eval "$(deploy/local-postgres.sh)"  first')
    days = calendar.sessions(opts.start, opts.end)
    warm_up = calendar.sessions_back(days[0], 260)
    rows, failed = [], False
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        names = write_universe(tmp / "snap", opts.names, str(warm_up), opts.end)
        cfg = write_config(tmp / "monitor.toml", names, warm_up)
        base = ["--source", "replay", "--replay-dir", str(tmp / "snap")]
        for rep in range(opts.repeat):
            for kind in ("sqlite", "postgres"):
                run_dir = tmp / f"{kind}{rep}"
                with postgres.fresh_database() if kind == "postgres" else contextlib.nullcontext() as db:
                    env = postgres_home(run_dir / "home", db) if db else sqlite_home(run_dir / "home")
                    env |= {"MARKET_MONITOR_CONFIG": str(cfg), "MARKET_MONITOR_DB": str(run_dir / "mm.duckdb")}
                    history = run([*base, "--start", str(days[0]), "--end", str(days[-2])], env)
                    nightly = run([*base, "--end", str(days[-1])], env)
                row = {"instance": kind, "rep": rep, "names": opts.names, "sessions": len(days) - 1}
                row |= {"two_years": history, "one_more_session": nightly}
                print(json.dumps(row), flush=True)
                rows.append(row)
                failed |= bool(history["exit"] or nightly["exit"])
    print("\n| instance | two years (s) | one more session (s) |\n|---|---|---|")
    for kind in ("sqlite", "postgres"):
        mine = [r for r in rows if r["instance"] == kind]
        years = " / ".join(str(r["two_years"]["seconds"]) for r in mine)
        night = " / ".join(str(r["one_more_session"]["seconds"]) for r in mine)
        print(f"| {kind} | {years} | {night} |")
    if failed:
        sys.exit("a benchmarked run failed (its error is in the JSON lines above)")


if __name__ == "__main__":
    main()
