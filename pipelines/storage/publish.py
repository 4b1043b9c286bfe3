"""The analysts' copy: a consistent snapshot of the live database, swapped in atomically after each run.

Analysts never open the live file, so they can neither block the writer nor be blocked by it: a connection
already open on the old copy keeps reading its snapshot (the old file lives on until it closes), and new
connections see the new one.
"""

from __future__ import annotations

import os
import re
import shutil
import time
from pathlib import Path

import duckdb

from pipelines.sqlfiles import sql


def _wal(path: Path) -> Path:
    return path.with_name(path.name + ".wal")


def _temp(analytics: Path, pid: int) -> Path:
    return analytics.with_name(f".{analytics.name}.{pid}.tmp")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


# A publish takes seconds: a temp file this old is a leftover even if its process id now belongs to another process.
STALE_SECONDS = 3600


def _stale(path: Path, now: float) -> bool:
    """Nothing under `path` (a file, or DuckDB's spill folder) was written in the last STALE_SECONDS."""
    try:
        paths = [path, *path.rglob("*")] if path.is_dir() else [path]
        return all(now - p.stat().st_mtime > STALE_SECONDS for p in paths)
    except FileNotFoundError:
        return True


def _remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def remove_leftovers(analytics: Path) -> list[Path]:
    """Temp files of publishes whose process is gone (killed, or a disk that filled up), with their .wal and
    DuckDB's spill folder (.tmp), and a spill folder left beside the copy by a crashed analyst session: they would
    otherwise fill the disk. A process id can be reused, so a temp file untouched for an hour goes too."""
    pattern = re.compile(rf"^\.{re.escape(analytics.name)}\.(\d+)\.tmp(\.wal|\.tmp)?$")
    now = time.time()
    removed = []
    for path in analytics.parent.glob(f".{analytics.name}.*.tmp*"):
        match = pattern.match(path.name)
        if match and (int(match[1]) == os.getpid() or not _alive(int(match[1])) or _stale(path, now)):
            _remove(path)
            removed.append(path)
    spill = analytics.with_name(analytics.name + ".tmp")
    if spill.is_dir() and _stale(spill, now):  # a session spilling now writes to it: left alone
        _remove(spill)
        removed.append(spill)
    return removed


def publish(live: Path | str, analytics: Path | str) -> dict:
    live, analytics = Path(live), Path(analytics)
    removed = remove_leftovers(analytics)
    tmp = _temp(analytics, os.getpid())
    try:
        if not _copy_file(live, tmp):
            _copy_tables(live, tmp)
        tables, views = _count(tmp)
    except BaseException:
        tmp.unlink(missing_ok=True)
        _wal(tmp).unlink(missing_ok=True)
        raise
    # A .wal beside the copy belongs to the old file (someone opened it read-write and crashed); beside the new
    # file it would make every open fail with "WAL does not match database file".
    _wal(analytics).unlink(missing_ok=True)
    os.replace(tmp, analytics)  # atomic: readers see the old file or the new one, never half of one
    _wal(analytics).unlink(missing_ok=True)
    return {
        "path": str(analytics),
        "tables": tables,
        "views": views,
        "bytes": analytics.stat().st_size,
        "leftovers_removed": len(removed),
    }


LAGS_AFTER_SECONDS = 60  # the copy is published at a run's end: a minute behind the live file is that run's own


def lag(live: Path | str, analytics: Path | str) -> float | None:
    """Seconds the analysts' copy is older than the live database's last write (its file or its .wal), when it is
    more than a run's own delay; None otherwise (or when either file is missing)."""
    live, analytics = Path(live), Path(analytics)
    try:
        copied = analytics.stat().st_mtime
        written = max(p.stat().st_mtime for p in (live, _wal(live)) if p.exists())
    except (OSError, ValueError):
        return None
    behind = written - copied
    return behind if behind > LAGS_AFTER_SECONDS else None


def _copy_file(live: Path, tmp: Path) -> bool:
    """The live file byte for byte, while a read-only connection holds DuckDB's lock so no writer can change it
    (~0.1 s for 50 MB where copying table by table took 1 s). False when the file is not the whole database (a
    .wal holds changes not yet checkpointed into it)."""
    held = duckdb.connect(str(live), read_only=True)
    try:
        if _wal(live).exists():
            return False
        shutil.copyfile(live, tmp)
        return True
    finally:
        held.close()


def _copy_tables(live: Path, tmp: Path) -> None:
    con = duckdb.connect()  # in memory: attaches the live file read-only, never holding it for writing
    try:
        # ATTACH takes its path as a literal, not a parameter: the statements built in Python.
        con.execute(f"ATTACH '{_quote(live)}' AS live (READ_ONLY)")
        con.execute(f"ATTACH '{_quote(tmp)}' AS fresh")
        con.execute(sql("publish/copy"))
    finally:
        con.close()


def _count(tmp: Path) -> tuple[int, int]:
    """Tables and views of the new copy, read back from it: a copy that does not open is never swapped in."""
    con = duckdb.connect()
    try:
        con.execute(f"ATTACH '{_quote(tmp)}' AS fresh (READ_ONLY)")
        return con.execute(sql("publish/copied")).fetchone()
    finally:
        con.close()


def _quote(path: Path) -> str:
    return str(path).replace("'", "''")
