"""Cancelling, force-cancelling and killing an execution, checked first."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from tui.actions.outcomes import NotSent, Refused, Unchecked, Unknown, read_now, send
from tui.api.client import ManagerClient
from tui.api.models import STOPPING_STATES, Execution

CancelAction = Literal["cancel", "force-cancel", "kill"]


@dataclass(frozen=True)
class Requested:
    """The manager took the request; `execution` as it answered (a transitional state
    such as `cancelling`, or already `cancelled`)."""

    execution: Execution


CancelOutcome = Requested | NotSent | Unchecked | Refused | Unknown


async def cancel(client: ManagerClient, execution_id: str, action: CancelAction) -> CancelOutcome:
    """Read the execution now (it may have ended or gone since the user saw it), then
    send `action` only when it still means something."""
    current = await read_now(client, execution_id)
    if not isinstance(current, Execution):
        return current
    if current.is_ended:
        return NotSent("ended", current.status)
    if action == "cancel" and current.status in STOPPING_STATES:
        # A manager refuses a second cancel (400 illegal_action_error): a repeat after
        # a lost answer finds the first one at work, which is what it wanted.
        return NotSent("stopping", current.status)
    answer = await send(client.cancel_execution(execution_id, action))
    return Requested(answer) if isinstance(answer, Execution) else answer
