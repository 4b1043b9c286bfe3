"""yfinance's on-disk cache (cookie jar, timezones, ISINs: SQLite files in data/yfinance-cache), checked before use.

yfinance does not recover from a cache file it cannot read (a crash mid-write, a full disk, a jar pickled by
another curl_cffi version): every request of every later night fails, logged as "no reason given". A file that
does not read back cleanly is moved aside (kept for a look) and yfinance starts that cache afresh.
"""

from __future__ import annotations

import datetime as dt
import pickle
import sqlite3
from pathlib import Path

CACHE_FILES = ("cookies.db", "tkr-tz.db", "isin-tkr.db")


def problem_of(path: Path) -> str | None:
    """Why yfinance could not use this SQLite cache file; None when it reads back cleanly."""
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            check = con.execute("PRAGMA quick_check").fetchone()[0]
            if check != "ok":
                return check
            for (table,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall():
                rows = con.execute(f'SELECT * FROM "{table}"').fetchall()
                if path.name == "cookies.db":
                    names = [c[1] for c in con.execute(f'PRAGMA table_info("{table}")').fetchall()]
                    if "cookie_bytes" in names:
                        for row in rows:  # as yfinance reads its jar back
                            jar = pickle.loads(row[names.index("cookie_bytes")])
                            if "strategy" in names and row[names.index("strategy")] == "curlCffi":
                                _persistent_cookie(jar)
        finally:
            con.close()
    except sqlite3.Error as exc:
        return str(exc)
    except Exception as exc:  # noqa: BLE001 - an unpicklable jar: whatever pickle raises
        return f"cookie does not load: {type(exc).__name__}: {exc}"
    return None


def _persistent_cookie(jar) -> None:
    """What yfinance reads of its stored curl_cffi cookie (data.YfData._load_cookie_curlCffi): the first domain's A3
    cookie and its expiry. A jar stored without it unpickles fine, then raises KeyError('A3') inside every request
    of every later process."""
    try:
        domain = next(iter(jar))
        jar[domain]["/"]["A3"].expires  # noqa: B018 - read as yfinance reads it
    except (KeyError, StopIteration, TypeError, AttributeError) as exc:
        raise ValueError(f"the stored Yahoo cookie lacks what yfinance reads ({type(exc).__name__}: {exc})") from exc


def reset_unusable(cache_dir: Path, now: dt.datetime | None = None) -> list[str]:
    """Move aside each cache file yfinance could not use; one line per file moved (for the run's warnings)."""
    stamp = (now or dt.datetime.now()).strftime("%Y%m%dT%H%M%S")
    notes = []
    for name in CACHE_FILES:
        path = Path(cache_dir) / name
        if not path.exists():
            continue
        problem = problem_of(path)
        if problem:
            aside = path.with_name(f"{name}.unusable-{stamp}")
            path.replace(aside)
            for suffix in ("-wal", "-shm"):  # its journal must not be replayed into the fresh file
                journal = path.with_name(name + suffix)
                if journal.exists():
                    journal.replace(aside.with_name(aside.name + suffix))
            notes.append(
                f"yfinance cache {path} could not be read ({problem}): moved aside to {aside.name}, started afresh"
            )
    return notes
