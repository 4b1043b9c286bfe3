"""The analysts' copy: a consistent snapshot of the live database, swapped in atomically after each run.

Analysts never open the live file, so they can neither block the writer nor be blocked by it: a connection
already open on the old copy keeps reading its snapshot (the old file lives on until it closes), and new
connections see the new one.
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb


def publish(live: Path | str, analytics: Path | str) -> dict:
    live, analytics = Path(live), Path(analytics)
    tmp = analytics.with_name(f".{analytics.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    con = duckdb.connect()  # in memory: attaches the live file read-only, never holding it for writing
    try:
        con.execute(f"ATTACH '{_quote(live)}' AS live (READ_ONLY)")
        con.execute(f"ATTACH '{_quote(tmp)}' AS fresh")
        con.execute("COPY FROM DATABASE live TO fresh")
        tables = con.execute("SELECT count(*) FROM duckdb_tables() WHERE database_name = 'fresh'").fetchone()[0]
        views = con.execute("SELECT count(*) FROM duckdb_views() WHERE database_name = 'fresh' AND NOT internal"
                            ).fetchone()[0]
        con.execute("DETACH fresh")
        con.execute("DETACH live")
    finally:
        con.close()
    os.replace(tmp, analytics)  # atomic: readers see the old file or the new one, never half of one
    return {"path": str(analytics), "tables": tables, "views": views, "bytes": analytics.stat().st_size}


def _quote(path: Path) -> str:
    return str(path).replace("'", "''")
