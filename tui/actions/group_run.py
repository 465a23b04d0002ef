"""A group run: start one workflow on many deployments as the manager's own deployment
group and execution group, and act on the whole group (cancel, force-cancel, kill,
resume, force-resume), each checked against the members' states first.

Starting is two requests: `PUT /deployment-groups/<name>` makes the named group hold
exactly the members the preflight kept (a group of that name is reused, its members
replaced), then `POST /execution-groups` runs the workflow on it. Nothing is resent.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from tui.actions.outcomes import Refused, Unchecked, Unknown
from tui.api import groups
from tui.api.client import ManagerClient, every_page
from tui.api.errors import ApiError, ManagerError, NotFound, TransportError
from tui.api.models import END_STATES, ExecutionGroup

GroupAction = Literal["cancel", "force-cancel", "kill", "resume", "force-resume"]
RESUMABLE = frozenset({"failed", "cancelled"})


@dataclass(frozen=True)
class GroupStart:
    """What the preflight settled: the group's name, its members, the run."""

    name: str
    deployment_ids: Sequence[str]
    workflow_id: str
    parameters: dict[str, Any]
    concurrency: int
    force: bool


@dataclass(frozen=True)
class GroupStarted:
    group: ExecutionGroup


@dataclass(frozen=True)
class StepFailed:
    """The deployment group could not be written (nothing ran), or the execution group
    was refused (`Refused`) or its answer lost (`Unknown`: it may run)."""

    step: Literal["deployment group", "execution group"]
    outcome: Refused | Unknown


GroupStartOutcome = GroupStarted | StepFailed


async def start_group(client: ManagerClient, start: GroupStart) -> GroupStartOutcome:
    description = f"cfy-tui: {start.workflow_id} on {len(start.deployment_ids)} deployments"
    try:
        await groups.put_deployment_group(
            client, start.name, list(start.deployment_ids), description=description
        )
    except ManagerError as error:
        return StepFailed("deployment group", Refused(error.message))
    except TransportError as error:
        return StepFailed("deployment group", Unknown(error.message))
    try:
        group = await groups.start_execution_group(
            client,
            start.name,
            start.workflow_id,
            parameters=start.parameters,
            concurrency=start.concurrency,
            force=start.force,
        )
    except ManagerError as error:
        return StepFailed("execution group", Refused(error.message))
    except TransportError as error:
        return StepFailed("execution group", Unknown(error.message))
    return GroupStarted(group)


async def members_of_deployment_group(client: ManagerClient, name: str) -> int | None:
    """How many deployments the deployment group `name` holds now; None when there is
    no such group (a start makes it)."""
    try:
        existing = await groups.get_deployment_group(client, name)
    except NotFound:
        return None
    return len(existing.deployment_ids)


@dataclass(frozen=True)
class Acted:
    """The manager took the request. `queued_only`: a cancel found nothing running; the
    manager set the queued members `cancelled` and answered 404 for the empty rest."""

    action: GroupAction
    queued_only: bool = False


@dataclass(frozen=True)
class NothingTo:
    """Nothing was sent: no member is in a state the action applies to."""

    action: GroupAction
    statuses: frozenset[str]


GroupActionOutcome = Acted | NothingTo | Unchecked | Refused | Unknown


async def member_statuses(client: ManagerClient, group_id: str) -> frozenset[str]:
    """The statuses the group's members are in now (one request per 1,000 members)."""
    members = await every_page(
        lambda offset: client.list_executions(
            group_id=group_id, include=("id", "status"), size=1000, offset=offset
        )
    )
    return frozenset(e.status for e in members)


def applies(action: GroupAction, statuses: frozenset[str]) -> bool:
    """Whether any member is in a state the action changes."""
    if action in ("resume", "force-resume"):
        return bool(statuses & RESUMABLE)
    return bool(statuses - END_STATES)


async def act(client: ManagerClient, group_id: str, action: GroupAction) -> GroupActionOutcome:
    """Read the members now (they may have ended since the user looked), then send
    `action` only when it still applies to one of them."""
    try:
        statuses = await member_statuses(client, group_id)
    except ApiError as error:
        return Unchecked(error.message)
    if not applies(action, statuses):
        return NothingTo(action, statuses)
    try:
        await groups.execution_group_action(client, group_id, action)
    except NotFound as error:
        if action in ("cancel", "force-cancel", "kill") and "`ExecutionGroup`" not in str(
            error.message
        ):
            return Acted(action, queued_only=True)
        return Refused(error.message)
    except ManagerError as error:
        return Refused(error.message)
    except TransportError as error:
        return Unknown(error.message)
    return Acted(action)
