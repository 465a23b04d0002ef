"""Exponential backoff for a manager that does not answer.

A manager that is down or restarting should not be hammered by every open terminal,
yet a short blip should be noticed quickly: 1, 2, 4, 8, ... seconds, capped, and the
first success forgets it all.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Backoff:
    first: float = 1.0
    cap: float = 30.0
    failures: int = 0

    def fail(self) -> float:
        """Count one more consecutive failure; the delay before the next try."""
        self.failures += 1
        return self.delay

    @property
    def delay(self) -> float:
        """The wait after the current run of failures (0 when there is none)."""
        if self.failures == 0:
            return 0.0
        # min() on the exponent first: 2 ** 10_000 must not be computed after a long outage.
        return min(self.cap, self.first * 2 ** min(self.failures - 1, 64))

    def reset(self) -> None:
        self.failures = 0
