"""Leaving the queue: which queued executions start when something ends, and the checks
they pass again on the way out.

The real manager (`ResourceManager.start_queued_executions`, 7.0.4) takes a queued
system execution first and alone; otherwise the oldest queued execution of each
deployment that has nothing running, up to `max_concurrent_workflows` running in all,
and never more running members of an execution group than its `concurrency`. Each one is
checked again as if it were started now: a deployment whose environment creation failed,
parameters that no longer validate, or a workflow that is no longer available fail it
with "Error dequeueing execution: ...", and the next one is tried. A failed re-check
sets only the status and the error: no end time, and the deployment's latest execution
does not move.
"""

from __future__ import annotations

import sqlite3

from tui.manager.blueprints import workflow_is_available
from tui.manager.columns import dumps, loads
from tui.manager.deployments import instance_states, node_type_set
from tui.manager.errors import ManagerError
from tui.manager.params import merge_parameters
from tui.manager.runner import Runner
from tui.manager.services import Services
from tui.manager.statuses import ACTIVE_STATES
from tui.manager.store import marks

ACTIVE_MARKS = marks(ACTIVE_STATES)


def dequeue(services: Services, runner: Runner) -> None:
    """Start what may start now; fail what no longer passes its checks."""
    store = services.store
    system = store.one(
        "SELECT * FROM executions WHERE status = 'queued' AND is_system_workflow = 1 "
        "ORDER BY created_at, rowid LIMIT 1"
    )
    if system is not None:
        # A system execution (a snapshot) runs alone, after everything else ends.
        if store.one(f"SELECT 1 FROM executions WHERE status IN ({ACTIVE_MARKS})", ACTIVE_STATES):
            return
        _launch(services, runner, system["id"])
        return
    if store.one(
        f"SELECT 1 FROM executions WHERE is_system_workflow = 1 AND status IN ({ACTIVE_MARKS})",
        ACTIVE_STATES,
    ):
        return
    running = store.one(
        f"SELECT COUNT(*) AS n FROM executions WHERE status IN ({ACTIVE_MARKS})", ACTIVE_STATES
    )["n"]
    room = _group_room(services)
    seen: set[tuple[str, str]] = set()
    for row in _candidates(services, [pk for pk, left in room.items() if left <= 0]):
        if running >= services.max_concurrent_workflows:
            return
        key = (row["tenant"], row["deployment_id"])
        group = row["group_pk"]
        if key in seen or (group is not None and room.get(group, row["concurrency"]) <= 0):
            continue
        seen.add(key)
        full = store.one("SELECT * FROM executions WHERE id = ?", (row["id"],))
        error = recheck(services, full)
        if error is not None:
            with store.tx():
                store.execute(
                    "UPDATE executions SET status = 'failed', error = ? WHERE id = ?",
                    (f"Error dequeueing execution: {error}", row["id"]),
                )
            continue
        _launch(services, runner, row["id"])
        running += 1
        if group is not None:
            room[group] = room.get(group, row["concurrency"]) - 1


def _group_room(services: Services) -> dict[int, int]:
    """How many more members each execution group with running members may start
    (its concurrency less its running members)."""
    return {
        row["group_pk"]: row["concurrency"] - row["n"]
        for row in services.store.all(
            "SELECT m.group_pk, g.concurrency, COUNT(*) AS n FROM executions e "
            "JOIN execution_group_members m ON m.execution_id = e.id "
            "JOIN execution_groups g ON g.pk = m.group_pk "
            f"WHERE e.status IN ({ACTIVE_MARKS}) GROUP BY m.group_pk",
            ACTIVE_STATES,
        )
    }


def _candidates(services: Services, full: list[int]) -> list[sqlite3.Row]:
    """The queued executions that might start now, oldest first, as light rows: none of
    a full group (nor of a group that may run none), none of a deployment where
    something runs. Each is one lookup in an index, so a tick costs what is queued
    outside full groups, not what the manager ever ran."""
    return services.store.all(
        "SELECT e.id, e.tenant, e.deployment_id, m.group_pk, g.concurrency "
        "FROM executions e INDEXED BY executions_by_state "
        "LEFT JOIN execution_group_members m ON m.execution_id = e.id "
        "LEFT JOIN execution_groups g ON g.pk = m.group_pk "
        "WHERE e.status = 'queued' AND e.is_system_workflow = 0 "
        f"AND (m.group_pk IS NULL OR (g.concurrency > 0 AND m.group_pk NOT IN ({marks(full)}))) "
        "AND NOT EXISTS (SELECT 1 FROM executions b WHERE b.tenant = e.tenant AND "
        f"b.deployment_id = e.deployment_id AND b.status IN ({ACTIVE_MARKS})) "
        "ORDER BY e.created_at, e.rowid",
        (*full, *ACTIVE_STATES),
    )


def recheck(services: Services, row: sqlite3.Row) -> str | None:
    """Why `row` may not start now, or None. Its parameters are merged again against
    the workflow as the deployment declares it today, and stored when they pass."""
    dep = services.store.one(
        "SELECT * FROM deployments_v WHERE tenant = ? AND id = ?",
        (row["tenant"], row["deployment_id"]),
    )
    if dep is None:
        return None  # the engine fails an execution whose deployment is gone
    create = services.store.one(
        "SELECT status FROM executions WHERE id = ?", (dep["create_execution"] or "",)
    )
    if (
        create is not None
        and create["status"] == "failed"
        and row["workflow_id"] != "delete_deployment_environment"
    ):
        return "create_deployment_environment failed"
    workflows = loads(dep["workflows"], {})
    workflow = workflows.get(row["workflow_id"])
    if workflow is None:
        return None  # a system workflow on a deployment: nothing declared to check
    try:
        merged = merge_parameters(
            row["workflow_id"],
            workflow.get("parameters", {}),
            loads(row["parameters"], {}),
            bool(row["allow_custom_parameters"]),
            None,
        )
    except ManagerError as exc:
        return exc.message
    if not row["resume"]:
        states = instance_states(services, [dep["pk"]])[dep["pk"]]
        if not workflow_is_available(workflow, states, node_type_set(loads(dep["nodes"], []))):
            return f"Workflow not available: {row['workflow_id']}"
    with services.store.tx():
        services.store.execute(
            "UPDATE executions SET parameters = ? WHERE id = ?", (dumps(merged), row["id"])
        )
    return None


def _launch(services: Services, runner: Runner, exec_id: str) -> None:
    with services.store.tx():
        services.store.execute("UPDATE executions SET status = 'pending' WHERE id = ?", (exec_id,))
    runner.launch(exec_id)
