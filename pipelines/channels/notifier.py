"""The notifier seam: what the outbox needs from a channel. Slack (pipelines/channels/slack.py) and e-mail
(pipelines/channels/email.py) implement it; a new channel implements the same four members, renders the Message its
own way, and the outbox, lifecycle and messages stay as they are."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Protocol, runtime_checkable


@dataclass(frozen=True)
class Message:
    """One notification as the outbox holds it, for every channel: the plain text (complete on its own: its first
    line is the headline) and the Block Kit layout of the same content, which channels that speak it use."""

    text: str
    blocks: list[dict]

    @property
    def headline(self) -> str:
        return self.text.split("\n", 1)[0]


@dataclass(frozen=True)
class DeliveryFailure:
    code: str  # the channel's error code, the HTTP status, or the connection problem
    permanent: bool  # no retry can fix it: stop sending this run, say what to change
    text: str  # one line for people (secrets scrubbed)


class LookupInconclusive(RuntimeError):
    """find_posted / find_attached could not tell whether an earlier attempt arrived (raised instead of guessing)."""


@runtime_checkable
class Notifier(Protocol):
    destination: str  # where messages go, the outbox rows' key with the notification (e.g. "slack:#ai-selloff")
    can_look_up: bool  # find_posted can tell a delivered message from a lost one

    def post(self, message: Message, thread_ts: str | None, notification_id: str) -> tuple[str, str]:
        """Send one message (a reply when thread_ts is set); returns (channel, message id) as acknowledged."""

    def find_posted(
        self, notification_id: str, since: dt.datetime, thread_ts: str | None = None
    ) -> tuple[str, str] | None:
        """The message carrying this idempotency key, if an earlier attempt delivered it; raises if unsure."""

    def failure(self, exc: Exception) -> DeliveryFailure:
        """What a raised exception means: transient (retried next run) or permanent (stop, say what to change)."""


@runtime_checkable
class Attaching(Protocol):
    """Optional: a notifier that can post a file (the digest's chart) into a delivered message's thread."""

    def attach(self, content: bytes, filename: str, title: str, channel: str, thread_ts: str) -> str:
        """Upload one file into the thread; returns the file's id as acknowledged."""

    def find_attached(self, filename: str, channel: str, thread_ts: str) -> str | None:
        """The id of a file of this name already in the thread (an earlier attempt got through); raises if unsure."""
