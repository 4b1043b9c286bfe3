"""SQL lives in sql/ (one file per statement or model); this module finds and reads it."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

_HERE = Path(__file__).resolve().parent


@cache
def sql_dir() -> Path:
    # In a wheel, sql/ is packaged as pipelines/sql; in a checkout (editable install) it sits beside pipelines/.
    for candidate in (_HERE / "sql", _HERE.parent / "sql"):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError("sql/ directory not found next to the pipelines package")


@cache
def sql(name: str) -> str:
    """The text of sql/<name>.sql (name may contain a subfolder, e.g. 'views/latest_session')."""
    return (sql_dir() / f"{name}.sql").read_text()


def statements(text: str) -> list[str]:
    """Split a file of several statements (ends of statement: ';' at the end of a line)."""
    code = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("--"))
    parts = re.split(r";[ \t]*(?:--[^\n]*)?\n", code + "\n")
    return [p.strip() for p in parts if p.strip()]


def used_params(statement: str, params: dict) -> dict:
    """The named parameters a statement uses (DuckDB refuses extra ones)."""
    return {k: v for k, v in params.items() if re.search(rf"\${k}\b", statement)}


def execute_script(con, name: str, params: dict) -> None:
    """Run each statement of sql/<name>.sql with the named parameters it uses."""
    for stmt in statements(sql(name)):
        con.execute(stmt, used_params(stmt, params)).fetchall()  # to completion: DuckDB 2 holds a pending result


def migrations() -> list[tuple[int, str, str]]:
    """(version, name, text) for sql/schema/NNN_name.sql, in version order."""
    out = []
    for path in sorted((sql_dir() / "schema").glob("*.sql")):
        match = re.fullmatch(r"(\d+)_(\w+)\.sql", path.name)
        if match:
            out.append((int(match[1]), match[2], path.read_text()))
    return out


def views() -> list[tuple[str, str]]:
    """(name, text) of every analysts' view in sql/views/."""
    return [(p.stem, p.read_text()) for p in sorted((sql_dir() / "views").glob("*.sql"))]
