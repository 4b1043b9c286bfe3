"""The analysts' door: read-only SQL on the analysts' copy, never on the live database.

The copy is opened read-only with DuckDB's own switches rather than by parsing SQL: external access off (no
ATTACH of another file, no COPY ... TO, no EXPORT, no reading or writing files, no INSTALL) and the
configuration locked, so no statement can SET its way back.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd

LOCKED = {"enable_external_access": False, "lock_configuration": True}


class QueryRefused(ValueError):
    """A statement the analysts' door does not allow; the message is one line saying why."""


def open_copy(path: Path) -> duckdb.DuckDBPyConnection:
    if not path.is_file():
        raise ValueError(f"{path} does not exist yet: it is written at the end of `market-monitor run`")
    try:
        return duckdb.connect(str(path), read_only=True, config=LOCKED)
    except duckdb.Error as exc:
        raise ValueError(f"{path}: cannot be opened: {_first_line(exc)}") from None


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def refusal(exc: duckdb.Error) -> str | None:
    """Why DuckDB refused a statement at the door, or None when the query simply failed."""
    text = str(exc)
    if isinstance(exc, duckdb.PermissionException) or "disabled by configuration" in text:
        return (
            "refused: the analysts' door reads only the analysts' copy (ATTACH, COPY ... TO, EXPORT, INSTALL "
            "and reading or writing other files are disabled)"
        )
    if "read-only mode" in text:
        return "refused: the analysts' copy is read-only (no INSERT, UPDATE, DELETE, CREATE or DROP)"
    if "configuration has been locked" in text:
        return "refused: settings are locked at the analysts' door (no SET, PRAGMA or RESET)"
    return None


def query(path: Path, text: str) -> pd.DataFrame:
    con = open_copy(path)
    try:
        return con.execute(text).df()
    except duckdb.Error as exc:
        raise QueryRefused(refusal(exc) or f"query failed: {_first_line(exc)}") from None
    finally:
        con.close()
