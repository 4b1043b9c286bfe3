"""Error kinds the pipeline tells apart: what a retry can fix and what it cannot.

A `PermanentError` (a malformed snapshot, a bad config, a database file that is not one, an impossible value)
fails its step at once with its cause; everything else (network, rate limits, a lock held by another writer)
is left to the retry policy.
"""


class PermanentError(Exception):
    """A retry cannot fix this: the input or the environment must change first."""


class InvalidData(PermanentError, ValueError):
    """A fact from a source that cannot be true (a split ratio of 1e-300); the message names it."""


class DatabaseError(PermanentError, RuntimeError):
    """The database file cannot be opened for a reason other than another writer's lock."""


class DatabaseLocked(RuntimeError):
    """Another process still holds the database's write lock after the wait: transient (a retry may find it free)."""
