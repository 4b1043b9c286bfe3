"""Bounds of numeric settings, declared on the field where the setting is defined; config enforces them.

A sign says what kind of figure it is; an upper bound keeps an absurd value (a lag of 1e12 days, 2**64 sessions)
from reaching code that would fail on it later, after writing, without naming the key."""

from __future__ import annotations

from dataclasses import field
from typing import Any


def at_most_zero(default: float, least: float | None = None) -> Any:
    """A loss threshold: config refuses a value above 0 (or below `least`, where one makes no sense)."""
    return field(default=default, metadata={"sign": "<=0", "least": least})


def at_least_zero(default: float, most: float | None = None) -> Any:
    """A count, window, age or level: config refuses a negative value (or one above `most`)."""
    return field(default=default, metadata={"sign": ">=0", "most": most})
