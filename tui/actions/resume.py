"""Resuming a failed or cancelled execution, checked first."""

from __future__ import annotations

from dataclasses import dataclass

from tui.actions.outcomes import NotSent, Refused, Unchecked, Unknown, read_now, send
from tui.api.client import ManagerClient
from tui.api.models import RESUMABLE_STATES, Execution


@dataclass(frozen=True)
class Resumed:
    """The manager took the request: the execution is `pending` again."""

    execution: Execution


ResumeOutcome = Resumed | NotSent | Unchecked | Refused | Unknown


async def resume(client: ManagerClient, execution_id: str, *, force: bool) -> ResumeOutcome:
    """Read the execution now, then resume (or force-resume) it only from a state the
    manager resumes from."""
    current = await read_now(client, execution_id)
    if not isinstance(current, Execution):
        return current
    if current.status not in RESUMABLE_STATES:
        return NotSent("not_resumable", current.status)
    answer = await send(client.resume_execution(execution_id, force=force))
    return Resumed(answer) if isinstance(answer, Execution) else answer
