"""Start-up recovery: executions that were running when the manager died.

A real manager whose worker crashed leaves executions `started`; the embedded one
ends them on start-up instead, with an error that says what happened, so nothing
stays `started` forever. Queued executions stay queued and are dequeued as usual.
"""

from __future__ import annotations

from tui.manager.events import event_row, insert_events
from tui.manager.executions import dequeue, set_status
from tui.manager.runner import Runner
from tui.manager.services import Services
from tui.manager.statuses import ACTIVE_STATES
from tui.manager.store import marks

INTERRUPTED = (
    "Execution interrupted: the manager stopped while it was {status}; "
    "its operations may be partly done. Resume it or start it again."
)


def recover_interrupted(services: Services, runner: Runner) -> list[str]:
    """End interrupted executions; returns their ids."""
    rows = services.store.all(
        f"SELECT id, status, workflow_id FROM executions WHERE status IN ({marks(ACTIVE_STATES)})",
        ACTIVE_STATES,
    )
    for row in rows:
        full = services.store.one("SELECT * FROM executions WHERE id = ?", (row["id"],))
        message = f"'{row['workflow_id']}' workflow execution " + (
            "cancelled"
            if row["status"].endswith("cancelling")
            else f"failed: {INTERRUPTED.format(status=row['status'])}"
        )
        event_type = (
            "workflow_cancelled" if row["status"].endswith("cancelling") else "workflow_failed"
        )
        insert_events(
            services, [event_row(full, services.clock.stamp(), message, event_type=event_type)]
        )
        if row["status"] in ("cancelling", "force_cancelling", "kill_cancelling"):
            set_status(services, runner, row["id"], "cancelled", move_latest=False)
        else:
            set_status(
                services,
                runner,
                row["id"],
                "failed",
                error=INTERRUPTED.format(status=row["status"]),
                move_latest=False,
            )
    dequeue(services, runner)
    return [row["id"] for row in rows]
