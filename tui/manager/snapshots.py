"""`PUT /snapshots/<id>`: the one system execution this manager runs.

A real snapshot is written by the mgmtworker; here `create_snapshot` only takes its
time (see `Engine._run_system`). What matters to a client is what the real manager
does around it (`ResourceManager.create_snapshot`, 7.0.4): it is a system execution
without a deployment; it refuses to start while anything runs unless `queue` is
asked for; and while it runs or waits, every deployment's start is queued behind it.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from tui.manager.errors import BadParameters, Conflict, ExistingRunningExecution
from tui.manager.executions import insert_execution
from tui.manager.listing import parse_bool
from tui.manager.runner import Runner
from tui.manager.services import Services
from tui.manager.statuses import ACTIVE_STATES
from tui.manager.store import marks

BOOL_DEFAULTS = {
    "include_credentials": True,
    "include_logs": True,
    "include_events": True,
    "queue": False,
    "legacy": False,
}


def _options(body: dict[str, Any]) -> tuple[dict[str, bool], Any]:
    """The boolean flags (with their defaults) and the listener timeout of the body."""
    flags = {
        name: parse_bool(body[name], name) if name in body else default
        for name, default in BOOL_DEFAULTS.items()
    }
    timeout = body.get("listener_timeout")
    if timeout:
        try:
            timeout = float(timeout)
        except (TypeError, ValueError):
            raise BadParameters("listener_timeout must a valid floating point number") from None
    return flags, timeout


def create_snapshot(
    services: Services,
    runner: Runner,
    tenant: str,
    username: str,
    snapshot_id: str,
    body: dict[str, Any],
) -> sqlite3.Row:
    """`PUT /snapshots/<id>`: a new snapshot's execution, queued behind whatever runs
    when `queue` is asked for, refused otherwise."""
    flags, timeout = _options(body)
    store = services.store
    if store.one(
        "SELECT 1 FROM executions WHERE workflow_id = 'create_snapshot' "
        "AND json_extract(parameters, '$.snapshot_id') = ?",
        (snapshot_id,),
    ):
        raise Conflict(f"<Snapshot id=`{snapshot_id}`> already exists")
    running = [
        r["id"]
        for r in store.all(
            f"SELECT id FROM executions WHERE status IN ({marks(ACTIVE_STATES)}) "
            "ORDER BY created_at",
            ACTIVE_STATES,
        )
    ]
    if running and not flags["queue"]:
        raise ExistingRunningExecution(
            "Cannot start execution because there are other executions running e.g.: "
            + ", ".join(running)
        )
    with store.tx():
        exec_id = insert_execution(
            services,
            tenant=tenant,
            deployment=None,
            workflow_id="create_snapshot",
            status="queued" if running else "pending",
            parameters={
                "snapshot_id": snapshot_id,
                "include_credentials": flags["include_credentials"],
                "include_logs": flags["include_logs"],
                "include_events": flags["include_events"],
                "config": {},
                "tempdir_path": body.get("tempdir_path"),
                "legacy": flags["legacy"],
                "listener_timeout": timeout,
            },
            created_by=username,
            is_system_workflow=True,
        )
    if not running:
        runner.launch(exec_id)
    row = store.one("SELECT * FROM executions WHERE id = ?", (exec_id,))
    assert row is not None
    return row
