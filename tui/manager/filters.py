"""Saved deployments filters (`/filters/deployments`): named lists of filter rules.

A filter belongs to a tenant; a global one is seen from every tenant, a private one
only by its creator (and admins). The real manager's bootstrap makes 22 system filters
(global, in `default_tenant`, by `admin`), which can be neither changed nor deleted;
`ensure_system_filters` makes the same ones here. Rules are checked by filter_rules.py.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from tui.manager.auth import DEFAULT_TENANT, Identity
from tui.manager.bodies import VISIBILITIES, param, validate_input, visibility
from tui.manager.columns import dumps, loads
from tui.manager.errors import BadParameters, Conflict, IllegalAction, NotFound
from tui.manager.filter_rules import filter_rules
from tui.manager.listing import Where
from tui.manager.services import Services
from tui.manager.store import marks

RESERVED_PREFIX = "csys-"
_OBJ_TYPES = (
    ("csys-k8s-filter", "k8s"),
    ("csys-terraform-filter", "terraform"),
    *(
        (f"{name}-deployments", name)
        for name in [
            "aws",
            "azure",
            "gcp",
            "terragrunt",
            "helm",
            "ansible",
            "starlingx",
            "vsphere",
            "docker",
            "netconf",
            "fabric",
            "libvirt",
            "utilities",
            "host-pool",
            "diamond",
            "openstack",
            "openstack-v3",
            "vcloud",
        ]
    ),
)


def _label_rule(key: str, values: list[str], operator: str) -> dict[str, Any]:
    return {"key": key, "values": values, "operator": operator, "type": "label"}


def system_filters() -> list[tuple[str, list[dict[str, Any]]]]:
    """The real `configure_manager.create_system_filters`, in its order."""
    no_parent = _label_rule("csys-obj-parent", [], "is_null")
    return [
        (
            "csys-environment-filter",
            [_label_rule("csys-obj-type", ["environment"], "any_of"), no_parent],
        ),
        (
            "csys-service-filter",
            [_label_rule("csys-obj-type", ["environment"], "is_not"), no_parent],
        ),
        *((fid, [_label_rule("obj-type", [value], "any_of")]) for fid, value in _OBJ_TYPES),
    ]


def ensure_system_filters(services: Services) -> None:
    """The system filters, made once (a data directory of an older version gets them)."""
    stamp = services.clock.stamp()
    with services.store.tx():
        for filter_id, rules in system_filters():
            services.store.execute(
                "INSERT OR IGNORE INTO deployments_filters (tenant, id, visibility, value, "
                "created_at, updated_at, is_system_filter, created_by) "
                "VALUES (?, ?, 'global', ?, ?, ?, 1, 'admin')",
                (DEFAULT_TENANT, filter_id, dumps(rules), stamp, stamp),
            )


def visible(where: Where, tenants: list[str], identity: Identity) -> Where:
    """The filters of `tenants` and the global ones; private ones only to their
    creator or an admin."""
    where.add(f"(tenant IN ({marks(tenants)}) OR visibility = 'global')", *tenants)
    if not identity.is_admin:
        where.add("(visibility != 'private' OR created_by = ?)", identity.username)
    return where


def get_filter(services: Services, tenant: str, identity: Identity, filter_id: str) -> sqlite3.Row:
    validate_input("filter_id", filter_id)
    where = visible(Where(), [tenant], identity).add("id = ?", filter_id)
    row = services.store.one(
        f"SELECT * FROM deployments_filters WHERE {where.sql} ORDER BY (tenant = ?) DESC LIMIT 1",
        [*where.args, tenant],
    )
    if row is None:
        raise NotFound(f"Requested `DeploymentsFilter` with ID `{filter_id}` was not found")
    return row


def rules_of(services: Services, tenant: str, identity: Identity, filter_id: str) -> list[Any]:
    """The rules of a saved filter (`_filter_id`)."""
    return list(loads(get_filter(services, tenant, identity, filter_id)["value"], []))


def create_filter(
    services: Services, tenant: str, identity: Identity, filter_id: str, body: dict[str, Any]
) -> None:
    validate_input("filter_id", filter_id)
    if filter_id.lower().startswith(RESERVED_PREFIX):
        raise BadParameters(
            f"All filters with a `{RESERVED_PREFIX}` prefix are reserved for internal use."
        )
    rules = filter_rules(param(body, "filter_rules", list, required=True))
    shown = visibility(body, VISIBILITIES) or "tenant"
    clash = services.store.one(
        "SELECT 1 FROM deployments_filters WHERE id = ? AND (tenant = ? OR visibility = 'global'"
        " OR ? = 'global')",
        (filter_id, tenant, shown),
    )
    if clash is not None:
        raise Conflict(
            f"<DeploymentsFilter id=`{filter_id}` tenant=`{tenant}`> already exists on "
            f"<Tenant name=`{tenant}`> or with global visibility"
        )
    stamp = services.clock.stamp()
    services.store.insert(
        "deployments_filters",
        {
            "tenant": tenant,
            "id": filter_id,
            "visibility": shown,
            "value": dumps(rules),
            "created_at": stamp,
            "updated_at": stamp,
            "is_system_filter": 0,
            "created_by": identity.username,
        },
    )


def _not_system(row: sqlite3.Row, action: str) -> None:
    if row["is_system_filter"]:
        raise IllegalAction(f"Cannot {action} a system filter")


def _new_value(row: sqlite3.Row, raw: list[Any]) -> list[dict[str, Any]]:
    """The real PATCH: rules of one type replace only the filter's rules of that type."""
    rules = filter_rules(raw)
    kinds = {rule["type"] for rule in rules}
    if kinds == {"label", "attribute"}:
        return rules
    kept = "label" if kinds == {"attribute"} else "attribute"
    return [rule for rule in loads(row["value"], []) if rule["type"] == kept] + rules


def update_filter(
    services: Services, tenant: str, identity: Identity, filter_id: str, body: dict[str, Any]
) -> None:
    validate_input("filter_id", filter_id)
    if not body:
        raise IllegalAction("Update a filter request must include at least one parameter to update")
    raw = param(body, "filter_rules", list)
    shown = visibility(body, VISIBILITIES)
    row = get_filter(services, tenant, identity, filter_id)
    _not_system(row, "update")
    if shown and VISIBILITIES.index(shown) < VISIBILITIES.index(row["visibility"]):
        raise IllegalAction(
            f"Can't set the visibility of `{filter_id}` to {shown} because it already has "
            "wider visibility"
        )
    value = _new_value(row, raw) if raw else loads(row["value"], [])
    services.store.execute(
        "UPDATE deployments_filters SET visibility = ?, value = ?, updated_at = ? "
        "WHERE tenant = ? AND id = ?",
        (
            shown or row["visibility"],
            dumps(value),
            services.clock.stamp(),
            row["tenant"],
            filter_id,
        ),
    )


def delete_filter(services: Services, tenant: str, identity: Identity, filter_id: str) -> None:
    row = get_filter(services, tenant, identity, filter_id)
    _not_system(row, "delete")
    services.store.execute(
        "DELETE FROM deployments_filters WHERE tenant = ? AND id = ?", (row["tenant"], filter_id)
    )
