"""Cancelling, force-cancelling and killing an execution, checked first."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from tui.api.client import ManagerClient
from tui.api.errors import ApiError, ManagerError, NotFound, TransportError
from tui.api.models import STOPPING_STATES, Execution

CancelAction = Literal["cancel", "force-cancel", "kill"]


@dataclass(frozen=True)
class Requested:
    """The manager took the request; `execution` as it answered (a transitional state
    such as `cancelling`, or already `cancelled`)."""

    execution: Execution


@dataclass(frozen=True)
class NotSent:
    """Nothing was sent: `reason` is `gone` (no longer exists), `ended` (ended
    meanwhile, `status` says how) or `stopping` (a cancel already at work)."""

    reason: Literal["gone", "ended", "stopping"]
    status: str = ""


@dataclass(frozen=True)
class Unchecked:
    """The execution could not be read before sending: nothing was sent."""

    error: str


@dataclass(frozen=True)
class Refused:
    """The manager said no; its message, unsanitised."""

    message: str


@dataclass(frozen=True)
class Unknown:
    """No answer to the request; cancelling is safe to repeat."""

    error: str


CancelOutcome = Requested | NotSent | Unchecked | Refused | Unknown


async def cancel(client: ManagerClient, execution_id: str, action: CancelAction) -> CancelOutcome:
    """Read the execution now (it may have ended or gone since the user saw it), then
    send `action` only when it still means something."""
    try:
        current = await client.get_execution(execution_id)
    except NotFound:
        return NotSent("gone")
    except ApiError as error:
        return Unchecked(error.message)
    if current.is_ended:
        return NotSent("ended", current.status)
    if action == "cancel" and current.status in STOPPING_STATES:
        # A manager refuses a second cancel (400 illegal_action_error): a repeat after
        # a lost answer finds the first one at work, which is what it wanted.
        return NotSent("stopping", current.status)
    try:
        answer = await client.cancel_execution(execution_id, action)
    except ManagerError as error:
        return Refused(error.message)
    except TransportError as error:
        return Unknown(error.message)
    return Requested(answer)
