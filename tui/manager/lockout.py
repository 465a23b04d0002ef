"""Failed-login counting and account lock-out, by the rules of a real 7.0.4 manager.

What the real one does (read in its source and checked against a running 7.0.4):

- Every wrong Basic password of an existing user adds one to that user's
  `failed_logins_counter` and stamps `last_failed_login_at`, locked or not.
- A right Basic password sets the counter back to 0, even while the account is
  locked: the lock never refuses a right password, it refuses tokens.
- The account is locked while the counter is above `failed_logins_before_account_lock`
  (default 4: the fifth failure in a row locks) and less than `account_lock_period`
  minutes have passed since the last failure. Every failure while locked moves that
  start, and once a lock has run out one more failure locks again (the counter was
  never reset). A period of -1 (the real default) or anything not above 0 never locks.

The counter lives in the `users` table, so it survives restarts as the real one's
database does. Counting always happens; only the lock itself is opt-in
(`--lock-after`), so the embedded manager without the flag behaves like a real one
with the default period of -1.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from tui.manager.clock import Clock, parse_timestamp
from tui.manager.store import Store

# The real manager ships -1 (never lock); when `--lock-after` turns the lock on and no
# period is given, this one locks for 30 minutes, the period the real rest-service's
# own security tests configure.
DEFAULT_LOCK_PERIOD_MINUTES = 30.0


@dataclass(frozen=True)
class LockPolicy:
    """`after` is the real `failed_logins_before_account_lock` (None: lock-out off);
    `period_minutes` the real `account_lock_period`."""

    after: int | None = None
    period_minutes: float = DEFAULT_LOCK_PERIOD_MINUTES

    @property
    def enabled(self) -> bool:
        return self.after is not None and self.period_minutes > 0

    def is_locked(self, user: sqlite3.Row, now: float) -> bool:
        """Whether `user` (a row of `users`) is locked at `now`."""
        if not self.enabled or self.after is None:
            return False
        last = user["last_failed_login_at"]
        if user["failed_logins_counter"] <= self.after or not last:
            return False
        return parse_timestamp(last) + self.period_minutes * 60 > now


def record_failure(store: Store, clock: Clock, username: str) -> None:
    """One more wrong password for `username`, committed before the 401 is sent."""
    store.execute(
        "UPDATE users SET failed_logins_counter = failed_logins_counter + 1, "
        "last_failed_login_at = ? WHERE username = ?",
        (clock.stamp(), username),
    )


def record_success(store: Store, user: sqlite3.Row) -> None:
    """A right password: the count starts again. Writes only when there was a count,
    so the many polls of a healthy session cost no write."""
    if user["failed_logins_counter"]:
        store.execute(
            "UPDATE users SET failed_logins_counter = 0 WHERE username = ?", (user["username"],)
        )
