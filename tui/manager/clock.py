"""Time and identifiers, injectable so that tests and seeds can freeze them."""

from __future__ import annotations

import itertools
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime


def format_timestamp(epoch: float) -> str:
    """The manager's timestamp format: UTC, milliseconds, `Z` suffix."""
    dt = datetime.fromtimestamp(epoch, tz=UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def parse_timestamp(text: str) -> float:
    """Parse an ISO timestamp (with or without zone; naive means UTC) to epoch seconds."""
    value = text.strip().replace("Z", "+00:00")
    dt = datetime.fromisoformat(value)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.timestamp()


class Clock:
    """Wall-clock time; `FrozenClock` replaces it where output must be reproducible."""

    def now(self) -> float:
        return time.time()

    def stamp(self) -> str:
        return format_timestamp(self.now())


class FrozenClock(Clock):
    """A clock that only moves when told to."""

    def __init__(self, start: float) -> None:
        self._now = start

    def now(self) -> float:
        return self._now

    def advance(self, seconds: float) -> None:
        self._now += seconds


def uuid_ids() -> Callable[[], str]:
    return lambda: str(uuid.uuid4())


def sequential_ids(seed: int = 0x3F2A0000) -> Callable[[], str]:
    """Deterministic uuid-shaped ids for reproducible tests and screenshots; the
    first eight characters differ from one id to the next, as short ids need."""
    counter = itertools.count(1)

    def next_id() -> str:
        n = next(counter)
        return f"{(seed + n * 0x1F1D) & 0xFFFFFFFF:08x}-0000-4000-8000-{n:012x}"

    return next_id
