"""What an execution group records about itself: logs and events that belong to the
group, not to one of its executions (`/events?execution_group_id=` lists them).

The real manager writes a log when a member deployment has no such workflow, and an
`execution_state_change` event each time a worker updates a member's status
(`ResourceManager._update_execution_group`); a status the REST service sets itself
(cancelling, a dequeue, a queued member cancelled with its group) writes none.
"""

from __future__ import annotations

import sqlite3

from tui.manager.services import Services

# The statuses a worker reports (and so the real update path sees).
WORKER_STATES = ("started", "terminated", "failed", "cancelled")


def group_event(services: Services, group: sqlite3.Row, message: str, *, log: bool) -> None:
    """A log (of the REST service) or an `execution_state_change` event of the group
    itself: no execution, no deployment, only `execution_group_id`."""
    stamp = services.clock.stamp()
    services.store.insert(
        "events",
        {
            "tenant": group["tenant"],
            "timestamp": stamp,
            "reported_timestamp": stamp,
            "execution_group_id": group["id"],
            "message": message,
            "type": "cloudify_log" if log else "cloudify_event",
            "level": "info" if log else None,
            "logger": "cloudify-restservice" if log else None,
            "event_type": None if log else "execution_state_change",
        },
    )


def member_changed(services: Services, execution: sqlite3.Row) -> None:
    """What a worker's status update of a member records on its group (the real
    `_update_execution_group`): an `execution_state_change` event."""
    if execution["status"] not in WORKER_STATES:
        return
    group = services.store.one(
        "SELECT g.* FROM execution_group_members m JOIN execution_groups g ON g.pk = m.group_pk "
        "WHERE m.execution_id = ?",
        (execution["id"],),
    )
    if group is None:
        return
    message = f"execution '{execution['id']}' changed state to '{execution['status']}'"
    if execution["error"]:
        message += f" with error '{execution['error']}'"
    group_event(services, group, message, log=False)
