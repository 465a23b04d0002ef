"""Deployments: creation from a blueprint plan, rendering, status bookkeeping, deletion."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any

from tui.manager.blueprints import workflow_is_available
from tui.manager.columns import dumps, loads
from tui.manager.deployment_groups import groups_of
from tui.manager.errors import (
    Conflict,
    DependentExists,
    MissingRequiredInput,
    NotFound,
    UnknownInput,
)
from tui.manager.labels import add_labels, delete_labels, labels_list, labels_of
from tui.manager.nodes import all_instances, new_instances, with_hosts
from tui.manager.services import Services
from tui.manager.statuses import ACTIVE_STATES, WAITING_STATES
from tui.manager.store import Store, marks
from tui.manager.tables import DEPLOYMENTS
from tui.manager.versions import Emulation, unrendered_workflows


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
            f"({marks(chunk)})",
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
    row: sqlite3.Row,
    em: Emulation,
    states: set[str] | None,
    include: Collection[str] | None = None,
    *,
    rendered_workflows: bool = True,
    labels: Callable[[], list[dict[str, Any]]],
    groups: Callable[[], list[str]],
) -> dict[str, Any]:
    """A deployment with the keys (and workflows) of the emulated version, or those of
    `include`. `states` are its node instances' states, which decide whether each
    workflow is available; without `rendered_workflows`, master's stored form. `labels`
    gives its labels, called only when they (or the `environment_type` they make) are
    shown (`deployment_labels`), `groups` its deployment groups' ids, likewise."""

    def workflows() -> Any:
        if not rendered_workflows:
            return unrendered_workflows(loads(row["workflows"], None))
        return em.workflows(render_workflows(row, states or set()))

    keys = em.deployment_includes if include is None else include

    def environment_type() -> str:
        return next((lb["value"] for lb in labels() if lb["key"] == "csys-env-type"), "")

    return DEPLOYMENTS.render(
        row,
        keys,
        workflows=workflows,
        labels=labels,
        environment_type=environment_type,
        deployment_groups=groups,
    )


def deployment_labels(services: Services, pk: int) -> Callable[[], list[dict[str, Any]]]:
    """The `labels` of one deployment for `render_deployment`, read when shown."""
    return lambda: labels_of(services.store, [pk])[pk]


def deployment_groups(services: Services, pk: int) -> Callable[[], list[str]]:
    """The `deployment_groups` of one deployment for `render_deployment`, read when shown."""
    return lambda: groups_of(services.store, [pk])[pk]


def create_environment_parameters(
    inputs: dict[str, Any], request: dict[str, Any]
) -> dict[str, Any]:
    """The parameters of a `create_deployment_environment` execution, as the real
    manager records them: the inputs as given, the display name as given (null when
    absent) and, when there are any, the labels without their timestamps. The labels
    were checked by `insert_deployment` already."""
    parameters: dict[str, Any] = {"inputs": inputs, "display_name": request.get("display_name")}
    labels = labels_list(request.get("labels") or [])
    if labels:
        parameters["labels"] = [
            {"key": key, "value": value, "created_at": None, "created_by": None}
            for key, value in labels
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
    label_pairs = labels_list(labels or [])
    cursor = services.store.insert(
        "deployments",
        {
            "tenant": tenant,
            "id": dep_id,
            "display_name": display_name or dep_id,
            "blueprint_id": blueprint_id,
            "description": plan.get("description"),
            "created_at": stamp,
            "updated_at": stamp,
            "created_by": created_by,
            "visibility": visibility,
            "site_name": site_name,
            "inputs": dumps(resolved),
            "outputs": dumps(plan.get("outputs") or {}),
            "capabilities": dumps(plan.get("capabilities") or {}),
            "workflows": dumps(plan["workflows"]),
            "nodes": dumps(with_hosts(plan["nodes"])),
            "groups_": dumps(plan.get("groups") or {}),
            "scaling_groups": dumps({}),
            "policy_types": dumps({}),
            "policy_triggers": dumps({}),
            "resource_tags": dumps({}),
            "runtime_only_evaluation": int(runtime_only_evaluation),
            "installation_status": "inactive",
            "deployment_status": "requires_attention",
        },
    )
    pk = cursor.lastrowid
    assert pk is not None
    rows = new_instances(f"{tenant}/{dep_id}", plan["nodes"], all_instances(plan["nodes"]))
    insert_instances(services.store, pk, rows)
    add_labels(services.store, pk, label_pairs, stamp, created_by)
    return pk


def insert_instances(
    store: Store, deployment_pk: int, rows: Sequence[Mapping[str, Any]], *, ignore: bool = False
) -> None:
    """Store new instances (`uninitialized`, no runtime properties, version 1)."""
    verb = "INSERT OR IGNORE" if ignore else "INSERT"
    store.executemany(
        f"{verb} INTO node_instances (deployment_pk, id, node_id, state, idx, host_id, "
        "relationships, runtime_properties, version) "
        "VALUES (?, ?, ?, 'uninitialized', ?, ?, ?, '{}', 1)",
        [
            (
                deployment_pk,
                r["id"],
                r["node_id"],
                r["idx"],
                r["host_id"],
                dumps(r["relationships"]),
            )
            for r in rows
        ],
    )


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
        f"({marks(ACTIVE_STATES + WAITING_STATES)})",
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
        delete_labels(services.store, row["pk"])
        services.store.execute(
            "DELETE FROM deployment_group_members WHERE deployment_pk = ?", (row["pk"],)
        )
        services.store.execute("DELETE FROM deployments WHERE pk = ?", (row["pk"],))
