"""Deployments: creation from a blueprint plan, rendering, status bookkeeping, deletion."""

from __future__ import annotations

import sqlite3
from typing import Any

from tui.manager.blueprints import node_instance_id, workflow_is_available
from tui.manager.errors import (
    BadParameters,
    Conflict,
    DependentExists,
    MissingRequiredInput,
    NotFound,
    UnknownInput,
)
from tui.manager.listing import BOOL, INT, Field
from tui.manager.services import Services
from tui.manager.statuses import ACTIVE_STATES, WAITING_STATES
from tui.manager.store import dumps, loads

# Legacy pickle columns: always present, always null on modern data.
LEGACY_FIELDS = (
    "inputs_p",
    "outputs_p",
    "groups_p",
    "scaling_groups_p",
    "policy_types_p",
    "policy_triggers_p",
    "capabilities_p",
    "workflows_p",
)
# Filter and sort keys of the real `models.Deployment.resource_fields`.
DEPLOYMENT_FIELDS: dict[str, Field] = {
    "id": Field("id"),
    "display_name": Field("display_name"),
    "blueprint_id": Field("blueprint_id"),
    "description": Field("description"),
    "created_at": Field("created_at"),
    "updated_at": Field("updated_at"),
    "created_by": Field("created_by"),
    "tenant_name": Field("tenant"),
    "visibility": Field("visibility"),
    "resource_availability": Field("visibility"),
    "private_resource": Field("(visibility = 'private')", BOOL),
    "site_name": Field("site_name"),
    "inputs": Field("inputs"),
    "outputs": Field("outputs"),
    "capabilities": Field("capabilities"),
    "groups": Field("groups_"),
    "scaling_groups": Field("scaling_groups"),
    "policy_types": Field("policy_types"),
    "policy_triggers": Field("policy_triggers"),
    "resource_tags": Field("resource_tags"),
    "runtime_only_evaluation": Field("runtime_only_evaluation", BOOL),
    "workflows": Field("workflows"),
    "permalink": Field("NULL"),
    "installation_status": Field("installation_status"),
    "deployment_status": Field("deployment_status"),
    "latest_execution_id": Field("latest_execution"),
    "latest_execution_status": Field("latest_execution_status"),
    "latest_execution_workflow_id": Field("latest_execution_workflow_id"),
    "latest_execution_total_operations": Field("latest_execution_total_operations", INT),
    "latest_execution_finished_operations": Field("latest_execution_finished_operations", INT),
    "deployment_group_id": Field("NULL"),
    "environment_type": Field("''"),
    "has_sub_deployments": Field("0", BOOL),
    "sub_services_count": Field("0", INT),
    "sub_environments_count": Field("0", INT),
    "sub_services_status": Field("NULL"),
    "sub_environments_status": Field("NULL"),
    "drifted_instances": Field("0", INT),
    "unavailable_instances": Field("0", INT),
}
for _legacy in LEGACY_FIELDS:
    DEPLOYMENT_FIELDS[_legacy] = Field("NULL")
# The relationship keys (`latest_execution`, `create_execution`) can be included but
# neither filtered nor sorted on; `deployment_group_id` the other way round.
DEPLOYMENT_INCLUDES = (set(DEPLOYMENT_FIELDS) - {"deployment_group_id"}) | {
    "labels",
    "deployment_groups",
    "workdir_zip",
    "create_execution",
    "latest_execution",
}


def get_deployment(services: Services, tenant: str, dep_id: str) -> sqlite3.Row:
    row = services.store.one(
        "SELECT * FROM deployments_v WHERE tenant = ? AND id = ?", (tenant, dep_id)
    )
    if row is None:
        raise NotFound(f"Requested `Deployment` with ID `{dep_id}` was not found")
    return row


def instance_states(services: Services, pks: list[int]) -> dict[int, set[str]]:
    result: dict[int, set[str]] = {pk: set() for pk in pks}
    for start in range(0, len(pks), 500):
        chunk = pks[start : start + 500]
        rows = services.store.all(
            "SELECT DISTINCT deployment_pk, state FROM node_instances WHERE deployment_pk IN "
            f"({','.join('?' for _ in chunk)})",
            chunk,
        )
        for row in rows:
            result[row["deployment_pk"]].add(row["state"])
    return result


def node_type_set(nodes: list[dict[str, Any]]) -> set[str]:
    return {t for node in nodes for t in node["type_hierarchy"]}


def render_workflows(row: sqlite3.Row, states: set[str]) -> list[dict[str, Any]]:
    types = node_type_set(loads(row["nodes"], []))
    items = []
    for name, wf in loads(row["workflows"], {}).items():
        items.append(
            {
                "name": name,
                "plugin": wf["plugin"],
                "operation": wf["operation"],
                "parameters": wf["parameters"],
                "is_cascading": wf["is_cascading"],
                "is_available": workflow_is_available(wf, states, types),
                "availability_rules": wf["availability_rules"],
            }
        )
    return items


def render_deployment(
    row: sqlite3.Row, states: set[str] | None, include: set[str] | None
) -> dict[str, Any]:
    """The deployment object with every field the real manager returns."""
    wanted = (lambda key: True) if include is None else include.__contains__
    item: dict[str, Any] = {}

    def put(key: str, value: Any) -> None:
        if wanted(key):
            item[key] = value() if callable(value) else value

    put("id", row["id"])
    put("display_name", row["display_name"])
    put("blueprint_id", row["blueprint_id"])
    put("description", row["description"])
    put("created_at", row["created_at"])
    put("updated_at", row["updated_at"])
    put("created_by", row["created_by"])
    put("tenant_name", row["tenant"])
    put("visibility", row["visibility"])
    put("resource_availability", row["visibility"])
    put("private_resource", row["visibility"] == "private")
    put("site_name", row["site_name"])
    put("inputs", lambda: loads(row["inputs"], {}))
    put("outputs", lambda: loads(row["outputs"], {}))
    put("capabilities", lambda: loads(row["capabilities"], {}))
    put("groups", lambda: loads(row["groups_"], {}))
    put("scaling_groups", lambda: loads(row["scaling_groups"], {}))
    put("policy_types", lambda: loads(row["policy_types"], {}))
    put("policy_triggers", lambda: loads(row["policy_triggers"], {}))
    put("resource_tags", lambda: loads(row["resource_tags"], {}))
    put("runtime_only_evaluation", bool(row["runtime_only_evaluation"]))
    put("permalink", None)
    put("workflows", lambda: render_workflows(row, states or set()))
    put("labels", lambda: loads(row["labels"], []))
    put("deployment_groups", [])
    put("installation_status", row["installation_status"] or "inactive")
    put("deployment_status", row["deployment_status"])
    put("latest_execution", row["latest_execution"])
    put("latest_execution_status", row["latest_execution_status"])
    put("latest_execution_workflow_id", row["latest_execution_workflow_id"])
    put("latest_execution_total_operations", row["latest_execution_total_operations"])
    put("latest_execution_finished_operations", row["latest_execution_finished_operations"])
    put("create_execution", row["create_execution"])
    put("sub_services_count", 0)
    put("sub_environments_count", 0)
    put("sub_services_status", None)
    put("sub_environments_status", None)
    put("has_sub_deployments", False)
    put("environment_type", "")
    put("drifted_instances", 0)
    put("unavailable_instances", 0)
    put("latest_execution_id", row["latest_execution"])
    put("workdir_zip", None)
    put("schedules", [])  # an includable key of 6.x only (see versions.py)
    for legacy in LEGACY_FIELDS:
        put(legacy, None)
    return item


def create_environment_parameters(
    inputs: dict[str, Any], request: dict[str, Any]
) -> dict[str, Any]:
    """The parameters of a `create_deployment_environment` execution, as the real
    manager records them: the inputs as given, the display name as given (null when
    absent) and, when there are any, the labels without their timestamps. The labels
    were checked by `insert_deployment` already."""
    parameters: dict[str, Any] = {"inputs": inputs, "display_name": request.get("display_name")}
    labels = request.get("labels") or []
    if labels:
        parameters["labels"] = [
            {"key": key, "value": value, "created_at": None, "created_by": None}
            for label in labels
            for key, value in label.items()
        ]
    return parameters


def recompute_status(services: Services, dep_pk: int) -> None:
    """installation_status from node instances, deployment_status from the latest execution."""
    store = services.store
    states = {
        r["state"]
        for r in store.all(
            "SELECT DISTINCT state FROM node_instances WHERE deployment_pk = ?", (dep_pk,)
        )
    }
    installation = "active" if states and states == {"started"} else "inactive"
    row = store.one("SELECT latest_execution_status FROM deployments_v WHERE pk = ?", (dep_pk,))
    latest = row["latest_execution_status"] if row else None
    if latest == "in_progress":
        status = "in_progress"
    elif latest == "failed" or installation == "inactive":
        status = "requires_attention"
    else:
        status = "good"
    store.execute(
        "UPDATE deployments SET installation_status = ?, deployment_status = ?, updated_at = ? "
        "WHERE pk = ?",
        (installation, status, services.clock.stamp(), dep_pk),
    )


def _resolve_inputs(declared: dict[str, Any], given: dict[str, Any]) -> dict[str, Any]:
    """Declared defaults plus what was given; missing inputs are reported before unknown
    ones, with the real messages (`Deployment._validate_inputs`)."""
    unknown = sorted(set(given) - set(declared))
    resolved = {}
    missing = []
    for name, spec in declared.items():
        spec = spec or {}
        if name in given:
            resolved[name] = given[name]
        elif "default" in spec:
            resolved[name] = spec["default"]
        elif spec.get("required", True) is not False:
            missing.append(name)
    if missing:
        raise MissingRequiredInput(f"missing inputs: {', '.join(missing)}")
    if unknown:
        raise UnknownInput(f"Cannot create deployment - unknown inputs: {', '.join(unknown)}")
    return resolved


def insert_deployment(
    services: Services,
    tenant: str,
    dep_id: str,
    blueprint_id: str,
    plan: dict[str, Any],
    *,
    created_by: str,
    inputs: dict[str, Any] | None = None,
    display_name: str | None = None,
    labels: list[dict[str, Any]] | None = None,
    site_name: str | None = None,
    visibility: str = "tenant",
    runtime_only_evaluation: bool = False,
    stamp: str | None = None,
) -> int:
    """Insert a deployment row and its node instances (state `uninitialized`)."""
    stamp = stamp or services.clock.stamp()
    resolved = _resolve_inputs(plan.get("inputs") or {}, inputs or {})
    label_rows = []
    for label in labels or []:
        if not isinstance(label, dict) or len(label) != 1:
            raise BadParameters("Labels must be a list of 1-entry dictionaries")
        ((key, value),) = label.items()
        label_rows.append(
            {"key": key, "value": value, "created_at": stamp, "created_by": created_by}
        )
    cursor = services.store.execute(
        "INSERT INTO deployments (tenant, id, display_name, blueprint_id, description, "
        "created_at, updated_at, created_by, visibility, site_name, inputs, outputs, "
        "capabilities, workflows, nodes, labels, groups_, scaling_groups, policy_types, "
        "policy_triggers, resource_tags, runtime_only_evaluation, installation_status, "
        "deployment_status) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        (
            tenant,
            dep_id,
            display_name or dep_id,
            blueprint_id,
            plan.get("description"),
            stamp,
            stamp,
            created_by,
            visibility,
            site_name,
            dumps(resolved),
            dumps(plan.get("outputs") or {}),
            dumps(plan.get("capabilities") or {}),
            dumps(plan["workflows"]),
            dumps(plan["nodes"]),
            dumps(label_rows),
            dumps(plan.get("groups") or {}),
            dumps({}),
            dumps({}),
            dumps({}),
            dumps({}),
            int(runtime_only_evaluation),
            "inactive",
            "requires_attention",
        ),
    )
    pk = cursor.lastrowid
    assert pk is not None
    rows = []
    for node in plan["nodes"]:
        for index in range(node["instances"]):
            rows.append(
                (
                    pk,
                    node_instance_id(f"{tenant}/{dep_id}", node["id"], index),
                    node["id"],
                    "uninitialized",
                    index,
                )
            )
    services.store.executemany(
        "INSERT INTO node_instances (deployment_pk, id, node_id, state, idx) VALUES (?,?,?,?,?)",
        rows,
    )
    return pk


def check_new_deployment(services: Services, tenant: str, dep_id: str) -> None:
    exists = services.store.one(
        "SELECT 1 FROM deployments WHERE tenant = ? AND id = ?", (tenant, dep_id)
    )
    if exists is not None:
        raise Conflict(f"deployment with ID `{dep_id}` already exists")


def delete_deployment(services: Services, tenant: str, dep_id: str, force: bool) -> None:
    row = get_deployment(services, tenant, dep_id)
    running = services.store.all(
        "SELECT id FROM executions WHERE tenant = ? AND deployment_id = ? AND status IN "
        f"({','.join('?' for _ in ACTIVE_STATES + WAITING_STATES)})",
        (tenant, dep_id, *ACTIVE_STATES, *WAITING_STATES),
    )
    if running:
        ids = ",".join(r["id"] for r in running)
        raise DependentExists(
            f"Can't delete deployment {dep_id} - There are running or queued executions for "
            f"this deployment. Running executions ids: {ids}"
        )
    live = services.store.all(
        "SELECT id FROM node_instances WHERE deployment_pk = ? "
        "AND state NOT IN ('uninitialized', 'deleted') ORDER BY rowid",
        (row["pk"],),
    )
    if live and not force:
        raise DependentExists(
            f"Can't delete deployment {dep_id} - There are live nodes for this deployment. "
            f"Live nodes ids: {','.join(r['id'] for r in live)}"
        )
    with services.store.tx():
        services.store.execute(
            "DELETE FROM events WHERE tenant = ? AND deployment_id = ?", (tenant, dep_id)
        )
        services.store.execute(
            "DELETE FROM secret_parameters WHERE execution_id IN (SELECT id FROM executions "
            "WHERE tenant = ? AND deployment_id = ?)",
            (tenant, dep_id),
        )
        services.store.execute(
            "DELETE FROM executions WHERE tenant = ? AND deployment_id = ?", (tenant, dep_id)
        )
        services.store.execute("DELETE FROM node_instances WHERE deployment_pk = ?", (row["pk"],))
        services.store.execute("DELETE FROM deployments WHERE pk = ?", (row["pk"],))
