"""Replay source: a snapshot folder in the format `market-monitor snapshot` writes.

Files: `<SYMBOL>.csv` (`date,open,high,low,close,adj_close,volume`; `^IXIC` may be stored as `IXIC.csv`;
an empty adj_close means "same as close"), `shares.csv`, `eps.csv` and optionally `dividends.csv` and
`splits.csv`. A malformed file stops the load with an error naming file, line and problem.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd

from pipelines.errors import PermanentError
from pipelines.fmt import some
from pipelines.plausibility import MAX_VOLUME, split_ratio_problem
from pipelines.sources.base import (
    DIVIDEND_COLUMNS,
    EARNINGS_COLUMNS,
    PRICE_COLUMNS,
    SHARES_COLUMNS,
    SPLIT_COLUMNS,
    Fundamentals,
    PriceBatch,
    SourceError,
    empty,
)


class SnapshotError(SourceError, PermanentError):
    """A malformed snapshot file: bad input, which no retry fixes."""


def symbol_file(folder: Path, symbol: str) -> Path | None:
    """`<SYMBOL>.csv`, or the name without a leading ^ (how index files are usually saved)."""
    for name in (f"{symbol}.csv", f"{symbol.lstrip('^')}.csv"):
        if (folder / name).is_file():
            return folder / name
    return None


def _read(path: Path, required: list[str], optional: tuple[str, ...] = ()) -> pd.DataFrame:
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    except pd.errors.EmptyDataError:
        raise SnapshotError(f"{path.name}: the file is empty (expected a header line: {', '.join(required)})") from None
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise SnapshotError(f"{path.name}: not a readable CSV file: {str(exc).strip().splitlines()[0]}") from None
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise SnapshotError(f"{path.name} line 1: missing column(s) {', '.join(missing)}")
    for col in optional:
        if col not in frame.columns:
            frame[col] = ""
    return frame


class _Doubt(Exception):
    """The vectorised parse of several files at once met a value to check file by file, line by line."""


def _dates(frame: pd.DataFrame, col: str, path: Path | None, allow_empty: bool = False) -> pd.Series:
    """The column as dates (empty: None where allowed); vectorised, with the line-by-line check (and its message
    naming the line) as soon as any value is not a plain, valid YYYY-MM-DD."""
    raw = frame[col].str.strip()
    parsed = pd.to_datetime(raw, format="%Y-%m-%d", errors="coerce")
    empty = raw == ""
    plain = raw.str.fullmatch(r"\d{4}-\d{2}-\d{2}")  # strptime would also take 2024-6-4; fromisoformat does not
    if not ((parsed.isna() | ~plain) & ~(empty & allow_empty)).any():
        return pd.Series([None if e else d.date() for e, d in zip(empty, parsed)], index=frame.index, dtype="object")
    if path is None:
        raise _Doubt
    return _dates_line_by_line(frame, col, path, allow_empty)


def _dates_line_by_line(frame: pd.DataFrame, col: str, path: Path, allow_empty: bool) -> pd.Series:
    out = []
    for i, raw in zip(frame.index, frame[col]):  # the index is the file's row: line i + 2
        if raw == "" and allow_empty:
            out.append(None)
            continue
        try:
            out.append(dt.date.fromisoformat(raw.strip()))
        except ValueError:
            raise SnapshotError(f"{path.name} line {i + 2}: {col} {raw!r} is not a date YYYY-MM-DD") from None
    return pd.Series(out, index=frame.index, dtype="object")


def _numbers(frame: pd.DataFrame, col: str, path: Path | None, *, positive: bool, allow_empty: bool) -> pd.Series:
    """The column as floats (empty: NaN where allowed); the first bad line is named. Vectorised (a nightly replay
    of 500 names parses a million cells); any doubt falls back to the line-by-line check and its message."""
    raw = frame[col].to_numpy(dtype=str)
    empty = np.char.str_len(np.char.strip(raw)) == 0
    try:
        values = np.where(empty, "nan", raw).astype(np.float64)  # the same parse as float(): correctly rounded
    except ValueError:
        values = None
    if values is not None and not (empty.any() and not allow_empty):
        filled = values[~empty]
        if np.isfinite(filled).all() and not (positive and (filled <= 0).any()):
            return pd.Series(values, index=frame.index, dtype="float64")
    if path is None:
        raise _Doubt
    return _numbers_line_by_line(frame, col, path, positive=positive, allow_empty=allow_empty)


def _numbers_line_by_line(frame: pd.DataFrame, col: str, path: Path, *, positive: bool, allow_empty: bool) -> pd.Series:
    out = []
    for i, raw in zip(frame.index, frame[col]):  # the index is the file's row: line i + 2
        if raw.strip() == "":
            if allow_empty:
                out.append(math.nan)
                continue
            raise SnapshotError(f"{path.name} line {i + 2}: {col} is empty")
        try:
            value = float(raw)
        except ValueError:
            raise SnapshotError(f"{path.name} line {i + 2}: {col} {raw!r} is not a number") from None
        if not math.isfinite(value):
            raise SnapshotError(f"{path.name} line {i + 2}: {col} {raw!r} is not finite")
        if positive and value <= 0:
            raise SnapshotError(f"{path.name} line {i + 2}: {col} {raw!r} must be positive")
        out.append(value)
    return pd.Series(out, index=frame.index, dtype="float64")


def _no_duplicates(frame: pd.DataFrame, keys: list[str], path: Path) -> None:
    dup = frame.duplicated(keys, keep="first")
    if dup.any():
        i = dup[dup].index[0]  # the file's row: line i + 2
        what = ", ".join(str(frame[k].loc[i]) for k in keys)
        raise SnapshotError(f"{path.name} line {i + 2}: duplicate {'/'.join(keys)} {what}")


def _raw_prices(files: dict[str, Path], start: dt.date | None, end: dt.date | None) -> pd.DataFrame:
    """Price files' rows as text, with a ticker column and each file's row number as the index; with start/end
    only that window (a night reads one window, not years of history), plus any row whose date is not a plain
    YYYY-MM-DD (so a malformed date is never skipped)."""
    frames = [
        _read(path, ["date", "open", "high", "low", "close", "volume"], optional=("adj_close",))
        for path in files.values()
    ]
    raw = pd.concat(frames, keys=list(files), names=["ticker", "row"]).reset_index(level="ticker")
    if start is not None and end is not None:
        day = raw["date"].str.strip()
        plain = day.str.fullmatch(r"\d{4}-\d{2}-\d{2}")
        raw = raw[~plain | ((day >= start.isoformat()) & (day <= end.isoformat()))]
    return raw


PRICE_HEADER = ["date", "open", "high", "low", "close", "adj_close", "volume"]
# Every data line follows a newline (line 1 is the header): anchoring on "\n" lets the regex engine jump from one
# newline to the next, where "^" with re.M tried every character (0.55 s against 0.15 s for 500 files).
_PLAIN_LINE = re.compile(r"\n\d{4}-\d{2}-\d{2},")


def _window_rows(path: Path, start: dt.date, end: dt.date) -> list[list[str]]:
    """A price file's rows in [start, end], as text fields in PRICE_HEADER order, without parsing the other years of
    the file: a night reads a few lines of each of 500 files. Anything unusual (a date that is not a plain
    YYYY-MM-DD anywhere in the file, quoting, a short or long row, another column order, a bad encoding) raises
    _Doubt: the caller then reads the files with pandas, line by line, and names what it refuses."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        raise _Doubt from None
    lines = text.splitlines()
    if not lines or '"' in text:
        raise _Doubt
    header = lines[0].split(",")
    if header not in (PRICE_HEADER, PRICE_HEADER[:5] + PRICE_HEADER[6:]):
        raise _Doubt
    data = [line for line in lines[1:] if line]  # pandas skips blank lines too
    if len(_PLAIN_LINE.findall(text)) != len(data):
        raise _Doubt  # some row's date is not a plain YYYY-MM-DD: checked line by line
    low, high = start.isoformat(), end.isoformat()
    rows = [line.split(",") for line in data if low <= line[:10] <= high]
    if any(len(fields) != len(header) for fields in rows):
        raise _Doubt
    if len(header) < len(PRICE_HEADER):  # no adj_close column
        rows = [[*fields[:5], "", fields[5]] for fields in rows]
    return rows


def _window_all(files: dict[str, Path], start: dt.date, end: dt.date) -> pd.DataFrame:
    """Every file's window as one frame of text (one frame built, not one a file: 500 frames cost ~0.2 s)."""
    tickers, rows = [], []
    for ticker, path in files.items():
        window = _window_rows(path, start, end)
        tickers += [ticker] * len(window)
        rows += window
    frame = pd.DataFrame(rows, columns=PRICE_HEADER, dtype=object)
    frame.insert(0, "ticker", tickers)
    return frame


def read_prices(path: Path, symbol: str, start: dt.date | None = None, end: dt.date | None = None) -> pd.DataFrame:
    """A symbol's bars (in [start, end] when given), validated: a refused value names its file and line."""
    return _prices(_raw_prices({symbol: path}, start, end), path)


def _prices(raw: pd.DataFrame, path: Path | None) -> pd.DataFrame:
    """Parse and check price rows; path None: rows of several files at once, and any doubt raises _Doubt."""
    out = pd.DataFrame({"ticker": raw["ticker"], "date": _dates(raw, "date", path)})
    for col in ("open", "high", "low", "close"):
        out[col] = _numbers(raw, col, path, positive=True, allow_empty=col != "close")
    out["adj_close"] = _numbers(raw, "adj_close", path, positive=True, allow_empty=True)
    out["adj_close"] = out["adj_close"].fillna(out["close"])
    volume = _numbers(raw, "volume", path, positive=False, allow_empty=True)
    out_of_range = (volume < 0) | (volume > MAX_VOLUME)
    if out_of_range.any():
        if path is None:
            raise _Doubt
        i = out_of_range[out_of_range].index[0]
        raise SnapshotError(f"{path.name} line {i + 2}: volume {volume.loc[i]:g} is not between 0 and {MAX_VOLUME:g}")
    out["volume"] = volume.round().astype("Int64")
    if path is None:
        if out.duplicated(["ticker", "date"]).any():
            raise _Doubt
    else:
        _no_duplicates(out, ["date"], path)
    return out[PRICE_COLUMNS]


class ReplaySource:
    """A snapshot folder played back: fundamentals are re-read every run (a local read), and the last session of
    a run stands for tonight."""

    name = "replay"
    needs_folder = True

    @classmethod
    def from_settings(cls, folder: Path | None, cache_dir: Path, timeout: float) -> ReplaySource:
        return cls(folder)

    def fundamentals_max_age(self, cfg) -> int:
        return 0

    def tonight(self, end: dt.date) -> dt.date:
        return end

    def latest_session(self, benchmark: str) -> dt.date:
        return last_snapshot_session(self.folder, benchmark)

    def __init__(self, folder: Path | str):
        self.folder = Path(folder)
        if not self.folder.is_dir():
            raise SnapshotError(f"replay folder {self.folder} does not exist (MARKET_MONITOR_REPLAY_DIR)")

    def fetch_prices(self, symbols: list[str], start: dt.date, end: dt.date) -> PriceBatch:
        files = {s: p for s in symbols if (p := symbol_file(self.folder, s)) is not None}
        try:  # every file's window parsed at once: 500 names cost one vectorised pass, not 500
            prices = _prices(_window_all(files, start, end), None) if files else empty(PRICE_COLUMNS)
        except _Doubt:  # file by file, so the refusal names its file and line (or the value passes after all)
            prices = pd.concat(
                [read_prices(path, symbol, start, end) for symbol, path in files.items()], ignore_index=True
            )
        prices = prices[(prices["date"] >= start) & (prices["date"] <= end)].reset_index(drop=True)
        have = set(prices["ticker"])
        missing = [s for s in symbols if s not in have]
        return PriceBatch(
            prices=prices,
            splits=self._optional("splits.csv", SPLIT_COLUMNS, symbols, "date", start, end),
            dividends=self._optional("dividends.csv", DIVIDEND_COLUMNS, symbols, "ex_date", start, end),
            missing=missing,
        )

    def no_bars(self, sessions: list[dt.date]) -> Exception:
        return SnapshotError(f"the snapshot {self.folder} has no bars at all for {some(sessions, 5)}")

    def _optional(self, name, columns, symbols, date_col, start, end) -> pd.DataFrame:
        path = self.folder / name
        if not path.is_file():
            return empty(columns)
        value_col = columns[-1]
        src_col = {"dividend": "dividend_per_share"}.get(value_col, value_col)
        raw = _read(path, ["ticker", date_col, src_col])
        out = pd.DataFrame({"ticker": raw["ticker"].str.strip(), date_col: _dates(raw, date_col, path)})
        out[value_col] = _numbers(raw, src_col, path, positive=True, allow_empty=False)
        if value_col == "ratio":
            for i, ratio in enumerate(out["ratio"]):
                if problem := split_ratio_problem(ratio):
                    raise SnapshotError(f"{path.name} line {i + 2}: {problem}")
        _no_duplicates(out, ["ticker", date_col], path)
        keep = out["ticker"].isin(symbols) & (out[date_col] >= start) & (out[date_col] <= end)
        return out[keep].reset_index(drop=True)

    def _share_file(self, name: str, date_col: str, value_col: str, symbols: list[str], end: dt.date) -> pd.DataFrame:
        """ticker, date, shares from one share-count file (empty when the snapshot has none)."""
        path = self.folder / name
        if not path.is_file():
            return empty(SHARES_COLUMNS)
        raw = _read(path, ["ticker", date_col, value_col])
        out = pd.DataFrame({"ticker": raw["ticker"].str.strip(), "date": _dates(raw, date_col, path)})
        out["shares"] = _numbers(raw, value_col, path, positive=True, allow_empty=False)
        _no_duplicates(out, ["ticker", "date"], path)
        return out[out["ticker"].isin(symbols) & (out["date"] <= end)]

    def fetch_fundamentals(self, symbols: list[str], start: dt.date, end: dt.date) -> Fundamentals:
        # Point-in-time data is filtered by its dates downstream; a snapshot's whole history is loaded.
        problems = []
        shares = self._share_file("shares.csv", "date", "shares_outstanding", symbols, end)
        # optional: each quarter's average, the fallback before a ticker's first count
        averages = self._share_file("shares_weighted.csv", "period_end", "weighted_basic_shares", symbols, end)
        earnings = empty(EARNINGS_COLUMNS)
        path = self.folder / "eps.csv"
        if path.is_file():
            raw = _read(path, ["ticker", "period_end", "reported_date", "eps_diluted"])
            earnings = pd.DataFrame(
                {
                    "ticker": raw["ticker"].str.strip(),
                    "period_end": _dates(raw, "period_end", path),
                    "reported_date": _dates(raw, "reported_date", path, allow_empty=True),
                }
            )
            earnings["eps_diluted"] = _numbers(raw, "eps_diluted", path, positive=False, allow_empty=False)
            early = [r is not None and r < p for r, p in zip(earnings["reported_date"], earnings["period_end"])]
            if any(early):
                i = early.index(True)
                raise SnapshotError(
                    f"{path.name} line {i + 2}: reported_date {earnings['reported_date'].iloc[i]} is "
                    f"before its quarter ended ({earnings['period_end'].iloc[i]})"
                )
            _no_duplicates(earnings, ["ticker", "period_end"], path)
            earnings = earnings[earnings["ticker"].isin(symbols) & (earnings["period_end"] <= end)]
        for kind, frame in (("shares", pd.concat([shares, averages])), ("EPS", earnings)):
            have = set(frame["ticker"])
            problems += [f"{s} {kind}: none in snapshot" for s in symbols if s not in have and not s.startswith("^")]
        return Fundamentals(
            shares.reset_index(drop=True), earnings.reset_index(drop=True), problems, averages.reset_index(drop=True)
        )


def last_snapshot_session(folder: Path | str, benchmark: str) -> dt.date:
    """The newest session in a snapshot (its benchmark file): what a replay run treats as "tonight"."""
    path = symbol_file(Path(folder), benchmark)
    if path is None:
        raise SourceError(f"replay folder {folder} has no file for the benchmark {benchmark}")
    return max(read_prices(path, benchmark)["date"])
