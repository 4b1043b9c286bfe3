"""How figures are written in messages and tables: one place, so Slack, the UI and the backtest agree."""

from __future__ import annotations

import math
import re


def pe_text(pe, eps, fmt: str) -> str:
    """A P/E as shown: 'n/m' (not meaningful) when the TTM EPS is zero or negative, 'n/a' when there is none."""
    if not missing(pe):
        return format(pe, fmt)
    return "n/a" if missing(eps) else "n/m"


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


def plural(n: int, word: str) -> str:
    """`1 episode`, `6 episodes`: never `episode(s)`."""
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def some(items, n: int = 10) -> str:
    """The first n items and how many more: "AMD, META and 498 more" (messages stay short at 500 names)."""
    items = [str(i) for i in items]
    return ", ".join(items[:n]) + (f" and {len(items) - n} more" if len(items) > n else "")


# C0/C1 control characters (ESC starts ANSI sequences that recolour or rewrite a terminal), DEL, and the
# bidirectional overrides that reorder what a reader sees; newlines in typed text are folded too.
_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def control_chars(text: str) -> list[str]:
    """The control characters in `text`, as escapes (for an error that names them)."""
    return sorted({repr(c)[1:-1] for c in _UNSAFE.findall(text)})


def terminal_safe(text: str) -> str:
    """Text people typed, printed to a terminal: control characters shown as escapes, never executed."""
    return _UNSAFE.sub(lambda m: repr(m.group())[1:-1], text)


def slack_escape(text: str) -> str:
    """Text people typed, in a Slack message: shown as written, never read as markup (<!channel>, <url|label>,
    &-entities), as Slack's formatting guide asks: escape &, < and >."""
    return terminal_safe(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
