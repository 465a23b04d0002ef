"""Executions: how one is stored and shown, its status transitions and their side
effects on the deployment (and on the queue), actions on it, and deleting ended ones.
Starting one is `admission.py`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Collection, Mapping
from typing import Any

from tui.manager.clock import format_timestamp, parse_timestamp
from tui.manager.columns import dumps
from tui.manager.deployments import recompute_status
from tui.manager.errors import (
    BadParameters,
    Conflict,
    IllegalAction,
    InvalidStatusUpdate,
    NotFound,
    StorageError,
)
from tui.manager.group_events import member_changed
from tui.manager.listing import Where
from tui.manager.queue import dequeue
from tui.manager.runner import Runner
from tui.manager.services import Services
from tui.manager.statuses import ACTIVE_STATES, ALL_STATES, END_STATES
from tui.manager.store import marks
from tui.manager.tables import EXECUTIONS
from tui.manager.versions import Emulation

VALID_ACTIONS = ["cancel", "force-cancel", "kill", "resume", "force-resume", "requeue"]


def render_execution(
    row: sqlite3.Row, em: Emulation, include: Collection[str] | None = None
) -> dict[str, Any]:
    """An execution with the keys of the emulated version (or those of `include`)."""
    return EXECUTIONS.render(row, em.execution_includes if include is None else include)


def get_execution(services: Services, tenants: list[str], exec_id: str) -> sqlite3.Row:
    row = services.store.one(
        f"SELECT * FROM executions WHERE id = ? AND tenant IN ({marks(tenants)})",
        (exec_id, *tenants),
    )
    if row is None:
        raise NotFound(f"Requested `Execution` with ID `{exec_id}` was not found")
    return row


def execution_row(
    services: Services,
    *,
    tenant: str,
    deployment: Mapping[str, Any] | None,
    workflow_id: str,
    status: str,
    parameters: dict[str, Any],
    created_by: str,
    allow_custom_parameters: bool = False,
    is_dry_run: bool = False,
    is_system_workflow: bool = False,
    wait_after_fail: int = 600,
    exec_id: str | None = None,
    stamp: str | None = None,
) -> dict[str, Any]:
    """The row of a new execution, before anything ran (a new id unless given)."""
    return {
        "id": exec_id or services.new_id(),
        "tenant": tenant,
        "workflow_id": workflow_id,
        "deployment_id": deployment["id"] if deployment is not None else None,
        "deployment_display_name": deployment["display_name"] if deployment is not None else None,
        "blueprint_id": deployment["blueprint_id"] if deployment is not None else None,
        "status": status,
        "error": None,  # null until a worker first updates the execution, as on the real one
        "parameters": dumps(parameters),
        "allow_custom_parameters": int(allow_custom_parameters),
        "is_dry_run": int(is_dry_run),
        "is_system_workflow": int(is_system_workflow),
        "created_at": stamp or services.clock.stamp(),
        "created_by": created_by,
        "visibility": "tenant",
        "resume": 0,
        "total_operations": 0,
        "finished_operations": 0,
        "wait_after_fail": wait_after_fail,
    }


def insert_execution(services: Services, **new: Any) -> str:
    """Store a new execution (its columns as `execution_row` takes them); its id."""
    row = execution_row(services, **new)
    services.store.insert("executions", row)
    return str(row["id"])


def set_status(
    services: Services,
    runner: Runner,
    exec_id: str,
    status: str,
    *,
    error: str | None = "",
    keep_error: bool = False,
    move_latest: bool = True,
    extra: dict[str, Any] | None = None,
) -> sqlite3.Row:
    """Change an execution's status with the real side effects on its deployment.

    Like every status update of the real workers, a change sets `error` ("" unless
    one is given, which clears an old one); `keep_error` leaves it (a resume keeps
    the old error until the execution runs again)."""
    store = services.store
    stamp = services.clock.stamp()
    with store.tx():
        row = store.one("SELECT * FROM executions WHERE id = ?", (exec_id,))
        if row is None:
            raise NotFound(f"Requested `Execution` with ID `{exec_id}` was not found")
        sets: dict[str, Any] = {"status": status}
        if not keep_error:
            sets["error"] = error
        if status == "started" and row["status"] != "started":
            sets["started_at"] = stamp
        if status in END_STATES:
            sets["ended_at"] = stamp
        sets.update(extra or {})
        assignments = ", ".join(f"{k} = ?" for k in sets)
        store.execute(
            f"UPDATE executions SET {assignments} WHERE id = ?", (*sets.values(), exec_id)
        )
        if row["deployment_id"] is not None:
            dep = store.one(
                "SELECT pk FROM deployments WHERE tenant = ? AND id = ?",
                (row["tenant"], row["deployment_id"]),
            )
            if dep is not None:
                if move_latest:
                    store.execute(
                        "UPDATE deployments SET latest_execution = ? WHERE pk = ?",
                        (exec_id, dep["pk"]),
                    )
                recompute_status(services, dep["pk"])
        updated = store.one("SELECT * FROM executions WHERE id = ?", (exec_id,))
        member_changed(services, updated)
    if status in END_STATES and row["status"] not in END_STATES:
        dequeue(services, runner)
    return updated


def action_of(body: dict[str, Any], valid: list[str]) -> str:
    """The `action` of an action request, with the real answers when it is missing or
    not one of `valid` (executions and execution groups say it alike)."""
    if "action" not in body:
        raise BadParameters("Missing action in json request body")
    action = body["action"]
    if action not in valid:
        raise BadParameters(f"Invalid action: {action}, Valid action values are: {valid}")
    return str(action)


def execution_action(
    services: Services, runner: Runner, tenants: list[str], exec_id: str, body: dict[str, Any]
) -> sqlite3.Row:
    """`POST /executions/<id>`: cancel, force-cancel, kill, resume, force-resume, requeue."""
    action = action_of(body, VALID_ACTIONS)
    row = services.store.one(
        f"SELECT * FROM executions WHERE id = ? AND tenant IN ({marks(tenants)})",
        (exec_id, *tenants),
    )
    if row is None:
        # resume looks the execution up by id, cancel with a list query: two messages
        if action in ("resume", "force-resume"):
            raise NotFound(f"Requested `Execution` with ID `{exec_id}` was not found")
        raise NotFound(f"Requested `Execution` ['{exec_id}'] was not found")
    status = row["status"]
    if action in ("cancel", "requeue"):
        if status not in ("pending", "started", "scheduled", "queued"):
            raise IllegalAction(f"Can't cancel execution {exec_id} because it's in status {status}")
        updated = set_status(services, runner, exec_id, "cancelling", error="")
        runner.request_cancel(exec_id)
        return updated
    if action == "force-cancel":
        if status not in ("pending", "started", "scheduled", "queued", "cancelling"):
            raise IllegalAction(
                f"Can't force-cancel execution {exec_id} because it's in status {status}"
            )
        updated = set_status(services, runner, exec_id, "force_cancelling", error="")
        runner.stop_now(exec_id)
        return updated
    if action == "kill":
        updated = set_status(services, runner, exec_id, "kill_cancelling", error="")
        runner.stop_now(exec_id)
        return updated
    # resume / force-resume
    allowed = (
        ("failed", "cancelled") if action == "force-resume" else ("failed", "cancelled", "started")
    )
    if status not in allowed:
        verb = "force-resume" if action == "force-resume" else "resume"
        raise Conflict(f"Cannot {verb} execution: `{exec_id}` in state: `{status}`")
    updated = set_status(
        services,
        runner,
        exec_id,
        "pending",
        keep_error=True,
        move_latest=False,
        extra={"resume": 1, "ended_at": None},
    )
    runner.launch(exec_id, resume=True)
    return updated


# Status PATCH rules (`_validate_execution_update`).
_FORBIDDEN_FROM = {
    "cancelling": {"pending", "started", "force_cancelling", "kill_cancelling", "terminated"},
    "force_cancelling": {"pending", "started", "cancelling", "kill_cancelling", "terminated"},
}


def update_status(
    services: Services, runner: Runner, tenants: list[str], exec_id: str, body: dict[str, Any]
) -> sqlite3.Row:
    """`PATCH /executions/<id>`: a worker-style status update."""
    row = get_execution(services, tenants, exec_id)
    if "status" not in body:
        raise BadParameters("Missing status in json request body")
    new = body["status"]
    current = row["status"]
    # The real manager checks the transition first and the status name only when its
    # database refuses the value: a name it does not know is an invalid transition
    # from an ended execution, and a 409 storage error otherwise.
    if new != current:
        illegal = (current in END_STATES and row["workflow_id"] != "create_snapshot") or (
            new in _FORBIDDEN_FROM.get(current, set())
        )
        if illegal:
            raise InvalidStatusUpdate(
                f"Invalid relationship - can't change status from {current} to {new} for "
                f'"{exec_id}" execution while running "{row["workflow_id"]}" workflow.'
            )
    if new not in ALL_STATES:
        raise StorageError(
            f'SQL Storage error: invalid input value for enum execution_status: "{new}"'
        )
    # A status update without `error` clears it; an explicit null is stored as null.
    error = body.get("error", "")
    stored = error if error is None else str(error)
    updated = set_status(services, runner, exec_id, new, error=stored)
    runner.status_patched(exec_id, new)
    return updated


def should_start(services: Services, tenants: list[str], exec_id: str) -> bool:
    """`GET /executions/<id>/should-start`: the concurrency check with queue semantics."""
    row = get_execution(services, tenants, exec_id)
    active = marks(ACTIVE_STATES)
    system = services.store.one(
        f"SELECT 1 FROM executions WHERE is_system_workflow = 1 AND status IN ({active}, "
        "'queued') LIMIT 1",
        ACTIVE_STATES,
    )
    if system is not None:
        return False
    if row["deployment_id"] is None:
        return True
    blocker = services.store.one(
        "SELECT 1 FROM executions WHERE tenant = ? AND deployment_id = ? AND id != ? AND "
        f"(status IN ({active}) OR (status = 'queued' AND created_at < ?)) LIMIT 1",
        (row["tenant"], row["deployment_id"], exec_id, *ACTIVE_STATES, row["created_at"]),
    )
    return blocker is None


def delete_executions(
    services: Services, tenants: list[str], filters: dict[str, list[str]], body: dict[str, Any]
) -> int:
    """`DELETE /executions`: delete ended executions (and their events), oldest first."""
    keep_last, cutoff = _what_to_keep(body)
    for status in filters.get("status", []):
        if status not in END_STATES:
            raise BadParameters(
                f"Can't filter by execution status `{status}`. Allowed statuses are: "
                f"{list(END_STATES)}"
            )
    filters = {"status": list(END_STATES), **filters}
    where = Where().within("tenant", tenants).filtered(EXECUTIONS.filters, filters)
    rows = services.store.all(
        f"SELECT * FROM executions WHERE {where.sql} ORDER BY created_at, rowid", where.args
    )
    doomed = _doomed(rows, keep_last, cutoff)
    _delete(services, doomed)
    return len(doomed)


def _what_to_keep(body: dict[str, Any]) -> tuple[int | None, str | None]:
    """`keep_last` (how many of the newest to keep) or `to_datetime` (delete what was
    created before it), checked with the real messages."""
    keep_last = body.get("keep_last")
    to_datetime = body.get("to_datetime")
    if keep_last is not None:
        if to_datetime is not None:
            raise BadParameters(
                "Must provide either a `to_datetime` timestamp or a `keep_last` number of "
                "executions to keep"
            )
        if not isinstance(keep_last, int) or isinstance(keep_last, bool) or keep_last <= 0:
            raise BadParameters(
                f"`keep_last` must be an integer greater than 0. got {keep_last} instead."
            )
    cutoff = None
    if to_datetime is not None:
        try:
            cutoff = format_timestamp(parse_timestamp(str(to_datetime)))
        except ValueError:
            raise BadParameters(f"{to_datetime} is not a legal time format") from None
    return keep_last, cutoff


def _doomed(rows: list[sqlite3.Row], keep_last: int | None, cutoff: str | None) -> list[str]:
    """The ids to delete of `rows` (ended, oldest first). As the real server does, a
    deployment's only successful environment creation is never deleted, and
    `keep_last` counts it among the executions it keeps."""
    creations: dict[tuple[str, str], int] = {}
    for row in rows:
        if row["workflow_id"] == "create_deployment_environment" and row["status"] == "terminated":
            key = (row["tenant"], row["deployment_id"])
            creations[key] = creations.get(key, 0) + 1

    def deletable(row: sqlite3.Row) -> bool:
        if row["workflow_id"] != "create_deployment_environment":
            return True
        key = (row["tenant"], row["deployment_id"])
        if creations.get(key, 0) <= 1:
            return False
        creations[key] -= 1
        return True

    doomed: list[str] = []
    limit = len(rows) - keep_last if keep_last else None
    for row in rows:
        if cutoff is not None and not row["created_at"] < cutoff:
            continue
        if limit is not None and len(doomed) >= limit:
            break
        if deletable(row):
            doomed.append(row["id"])
    return doomed


def _delete(services: Services, ids: list[str]) -> None:
    """Executions with their events and secret parameters; a deployment whose latest
    execution goes has none."""
    store = services.store
    with store.tx():
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            places = marks(chunk)
            store.execute(f"DELETE FROM events WHERE execution_id IN ({places})", chunk)
            store.execute(f"DELETE FROM secret_parameters WHERE execution_id IN ({places})", chunk)
            store.execute(f"DELETE FROM executions WHERE id IN ({places})", chunk)
            store.execute(
                f"UPDATE deployments SET latest_execution = NULL "
                f"WHERE latest_execution IN ({places})",
                chunk,
            )
