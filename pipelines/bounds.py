"""Sign bounds of numeric settings, declared on the field where the setting is defined; config enforces them."""

from __future__ import annotations

from dataclasses import field
from typing import Any


def at_most_zero(default: float) -> Any:
    """A loss threshold: config refuses a value above 0."""
    return field(default=default, metadata={"sign": "<=0"})


def at_least_zero(default: float) -> Any:
    """A count, window, age or level: config refuses a negative value."""
    return field(default=default, metadata={"sign": ">=0"})
