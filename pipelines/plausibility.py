"""What a fact must look like to be stored: bounds far beyond any real value, so only broken data trips them.

Used at the door of the fact tables (pipelines/storage/store.py, sql/door/) and by the replay reader, which names
the file and line.
"""

from __future__ import annotations

import math

MAX_PRICE = 10_000_000.0  # USD per share; the dearest share ever traded (BRK.A) is under $1M
MIN_PRICE = 1e-6  # USD per share; nothing quoted trades below $0.0001 (split-adjusted history included)
MAX_BAR_RATIO = 1000.0  # a close 1000x beneath its name's typical or previous close: a broken bar, not a move
MAX_SHARES = 1e12  # the largest share counts are a few 1e11
MAX_MARKET_CAP = 100e12  # USD; no company has come within a factor of 10
MAX_EPS = 100_000.0  # USD per share per quarter
MAX_VOLUME = 1e15  # shares in one session
SPLIT_RATIO_MIN, SPLIT_RATIO_MAX = 1 / 1000, 1000.0  # 1:1000 reverse split .. 1000:1 split

DOOR_LIMITS = {
    "max_price": MAX_PRICE,
    "min_price": MIN_PRICE,
    "max_bar_ratio": MAX_BAR_RATIO,
    "max_shares": MAX_SHARES,
    "max_market_cap": MAX_MARKET_CAP,
    "max_eps": MAX_EPS,
}


def split_ratio_problem(ratio: float) -> str | None:
    """Why a split ratio (new shares per old share) cannot be right, or None."""
    if not isinstance(ratio, int | float) or not math.isfinite(ratio) or ratio <= 0:
        return f"split ratio {ratio!r} is not a positive finite number"
    if not SPLIT_RATIO_MIN <= ratio <= SPLIT_RATIO_MAX:
        return f"split ratio {ratio:g} is outside 1:1000 .. 1000:1"
    if ratio == 1:
        return "split ratio 1 is no split"
    return None
