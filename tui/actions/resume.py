"""Resuming a failed or cancelled execution, checked first."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from tui.api.client import ManagerClient
from tui.api.errors import ApiError, ManagerError, NotFound, TransportError
from tui.api.models import Execution

# The states a manager resumes from: force-resume only these; plain resume also
# `started` (a re-send after a worker restart, which an operator does not ask for).
RESUMABLE = frozenset({"failed", "cancelled"})


@dataclass(frozen=True)
class Resumed:
    """The manager took the request: the execution is `pending` again."""

    execution: Execution


@dataclass(frozen=True)
class NotSent:
    """Nothing was sent: `gone` (no longer exists) or `not_resumable` (its `status`
    is not one a manager resumes from, e.g. it was resumed meanwhile)."""

    reason: Literal["gone", "not_resumable"]
    status: str = ""


@dataclass(frozen=True)
class Unchecked:
    """The execution could not be read before sending: nothing was sent."""

    error: str


@dataclass(frozen=True)
class Refused:
    """The manager said no (a 409 `conflict_error` for a wrong state, for one)."""

    message: str


@dataclass(frozen=True)
class Unknown:
    """No answer to the request: look at the execution before repeating it."""

    error: str


ResumeOutcome = Resumed | NotSent | Unchecked | Refused | Unknown


async def resume(client: ManagerClient, execution_id: str, *, force: bool) -> ResumeOutcome:
    """Read the execution now, then resume (or force-resume) it only from a state the
    manager resumes from."""
    try:
        current = await client.get_execution(execution_id)
    except NotFound:
        return NotSent("gone")
    except ApiError as error:
        return Unchecked(error.message)
    if current.status not in RESUMABLE:
        return NotSent("not_resumable", current.status)
    try:
        answer = await client.resume_execution(execution_id, force=force)
    except ManagerError as error:
        return Refused(error.message)
    except TransportError as error:
        return Unknown(error.message)
    return Resumed(answer)
