"""Leaving the queue: which queued executions start when something ends, and the
checks they pass again on the way out.

The real manager (`ResourceManager.start_queued_executions`, 7.0.4) takes a queued
system execution first and alone; otherwise the oldest queued execution of each
deployment that has nothing running, up to `max_concurrent_workflows` running in
all. Each one is checked again as if it were started now: a deployment whose
environment creation failed, parameters that no longer validate, or a workflow that
is no longer available fail it with "Error dequeueing execution: ...", and the next
one is tried. A failed re-check sets only the status and the error: no end time,
and the deployment's latest execution does not move.
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
    seen: set[tuple[str, str]] = set()
    for row in store.all(
        "SELECT * FROM executions WHERE status = 'queued' ORDER BY created_at, rowid"
    ):
        if running >= services.max_concurrent_workflows:
            return
        key = (row["tenant"], row["deployment_id"])
        if key in seen:
            continue
        seen.add(key)
        busy = store.one(
            "SELECT 1 FROM executions WHERE tenant = ? AND deployment_id = ? AND "
            f"status IN ({ACTIVE_MARKS}) LIMIT 1",
            (row["tenant"], row["deployment_id"], *ACTIVE_STATES),
        )
        if busy is not None:
            continue
        error = recheck(services, row)
        if error is not None:
            with store.tx():
                store.execute(
                    "UPDATE executions SET status = 'failed', error = ? WHERE id = ?",
                    (f"Error dequeueing execution: {error}", row["id"]),
                )
            continue
        _launch(services, runner, row["id"])
        running += 1


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
