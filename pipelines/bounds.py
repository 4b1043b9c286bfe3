"""The base of every monitor.toml block (pydantic): unknown keys, values of the wrong type (no coercion: "ten" is not
10, true is not 1) and NaN/inf are refused; bounds are declared on the field where the setting is defined.

A sign says what kind of figure it is; an upper bound keeps an absurd value (a lag of 1e12 days, 2**64 sessions)
from reaching code that would fail on it later, after writing, without naming the key. pipelines/config.py turns
pydantic's errors into one line that names the key."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class Block(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)

    def replace(self, **changes) -> Any:
        """A validated copy with these fields changed (dataclasses.replace for a block)."""
        return type(self).model_validate({**dict(self), **changes})


def at_most_zero(default: float, least: float | None = None) -> Any:
    """A loss threshold: config refuses a value above 0 (or below `least`, where one makes no sense)."""
    return Field(default, le=0, ge=least)


def at_least_zero(default: float, most: float | None = None) -> Any:
    """A count, window, age or level: config refuses a negative value (or one above `most`)."""
    return Field(default, ge=0, le=most)
