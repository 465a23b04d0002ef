"""What a group start would do to each marked deployment, before anything is sent.

A group start is `PUT /deployment-groups/<id>` with the members, then
`POST /execution-groups`, and the manager takes that request whole or not at all
(Cloudify 7.0.4, `ExecutionGroup.start_executions`): one member whose parameters do
not validate, or whose workflow is unavailable where it would start now, refuses it,
and nothing runs anywhere; a member that does not declare the workflow gets no
execution, only a log line on the group. The first `concurrency` members are admitted
as `POST /executions` with `queue` admits one (queued behind what runs on their
deployment, or while a system workflow runs); the others are queued and start as
others end.

So the preflight reads the marked deployments and what runs on them (`read_members`),
says per deployment what the manager would do (`plan`), and the group holds only the
members it would take (`Plan.members`): one refused deployment no longer stops the
other hundred.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from tui.api.client import ManagerClient, every_page
from tui.api.models import ACTIVE_STATES, UNFINISHED_STATES, Deployment, Execution
from tui.api.params import ParameterProblems, validate

# Ids per deployments request: 100 ids keep the query string a few KB long, well
# inside what proxies in front of a manager accept.
CHUNK = 100
# `created_at`: the manager makes a group's executions in the order its deployments
# were created (the embedded one by construction; the real 7.0.4 was seen to), so
# that order says which members take the first `concurrency` places.
MEMBER_FIELDS = ("id", "display_name", "blueprint_id", "workflows", "created_at")
BLOCKER_FIELDS = (
    "id",
    "deployment_id",
    "workflow_id",
    "status",
    "created_at",
    "is_system_workflow",
)
# The manager's largest page: one request holds every unfinished execution of a tenant
# but a very busy one.
BLOCKER_PAGE = 1000
# UNFINISHED_STATES in a fixed order: the same query string every time.
UNFINISHED_ORDER = tuple(sorted(UNFINISHED_STATES))
# What a new execution waits for (`check_for_executions`, 7.0.4): anything active or
# queued before it. A `scheduled` execution waits for its time and blocks nothing.
BLOCKING_STATES = ACTIVE_STATES | {"queued"}
# The plugin of the workflows every blueprint gets from `cloudify/types/types.yaml`.
BUILT_IN_PLUGIN = "default_workflows"
GROUP_PREFIX = "cfy-tui"
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")


class Verdict(StrEnum):
    """What the manager would do with one marked deployment."""

    NOW = "now"  # starts at once
    LATER = "later"  # beyond the concurrency: starts as others end
    QUEUE = "queue"  # queued behind a running execution on its deployment (or a system one)
    REFUSED = "refused"  # left out: it would refuse the whole group, or get no execution
    DROPPED = "dropped"  # left out by the operator


# The verdicts whose deployments go into the deployment group.
STARTING = (Verdict.NOW, Verdict.LATER, Verdict.QUEUE)


@dataclass(frozen=True)
class Members:
    """The marked deployments as read for the preflight."""

    deployments: dict[str, Deployment]  # id -> deployment with its workflows, marked order
    # deployment id -> its oldest unfinished execution (active or queued: a scheduled
    # one blocks nothing)
    blocking: dict[str, Execution]
    system: Execution | None  # a running/queued system workflow (queues every start)
    missing: tuple[str, ...]  # marked ids the manager no longer has


async def read_members(client: ManagerClient, ids: Sequence[str]) -> Members:
    """The marked deployments with their workflows, and what runs on them, in
    ceil(N/100) + 1 requests however many deployments the tenant has: the deployments
    by id, 100 at a time, then the tenant's unfinished executions at once (one request
    up to 1,000 of them)."""
    wanted = list(dict.fromkeys(ids))
    if not wanted:
        return Members(deployments={}, blocking={}, system=None, missing=())
    found: dict[str, Deployment] = {}
    for start in range(0, len(wanted), CHUNK):
        found.update(await _read_chunk(client, wanted[start : start + CHUNK]))
    blocking, system = _blockers(await _unfinished(client), found)
    return Members(
        deployments={dep_id: found[dep_id] for dep_id in wanted if dep_id in found},
        blocking=blocking,
        system=system,
        missing=tuple(dep_id for dep_id in wanted if dep_id not in found),
    )


async def _read_chunk(client: ManagerClient, chunk: list[str]) -> dict[str, Deployment]:
    """One request for up to CHUNK deployments. `_get_data`: the current master
    renders a list's `workflows` only with it."""
    page = await client.list_deployments(
        ids=chunk,
        size=len(chunk),
        include=MEMBER_FIELDS,
        sort=("id",),
        get_data=True,
    )
    asked = set(chunk)  # a manager that ignored the filter lists others too
    return {dep.id: dep for dep in page.items if dep.id in asked}


async def _unfinished(client: ManagerClient) -> list[Execution]:
    """The tenant's unfinished executions, system ones included, oldest first. More
    than one page only when more than BLOCKER_PAGE of them wait: a deployment whose
    only blocker is beyond the first page would otherwise look free."""
    return await every_page(
        lambda offset: client.list_executions(
            statuses=UNFINISHED_ORDER,
            include=BLOCKER_FIELDS,
            include_system=True,
            size=BLOCKER_PAGE,
            offset=offset,
            sort=("created_at",),
        )
    )


def _blockers(
    executions: Iterable[Execution], deployments: dict[str, Deployment]
) -> tuple[dict[str, Execution], Execution | None]:
    """The oldest blocking execution of each marked deployment, and the oldest system
    workflow. Like the manager (`_active_system_wide_execution_filter`), any system
    execution active or queued counts, whatever deployment it names."""
    blocking: dict[str, Execution] = {}
    system: Execution | None = None
    for execution in executions:  # oldest first
        if execution.status not in BLOCKING_STATES:
            continue
        if execution.is_system_workflow and system is None:
            system = execution
        if execution.deployment_id in deployments:
            blocking.setdefault(execution.deployment_id, execution)
    return blocking, system


@dataclass(frozen=True)
class WorkflowChoice:
    """A workflow the operator may start on the marked deployments."""

    name: str
    count: int  # how many marked deployments declare it
    total: int  # how many marked deployments were read
    custom: bool  # plugin is not "default_workflows" (listed first elsewhere in the app)


def declared_workflows(members: Members) -> list[WorkflowChoice]:
    """Every workflow declared by at least one marked deployment: the most declared
    first (what runs everywhere is what a group is for), then the blueprints' own
    before the built-in ones, then by name. A workflow is custom where any
    deployment's blueprint gives it its own plugin."""
    counts: dict[str, int] = {}
    custom: dict[str, bool] = {}
    for dep in members.deployments.values():
        for workflow in dep.workflows:
            counts[workflow.name] = counts.get(workflow.name, 0) + 1
            own = workflow.plugin != BUILT_IN_PLUGIN
            custom[workflow.name] = custom.get(workflow.name, False) or own
    total = len(members.deployments)
    choices = [WorkflowChoice(name, n, total, custom[name]) for name, n in counts.items()]
    return sorted(choices, key=lambda c: (-c.count, not c.custom, c.name))


@dataclass(frozen=True)
class Row:
    """One marked deployment's verdict, with why in plain words."""

    deployment_id: str
    verdict: Verdict
    reason: str
    blocking: Execution | None = None


@dataclass(frozen=True)
class Plan:
    """What a group start would do, one row per marked deployment in marked order."""

    workflow_id: str
    parameters: dict[str, Any]
    concurrency: int
    force: bool
    rows: tuple[Row, ...]

    @property
    def counts(self) -> dict[Verdict, int]:
        """How many rows have each verdict; every verdict is a key."""
        counts = dict.fromkeys(Verdict, 0)
        for row in self.rows:
            counts[row.verdict] += 1
        return counts

    @property
    def members(self) -> tuple[str, ...]:
        """The ids to put in the deployment group: what the manager would take."""
        return tuple(row.deployment_id for row in self.rows if row.verdict in STARTING)

    @property
    def summary(self) -> str:
        """One line for the confirmation, e.g. "start upgrade on 48 deployments: 20 now,
        25 later, 3 queue; 2 refused and left out"; parts with nothing are left out."""
        counts = self.counts
        refused, dropped = counts[Verdict.REFUSED], counts[Verdict.DROPPED]
        starting = sum(counts[v] for v in STARTING)
        if not starting:
            left = [f"{n} {v}" for v, n in counts.items() if n]  # refused, dropped
            return "nothing to start" + (": " + ", ".join(left) if left else "")
        noun = "deployment" if starting == 1 else "deployments"
        started = ", ".join(f"{counts[v]} {v}" for v in STARTING if counts[v])
        text = f"start {self.workflow_id} on {starting} {noun}: {started}"
        if refused:
            text += f"; {refused} refused and left out"
        if dropped:
            text += f"; {dropped} dropped"
        return text


def plan(
    members: Members,
    order: Sequence[str],
    workflow_id: str,
    parameters: dict[str, Any],
    *,
    concurrency: int,
    force: bool,
    dropped: frozenset[str] = frozenset(),
) -> Plan:
    """The verdict of each id of `order` (each id once, rows in that order), as the
    manager would decide: refusals first (a refused row stays refused even when
    dropped), then the accepted ones in the manager's order (`admission_order`), the
    first `concurrency` of them admitted now."""
    if concurrency < 0:
        raise ValueError(f"concurrency must be 0 or more, not {concurrency}")
    verdicts: dict[str, Row | None] = {}
    for dep_id in dict.fromkeys(order):
        refusal = _refusal(members, dep_id, workflow_id, parameters)
        if refusal:
            verdicts[dep_id] = Row(dep_id, Verdict.REFUSED, refusal)
        elif dep_id in dropped:
            verdicts[dep_id] = Row(dep_id, Verdict.DROPPED, "left out by you")
        else:
            verdicts[dep_id] = None
    accepted = [dep_id for dep_id, row in verdicts.items() if row is None]
    for index, dep_id in enumerate(admission_order(members, accepted)):
        verdicts[dep_id] = _admitted(members, dep_id, index, concurrency, force)
    rows = tuple(row for row in verdicts.values() if row is not None)
    return Plan(workflow_id, dict(parameters), concurrency, force, rows)


def admission_order(members: Members, ids: Sequence[str]) -> list[str]:
    """The ids in the order the manager makes the group's executions: by the
    deployments' creation (then id); ids without a creation time keep their order,
    after the others."""
    position = {dep_id: index for index, dep_id in enumerate(ids)}

    def key(dep_id: str) -> tuple[int, str, str, int]:
        dep = members.deployments.get(dep_id)
        created = dep.created_at if dep is not None and dep.created_at else None
        if created is None:
            return (1, "", "", position[dep_id])
        return (0, created, dep_id, 0)

    return sorted(ids, key=key)


def _refusal(members: Members, dep_id: str, workflow_id: str, parameters: dict[str, Any]) -> str:
    """Why this deployment must be left out of the group ("" when it need not be).
    Parameters are checked against this deployment's own declaration: deployments of
    different blueprints may declare the same workflow differently."""
    dep = members.deployments.get(dep_id)
    if dep is None:
        return "deployment no longer exists" if dep_id in members.missing else "was not read"
    workflow = dep.workflow(workflow_id)
    if workflow is None:
        return f"does not declare {workflow_id}"
    try:
        validate(workflow, parameters)
    except ParameterProblems as problems:
        return "parameters: " + "; ".join(problems.problems)
    # Even with force: the manager makes a group's members without `force` (only the
    # running-execution check takes the group's force), so the availability check
    # (`Execution.render_message`, 7.0.4) refuses an unavailable one all the same.
    if not workflow.is_available:
        return "not available: " + workflow.unavailable_reason
    return ""


def _admitted(members: Members, dep_id: str, index: int, concurrency: int, force: bool) -> Row:
    """The verdict of an accepted deployment, `index` among the accepted ones (a
    queued member takes its place among the first `concurrency`, as on the manager).
    A system workflow queues every start, forced or not (`check_for_executions`)."""
    if members.system is not None:
        return Row(
            dep_id,
            Verdict.QUEUE,
            "behind system workflow " + _named(members.system),
            members.system,
        )
    blocker = members.blocking.get(dep_id)
    if blocker is not None and not force:
        return Row(dep_id, Verdict.QUEUE, "behind " + _named(blocker), blocker)
    if concurrency == 0:
        verdict, why = Verdict.LATER, "held: concurrency 0"
    elif index < concurrency:
        verdict, why = Verdict.NOW, ""
    else:
        verdict, why = Verdict.LATER, f"starts as others end (concurrency {concurrency})"
    beside = f"forced beside {_named(blocker)}" if blocker is not None else ""
    return Row(dep_id, verdict, "; ".join(p for p in (why, beside) if p), blocker)


def _named(execution: Execution) -> str:
    """An execution as a row names it: short id, workflow and status."""
    return f"{execution.id[:8]} {execution.workflow_id} ({execution.status})"


def default_group_name(workflow_id: str, now: datetime) -> str:
    """A deployment group id that says who made it, for what and when (UTC, to the
    minute), e.g. "cfy-tui-upgrade-20261129-2013"; characters an id had better not
    carry become "-". A naive `now` is taken as UTC."""
    moment = now.astimezone(UTC) if now.tzinfo else now
    return f"{GROUP_PREFIX}-{_UNSAFE.sub('-', workflow_id)}-{moment:%Y%m%d-%H%M}"
