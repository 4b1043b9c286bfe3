"""How figures are written in messages and tables: one place, so Slack, the UI and the backtest agree."""

from __future__ import annotations

import math


def missing(x) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def pct(x) -> str:
    """A fraction as a signed percentage: -0.0704 -> "-7.0%"; "n/a" when unknown."""
    return "n/a" if missing(x) else f"{x * 100:+.1f}%"


def usd(x, decimals: int = 1) -> str:
    """A dollar change in billions (trillions from $1T): -5.47e11 -> "-$547.0B"; "n/a" when unknown."""
    if missing(x):
        return "n/a"
    sign = "-" if x < 0 else "+"
    x = abs(x)
    return f"{sign}${x / 1e12:.2f}T" if x >= 1e12 else f"{sign}${x / 1e9:.{decimals}f}B"


def loss(x, decimals: int = 0) -> str:
    """A dollar loss after the word "lost": -5.47e11 -> "$547B" (never "lost -$547B")."""
    return usd(-x if not missing(x) and x < 0 else x, decimals).lstrip("+")


def some(items, n: int = 10) -> str:
    """The first n items and how many more: "AMD, META and 498 more" (messages stay short at 500 names)."""
    items = [str(i) for i in items]
    return ", ".join(items[:n]) + (f" and {len(items) - n} more" if len(items) > n else "")
