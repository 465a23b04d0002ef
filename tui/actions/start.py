"""Starting an execution, and finding out what happened when the answer was lost."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, replace
from typing import Any

from tui.actions.outcomes import Refused
from tui.api.client import ManagerClient
from tui.api.errors import ApiError, ManagerError, RunningExecutionConflict, TransportError
from tui.api.models import Execution

# How many of the newest executions of a deployment's workflow a lost start's answer
# is looked for among (listed before and after the request).
RECONCILE_WINDOW = 50


@dataclass(frozen=True)
class StartRequest:
    """What the start form produced: exactly what is sent."""

    deployment_id: str
    workflow_id: str
    parameters: dict[str, Any]
    force: bool = False
    dry_run: bool = False
    queue: bool = False
    allow_custom: bool = False

    def forced(self) -> StartRequest:
        """The same start, run beside what is running (the conflict's "Force start")."""
        return replace(self, force=True, queue=False)

    def queued(self) -> StartRequest:
        """The same start, queued behind what is running (the conflict's "Queue it")."""
        return replace(self, queue=True, force=False, dry_run=False)


@dataclass(frozen=True)
class Started:
    """The manager created the execution (`pending`, or `queued`)."""

    execution: Execution


@dataclass(frozen=True)
class Conflict:
    """Another execution runs on the deployment (`existing_running_execution_error`)."""

    blocking_ids: tuple[str, ...]
    message: str


@dataclass(frozen=True)
class Unknown:
    """No answer to the request. `checked`: the manager could be asked afterwards;
    `found`: the execution the request created, when one appeared; `others`: more
    new executions of the same workflow that appeared meanwhile (someone else's)."""

    error: str
    checked: bool
    found: Execution | None = None
    others: int = 0


StartOutcome = Started | Conflict | Refused | Unknown


async def start(
    client: ManagerClient, request: StartRequest, *, claimed: Collection[str] = ()
) -> StartOutcome:
    """Send the start once (never retried blindly). `claimed`: executions already
    accounted for (started here, or found after an earlier lost answer), never taken
    for the outcome of this request."""
    before = await _recent_ids(client, request)
    try:
        execution = await client.start_execution(
            request.deployment_id,
            request.workflow_id,
            request.parameters,
            force=request.force,
            dry_run=request.dry_run,
            queue=request.queue,
            allow_custom_parameters=request.allow_custom,
        )
    except RunningExecutionConflict as conflict:
        return Conflict(tuple(conflict.blocking_ids or ()), conflict.message)
    except ManagerError as error:
        return Refused(error.message)
    except TransportError as error:
        return await _reconcile(client, request, error.message, before, claimed)
    return Started(execution)


async def _recent_ids(client: ManagerClient, request: StartRequest) -> tuple[str, ...] | None:
    """The newest executions of this workflow on this deployment, newest first, as the
    manager lists them: what a lost start's answer is compared with (None: the manager
    could not be asked)."""
    try:
        page = await client.list_executions(
            deployment_id=request.deployment_id,
            workflow_id=request.workflow_id,
            size=RECONCILE_WINDOW,
            include=("id",),
        )
    except ApiError:
        return None
    return tuple(e.id for e in page.items)


async def _reconcile(
    client: ManagerClient,
    request: StartRequest,
    error: str,
    before: tuple[str, ...] | None,
    claimed: Collection[str],
) -> Unknown:
    """The start may or may not have happened: look. An id listed now and not before
    the request is its outcome; no clock is compared, so a client clock ahead of or
    behind the manager's changes nothing. Without `before` nothing can be told apart."""
    if before is None:
        return Unknown(error, checked=False)
    after = await _recent_ids(client, request)
    if after is None:
        return Unknown(error, checked=False)
    known = {*before, *claimed}
    new = [i for i in after if i not in known]  # newest first
    if not new:
        return Unknown(error, checked=True)
    try:
        found = await client.get_execution(new[0])
    except ApiError:
        found = Execution(new[0], deployment_id=request.deployment_id)
    return Unknown(error, checked=True, found=found, others=len(new) - 1)
