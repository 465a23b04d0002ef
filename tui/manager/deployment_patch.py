"""`PATCH /deployments/<id>`: a deployment's labels and display name, by the real rules.

The real handler (7.0.4 `DeploymentsId.patch`) sets a small list of attributes, most of
them only from a deployment-update workflow (anything already set is a conflict
otherwise), refuses a new blueprint outside such a workflow, and replaces the label set
when `labels` is given. This manager runs no deployment updates, so what a client can
change here is what an operator can change there: `labels` and `display_name`. The
`creator` and `created_at` a snapshot restore passes (sys_admin only there) are
ignored: new labels are made now, by the caller.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from tui.manager.errors import (
    Conflict,
    IllegalAction,
    NotFound,
    OnlyDeploymentUpdate,
    ParentNotFound,
)
from tui.manager.labels import labels_list, replace_labels
from tui.manager.services import Services
from tui.manager.store import marks

# The attributes the real handler sets, and (outside a deployment update) only when
# they are still unset; `display_name` may always change. Each with its column here.
SET_ONCE = {
    "description": "description",
    "workflows": "workflows",
    "inputs": "inputs",
    "policy_types": "policy_types",
    "policy_triggers": "policy_triggers",
    "groups": "groups_",
    "scaling_groups": "scaling_groups",
    "outputs": "outputs",
    "capabilities": "capabilities",
    "runtime_only_evaluation": "runtime_only_evaluation",
    "resource_tags": "resource_tags",
    "create_execution": "create_execution",
    "latest_execution": "latest_execution",
}


def _check_attributes(row: sqlite3.Row, body: dict[str, Any]) -> None:
    for attrib, column in SET_ONCE.items():
        if attrib in body and row[column] is not None:
            raise Conflict(f"{attrib} is already set")
    if "blueprint_id" in body:
        raise OnlyDeploymentUpdate("Changing the blueprint is only possible via deployment-update")


def _check_parents(services: Services, row: sqlite3.Row, pairs: list[tuple[str, str]]) -> None:
    """Deployments named by new `csys-obj-parent` labels must exist (the real
    `add_deployment_to_labels_graph`)."""
    old = {
        r["value"]
        for r in services.store.all(
            "SELECT value FROM deployments_labels WHERE deployment_pk = ? AND key = ?",
            (row["pk"], "csys-obj-parent"),
        )
    }
    new = sorted({value for key, value in pairs if key == "csys-obj-parent"} - old)
    if not new:
        return
    found = {
        r["id"]
        for r in services.store.all(
            f"SELECT id FROM deployments WHERE tenant = ? AND id IN ({marks(new)})",
            (row["tenant"], *new),
        )
    }
    missing = [parent for parent in new if parent not in found]
    if missing:
        raise ParentNotFound(
            f"Environment referenced by `csys-obj-parent` not found: {','.join(missing)}"
        )


def patch_deployment(
    services: Services, tenant: str, dep_id: str, body: dict[str, Any], username: str
) -> None:
    """Apply a PATCH body to deployment `dep_id`, all or nothing."""
    if not body:
        raise IllegalAction(
            "Update a deployment request must include at least one parameter to update"
        )
    store = services.store
    row = store.one("SELECT * FROM deployments WHERE tenant = ? AND id = ?", (tenant, dep_id))
    if row is None:
        raise NotFound(f"Requested `Deployment` with ID `{dep_id}` was not found")
    _check_attributes(row, body)
    pairs = labels_list(body.get("labels") or []) if "labels" in body else None
    if pairs is not None:
        _check_parents(services, row, pairs)
    with store.tx():
        if "display_name" in body:
            store.execute(
                "UPDATE deployments SET display_name = ? WHERE pk = ?",
                (body["display_name"], row["pk"]),
            )
        if pairs is not None:
            replace_labels(store, row["pk"], pairs, services.clock.stamp(), username)
