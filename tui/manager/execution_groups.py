"""Execution groups: one workflow run on every deployment of a deployment group, at
most `concurrency` of them at once.

Follows the real `ExecutionGroups` / `ExecutionGroupsId` and `ExecutionGroup` (7.0.4):

- Starting stores the group first (and keeps it whatever happens next), then one
  execution per member deployment with the default parameters updated by that
  deployment's own. A member without the workflow gets none: the group logs
  "Workflow X does not exist in the deployment D" instead. The first `concurrency`
  executions are admitted as `POST /executions` with `queue` admits them (queued behind
  what runs on their deployment, or while a system workflow runs); the rest are
  queued. A member whose parameters do not validate, or whose workflow is unavailable
  where it would start now, refuses the request with that error and leaves the group
  with no executions at all.
- The queue starts a group's queued members as others end, never more than
  `concurrency` running (see `queue.py`).
- The status is computed from the members' statuses (`group_status`).
- cancel / force-cancel / kill set queued members to `cancelled` directly and cancel
  the others that have not ended, as one cancel of them all: a member that may not be
  cancelled so refuses the rest, and a group with none left is a 404.
- PATCH sets a new concurrency (a group paused at 0 starts what it may at once).
- resume / force-resume make failed and cancelled members `pending` again and admit
  them as a start does (the real code sets an attribute that does not exist instead of
  `resume`, so they run from the start and show `resume: false`).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

from tui.manager import executions as execs
from tui.manager.admission import (
    StartRequest,
    admission_status,
    is_unavailable,
    merged_parameters,
)
from tui.manager.columns import loads
from tui.manager.deployment_groups import get_group as get_deployment_group
from tui.manager.errors import (
    BadParameters,
    IllegalAction,
    NonexistentWorkflow,
    NotFound,
    StorageError,
    UnavailableWorkflow,
)
from tui.manager.functions import Evaluator
from tui.manager.group_events import group_event
from tui.manager.queue import dequeue
from tui.manager.runner import Runner
from tui.manager.services import Services
from tui.manager.statuses import END_STATES, WAITING_STATES
from tui.manager.store import Store, marks
from tui.manager.tables import EXECUTION_GROUPS

VALID_ACTIONS = ["cancel", "force-cancel", "kill", "resume", "force-resume"]
DEFAULT_CONCURRENCY = 5


def get_group(store: Store, tenants: list[str], group_id: str) -> sqlite3.Row:
    row = store.one(
        f"SELECT * FROM execution_groups WHERE id = ? AND tenant IN ({marks(tenants)})",
        (group_id, *tenants),
    )
    if row is None:
        raise NotFound(f"Requested `ExecutionGroup` with ID `{group_id}` was not found")
    return row


def group_status(statuses: set[str]) -> str | None:
    """The real `ExecutionGroup.status`: pending when every member is, queued when each
    waits or is pending, failed / terminated when all ended (failed if any failed),
    started otherwise; null without members."""
    if not statuses:
        return None
    if statuses == {"pending"}:
        return "pending"
    if statuses <= {*WAITING_STATES, "pending"}:
        return "queued"
    if statuses <= set(END_STATES):
        return "failed" if "failed" in statuses else "terminated"
    return "started"


def render_groups(
    store: Store, rows: Sequence[sqlite3.Row], include: set[str] | None, *, data: bool
) -> list[dict[str, Any]]:
    """Groups as the API shows them; `execution_ids` and `status` are null unless
    `data` (a single group, or a list with `_get_data`), as on the real manager."""
    render = EXECUTION_GROUPS.renderer(include)
    if not data:
        return [render(r, execution_ids=None, status=None) for r in rows]
    pks = [r["pk"] for r in rows]
    ids: dict[int, list[str]] = {pk: [] for pk in pks}
    states: dict[int, set[str]] = {pk: set() for pk in pks}
    for start in range(0, len(pks), 500):
        chunk = pks[start : start + 500]
        for row in store.all(
            "SELECT m.group_pk, e.id, e.status FROM execution_group_members m JOIN executions e "
            f"ON e.id = m.execution_id WHERE m.group_pk IN ({marks(chunk)}) "
            "ORDER BY m.group_pk, m.rowid",
            chunk,
        ):
            ids[row["group_pk"]].append(row["id"])
            states[row["group_pk"]].add(row["status"])
    return [
        render(r, execution_ids=ids[r["pk"]], status=group_status(states[r["pk"]])) for r in rows
    ]


def _concurrency(body: dict[str, Any]) -> int:
    value = body.get("concurrency", DEFAULT_CONCURRENCY)
    if isinstance(value, bool):  # an int to the real check, refused by PostgreSQL
        raise StorageError(
            'SQL Storage error: column "concurrency" is of type integer but expression is '
            "of type boolean"
        )
    if not isinstance(value, int) or value < 0:
        raise BadParameters(f"concurrency must be a nonnegative number, but got: {value}")
    return value


def _dict_of(body: dict[str, Any], name: str) -> dict[str, Any]:
    value = body.get(name) or {}
    if not isinstance(value, dict):
        raise BadParameters(f"{name} must be a dict")
    return value


def start_group(
    services: Services, runner: Runner, tenant: str, username: str, body: dict[str, Any]
) -> sqlite3.Row:
    """`POST /execution-groups` (see the module)."""
    for key in ("deployment_group_id", "workflow_id"):
        if key not in body:
            raise BadParameters(f"Missing {key} in json request body")
    if body.get("associated_executions"):
        raise BadParameters("Restoring execution groups is not supported by this manager")
    defaults = _dict_of(body, "default_parameters")
    per_deployment = _dict_of(body, "parameters")
    force = bool(body.get("force") or False)
    concurrency = _concurrency(body)
    store = services.store
    dep_group = get_deployment_group(store, tenant, body["deployment_group_id"])
    group_id = body.get("id") or services.new_id()
    with store.tx():
        store.insert(
            "execution_groups",
            {
                "created_at": services.clock.stamp(),
                "id": group_id,
                "visibility": dep_group["visibility"],
                "workflow_id": body["workflow_id"],
                "concurrency": concurrency,
                "deployment_group_id": dep_group["id"],
                "tenant": tenant,
                "created_by": username,
            },
        )
    group = get_group(store, [tenant], group_id)
    members = store.all(
        "SELECT d.* FROM deployment_group_members m JOIN deployments_v d "
        "ON d.pk = m.deployment_pk WHERE m.group_pk = ? ORDER BY d.created_at, d.pk",
        (dep_group["pk"],),
    )
    with store.tx():
        made = [
            _member(services, group, dep, defaults, per_deployment.get(dep["id"]), username)
            for dep in members
        ]
        ids = [exec_id for exec_id in made if exec_id is not None]
        launch = admit(services, group, ids, force=force, check_available=True)
    for exec_id in launch:
        runner.launch(exec_id)
    return group


def _member(
    services: Services,
    group: sqlite3.Row,
    dep: sqlite3.Row,
    defaults: dict[str, Any],
    own: Any,
    username: str,
) -> str | None:
    """The (pending) execution of one member, or None and a log when the deployment
    has no such workflow."""
    parameters = {**defaults, **(own if isinstance(own, dict) else {})}
    start = StartRequest(
        dep["id"], group["workflow_id"], parameters, False, False, False, True, 600
    )
    evaluator = Evaluator(services, group["tenant"], dep, username)
    workflows = loads(dep["workflows"], {})
    try:
        merged = merged_parameters(services, dep, workflows, start, evaluator)
    except NonexistentWorkflow as exc:
        group_event(services, group, exc.message, log=True)
        return None
    exec_id = execs.insert_execution(
        services,
        tenant=group["tenant"],
        deployment=dep,
        workflow_id=group["workflow_id"],
        status="pending",
        parameters=merged,
        created_by=username,
    )
    services.store.executemany(
        "INSERT INTO secret_parameters (execution_id, name) VALUES (?, ?)",
        [(exec_id, name) for name in sorted(evaluator.secret_parameters)],
    )
    services.store.execute(
        "INSERT INTO execution_group_members (group_pk, execution_id) VALUES (?, ?)",
        (group["pk"], exec_id),
    )
    return exec_id


def admit(
    services: Services,
    group: sqlite3.Row,
    ids: list[str],
    *,
    force: bool = False,
    check_available: bool,
) -> list[str]:
    """The real `ExecutionGroup.start_executions` for `ids` (now pending, in order):
    beyond `concurrency` they are queued, the others admitted with `queue`; the ids
    to launch."""
    store = services.store
    head, tail = ids[: group["concurrency"]], ids[group["concurrency"] :]
    launch = []
    for exec_id in head:
        row = store.one("SELECT * FROM executions WHERE id = ?", (exec_id,))
        status = admission_status(
            services, row["tenant"], row["deployment_id"], force=force, queue=True, exclude=exec_id
        )
        if status == "pending" and check_available:
            dep = store.one(
                "SELECT * FROM deployments_v WHERE tenant = ? AND id = ?",
                (row["tenant"], row["deployment_id"]),
            )
            workflows = loads(dep["workflows"], {})
            if is_unavailable(services, dep, workflows, row["workflow_id"]):
                raise UnavailableWorkflow(f"Workflow not available: {row['workflow_id']}")
        if status == "pending":
            launch.append(exec_id)
        else:
            store.execute("UPDATE executions SET status = 'queued' WHERE id = ?", (exec_id,))
    store.executemany("UPDATE executions SET status = 'queued' WHERE id = ?", [(i,) for i in tail])
    return launch


def group_action(
    services: Services, runner: Runner, tenants: list[str], group_id: str, body: dict[str, Any]
) -> sqlite3.Row:
    """`POST /execution-groups/<id>` (see the module)."""
    action = execs.action_of(body, VALID_ACTIONS)
    group = get_group(services.store, tenants, group_id)
    members = services.store.all(
        "SELECT e.* FROM execution_group_members m JOIN executions e ON e.id = m.execution_id "
        "WHERE m.group_pk = ? ORDER BY m.rowid",
        (group["pk"],),
    )
    if action in ("resume", "force-resume"):
        _resume(services, runner, group, members)
    else:
        _cancel(services, runner, members, action)
    return group


def _cancel(services: Services, runner: Runner, members: list[sqlite3.Row], action: str) -> None:
    queued = [m["id"] for m in members if m["status"] == "queued"]
    with services.store.tx():
        services.store.executemany(
            "UPDATE executions SET status = 'cancelled' WHERE id = ?", [(i,) for i in queued]
        )
    others = [m for m in members if m["status"] not in ("queued", *END_STATES)]
    if not others:
        raise NotFound("Requested `Execution` [] was not found")
    allowed = {
        "cancel": ("pending", "started", "scheduled"),
        "force-cancel": ("pending", "started", "scheduled", "cancelling"),
    }
    for member in others:
        if action != "kill" and member["status"] not in allowed[action]:
            prefix = "force-" if action == "force-cancel" else ""
            raise IllegalAction(
                f"Can't {prefix}cancel execution {member['id']} because it's in status "
                f"{member['status']}"
            )
    status = {"cancel": "cancelling", "force-cancel": "force_cancelling"}.get(
        action, "kill_cancelling"
    )
    for member in others:
        execs.set_status(services, runner, member["id"], status, error="")
        if action == "cancel":
            runner.request_cancel(member["id"])
        else:
            runner.stop_now(member["id"])


def _resume(
    services: Services, runner: Runner, group: sqlite3.Row, members: list[sqlite3.Row]
) -> None:
    store = services.store
    with store.tx():
        ids = [m["id"] for m in members if m["status"] in ("failed", "cancelled")]
        store.executemany(
            "UPDATE executions SET status = 'pending', ended_at = NULL WHERE id = ?",
            [(i,) for i in ids],
        )
        # The real manager admits every pending member again; here only the resumed
        # ones (the others were admitted when they became pending).
        launch = admit(services, group, ids, check_available=True)
    for exec_id in launch:
        runner.launch(exec_id)


def update_group(
    services: Services, runner: Runner, tenants: list[str], group_id: str, body: dict[str, Any]
) -> sqlite3.Row:
    """`PATCH /execution-groups/<id>`: a new `concurrency`; a paused group (0) that may
    run again starts what it may at once. Target groups for the members that succeed
    or fail are not kept here."""
    if body.get("success_group_id") or body.get("failure_group_id"):
        raise BadParameters("Success and failure groups are not supported by this manager")
    group = get_group(services.store, tenants, group_id)
    if body.get("concurrency") is None:
        return group
    concurrency = _concurrency(body)
    with services.store.tx():
        services.store.execute(
            "UPDATE execution_groups SET concurrency = ? WHERE pk = ?", (concurrency, group["pk"])
        )
    if group["concurrency"] == 0 and concurrency > 0:
        dequeue(services, runner)
    return get_group(services.store, tenants, group_id)
