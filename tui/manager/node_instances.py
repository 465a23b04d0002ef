"""Node instances as resources: read one, update one (a worker's state and runtime
properties, with the real optimistic version check) and count them by field
(`/summary/node_instances`).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

from starlette.datastructures import QueryParams

from tui.manager.columns import dumps
from tui.manager.errors import Conflict, NotFound, OnlyDeploymentUpdate, ValidationError
from tui.manager.listing import Where, parse_bool, parse_list_query
from tui.manager.services import Services
from tui.manager.tables import NODE_INSTANCES

# The real `SummarizeNodeInstances` fields, in the order its message lists them.
SUMMARY_FIELDS = (
    "deployment_id",
    "index",
    "node_id",
    "state",
    "host_id",
    "tenant_name",
    "visibility",
)
UPDATABLE = ("state", "runtime_properties", "system_properties", "relationships")
BODY_MODEL = "_NodeInstanceUpdateBody"


def get_instance(services: Services, tenant: str, instance_id: str) -> sqlite3.Row:
    row = services.store.one(
        "SELECT * FROM node_instances_v WHERE tenant = ? AND id = ?", (tenant, instance_id)
    )
    if row is None:
        raise NotFound(f"Requested `NodeInstance` with ID `{instance_id}` was not found")
    return row


def parse_force(value: str | None) -> bool:
    return False if value is None else parse_bool(value, "force")


def _checked_body(body: dict[str, Any]) -> dict[str, Any]:
    """The real pydantic model's checks: a non-negative integer `version`, dicts for
    the properties, a list of relationships, a string state."""
    version = body.get("version")
    if version is None:
        raise ValidationError(
            f"1 validation error for {BODY_MODEL}\nversion\n  field required "
            "(type=value_error.missing)"
        )
    if isinstance(version, bool) or not isinstance(version, int) or version < 0:
        raise ValidationError(
            f"1 validation error for {BODY_MODEL}\nversion\n  ensure this value is greater "
            "than or equal to 0 (type=value_error.number.not_ge; limit_value=0)"
            if isinstance(version, int)
            else f"1 validation error for {BODY_MODEL}\nversion\n  value is not a valid "
            "integer (type=type_error.integer)"
        )
    kinds = {"state": str, "runtime_properties": dict, "system_properties": dict}
    for key, kind in {**kinds, "relationships": list}.items():
        if body.get(key) is not None and not isinstance(body[key], kind):
            raise ValidationError(
                f"1 validation error for {BODY_MODEL}\n{key}\n  value is not a valid "
                f"{kind.__name__} (type=type_error.{kind.__name__})"
            )
    return body


def update_instance(
    services: Services, tenant: str, instance_id: str, body: dict[str, Any], *, force: bool
) -> sqlite3.Row:
    """`PATCH /node-instances/<id>`: an older version is a 409 unless `force`; a
    change moves the version on by one; relationships change only in a deployment
    update, which this manager has not."""
    body = _checked_body(body)
    with services.store.tx():
        row = get_instance(services, tenant, instance_id)
        if row["version"] > body["version"] and not force:
            raise Conflict(
                f"Node instance update conflict [current version={row['version']}, update "
                f"version={body['version']}]"
            )
        current = NODE_INSTANCES.render(row, UPDATABLE)
        changed = {
            key: body[key]
            for key in UPDATABLE
            if body.get(key) is not None and body[key] != current[key]
        }
        if "relationships" in changed:  # the real one raises it without a message
            raise OnlyDeploymentUpdate("")
        if changed:
            sets = ", ".join(f"{key} = ?" for key in changed)
            values = [v if key == "state" else dumps(v) for key, v in changed.items()]
            services.store.execute(
                f"UPDATE node_instances SET {sets}, version = version + 1 "
                "WHERE deployment_pk = ? AND id = ?",
                (*values, row["deployment_pk"], instance_id),
            )
        return get_instance(services, tenant, instance_id)


def _summary_field(params: QueryParams, key: str, required: bool) -> str | None:
    value = params.get(key)
    if value is None:
        if not required:
            return None
        raise ValidationError(
            f"1 validation error for SummaryRequest\n{key}\n  field required "
            "(type=value_error.missing)"
        )
    if value not in SUMMARY_FIELDS:
        raise ValidationError(
            f"1 validation error for SummaryRequest\n{key}\n  Invalid summary field: {value}. "
            f"Allowed values: {', '.join(SUMMARY_FIELDS)} (type=value_error)"
        )
    return value


def summarize_instances(
    services: Services, tenants: Sequence[str], params: QueryParams
) -> dict[str, Any]:
    """Instance counts by `_target_field` (and `_sub_field`), in the real shape: one item
    per target value, its sub-counts under `by <sub field>`; pagination counts the
    (target, sub) groups, as the real one does."""
    q = parse_list_query(
        params, filterable=tuple(NODE_INSTANCES.filters), sortable=(), includable=()
    )
    target = _summary_field(params, "_target_field", True)
    sub = _summary_field(params, "_sub_field", False)
    fields = NODE_INSTANCES.filters
    where = Where().within("tenant", tenants).filtered(fields, q.filters)
    groups = [fields[name].sql for name in (target, sub) if name]
    columns = ", ".join(f"{sql} AS g{i}" for i, sql in enumerate(groups))
    grouped = (
        f"SELECT {columns}, COUNT(*) AS n FROM node_instances_v WHERE {where.sql} "
        f"GROUP BY {', '.join(groups)}"
    )
    store = services.store
    total = store.one(f"SELECT COUNT(*) AS n FROM ({grouped})", where.args)["n"]
    order = ", ".join(f"g{i}" for i in range(len(groups)))
    rows = store.all(f"{grouped} ORDER BY {order} LIMIT ? OFFSET ?", [*where.args, *q.limit])
    items: dict[Any, dict[str, Any]] = {}
    for row in rows:
        item = items.setdefault(row["g0"], {target: row["g0"], "node_instances": 0})
        if sub:
            item.setdefault(f"by {sub}", []).append({sub: row["g1"], "node_instances": row["n"]})
        item["node_instances"] += row["n"]
    pagination = {"total": total, "size": q.size, "offset": q.offset}
    return {"items": list(items.values()), "metadata": {"pagination": pagination}}
