"""What the execution rules need from whatever runs executions.

The engine records every status change through `executions.set_status`, and those
rules in turn start, cancel and stop runs: the engine is handed to them as a `Runner`
(by the HTTP handlers, the engine itself and start-up recovery) instead of being
imported or reached through a shared slot.
"""

from __future__ import annotations

from typing import Protocol


class Runner(Protocol):
    def launch(self, exec_id: str, resume: bool = False) -> None:
        """Run `exec_id`, now `pending`, from its start (or, resuming, from where it stopped)."""

    def request_cancel(self, exec_id: str) -> None:
        """A graceful cancel was asked: the run stops at its next task boundary."""

    def stop_now(self, exec_id: str) -> None:
        """Force-cancel or kill: abandon the running operation."""

    def status_patched(self, exec_id: str, status: str) -> None:
        """A worker-style status update was stored: the run follows it."""
