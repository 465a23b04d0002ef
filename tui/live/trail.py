"""Which node instances an execution touched, and where it failed, from its events.

A task event names its node instance and operation (`task_started`,
`task_succeeded`, `task_failed`, `task_rescheduled`; logs name them too). Per
instance, the last thing that happened to it in this run is kept, and the first
operation that failed there: what an operator looks at after a failed install.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from tui.api.models import Event

# What a task event says happened to its operation.
OUTCOMES = {
    "task_started": "started",
    "task_received": "started",
    "sending_task": "sent",
    "task_succeeded": "succeeded",
    "task_failed": "failed",
    "task_rescheduled": "retrying",
    "task_retrying": "retrying",
}


@dataclass(frozen=True)
class Trail:
    instance_id: str
    events: int = 0
    last_operation: str = ""
    last_outcome: str = ""  # a word of OUTCOMES, "" when only logs named it
    failed_operation: str = ""  # the first operation that failed on it
    failed_message: str = ""

    @property
    def failed(self) -> bool:
        return bool(self.failed_operation)


def operation_name(operation: str) -> str:
    """`cloudify.interfaces.lifecycle.create` -> `create` (as the CLI shows it)."""
    return operation.rsplit(".", 1)[-1] if operation else ""


def trails(events: Iterable[Event]) -> dict[str, Trail]:
    """instance id -> its trail, in the order the instances first appear."""
    found: dict[str, Trail] = {}
    for event in events:
        instance = event.node_instance_id
        if not instance:
            continue
        trail = found.get(instance) or Trail(instance)
        outcome = OUTCOMES.get(event.event_type, "")
        operation = event.operation or trail.last_operation
        failed_op, failed_message = trail.failed_operation, trail.failed_message
        if outcome == "failed" and not failed_op:
            failed_op, failed_message = operation or "?", event.message
        found[instance] = Trail(
            instance_id=instance,
            events=trail.events + 1,
            last_operation=operation,
            last_outcome=outcome or trail.last_outcome,
            failed_operation=failed_op,
            failed_message=failed_message,
        )
    return found
