"""Execution statuses, grouped as the real manager's `ExecutionState` groups them."""

from __future__ import annotations

END_STATES = ("terminated", "failed", "cancelled")
WAITING_STATES = ("queued", "scheduled")
ACTIVE_STATES = ("pending", "started", "cancelling", "force_cancelling", "kill_cancelling")
ALL_STATES = END_STATES + WAITING_STATES + ACTIVE_STATES
