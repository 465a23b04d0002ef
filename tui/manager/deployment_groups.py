"""Deployment groups: a named set of a tenant's deployments, with labels of its own.

Follows the real `DeploymentGroupsId` (7.0.4). `PUT` creates or updates a group: the
attributes given replace the stored ones, `deployment_ids` / `filter_id` replace the
members (`filter_rules` only adds), labels replace the group's labels. A group's labels
are written onto its members as deployment labels: labels new to the group go to the
members it has before this request's members are added (so a new group's labels reach
no member, as on the real manager), a deployment added later gets the group's labels,
and a label removed from the group is removed from its members. `PATCH` adds and
removes members. Membership lives in `deployment_group_members` (indexed both ways), so
a deployment's `deployment_groups` and `GET /deployments?_group_id=` are lookups.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

from tui.manager import filters
from tui.manager.auth import Identity
from tui.manager.columns import dumps
from tui.manager.errors import BadParameters, NotFound, StorageError
from tui.manager.filter_rules import apply_rules, filter_rules
from tui.manager.labels import add_labels, labels_list
from tui.manager.listing import Where
from tui.manager.services import Services
from tui.manager.store import Store, marks
from tui.manager.tables import DEPLOYMENT_GROUPS

VISIBILITIES = ("private", "tenant", "global")
# Keys of a PUT body; the real one takes these and refuses nothing else.
PUT_KEYS = (
    "description",
    "visibility",
    "labels",
    "blueprint_id",
    "default_inputs",
    "filter_id",
    "filter_rules",
    "deployment_ids",
    "new_deployments",
    "deployments_from_group",
    "created_by",
    "created_at",
    "creation_counter",
)


def get_group(store: Store, tenant: str, group_id: str) -> sqlite3.Row:
    row = store.one(
        "SELECT * FROM deployment_groups WHERE tenant = ? AND id = ?", (tenant, group_id)
    )
    if row is None:
        raise NotFound(f"Requested `DeploymentGroup` with ID `{group_id}` was not found")
    return row


def member_ids(store: Store, group_pks: Sequence[int]) -> dict[int, list[str]]:
    """The deployment ids of each group, in the order the deployments were created."""
    result: dict[int, list[str]] = {pk: [] for pk in group_pks}
    for start in range(0, len(group_pks), 500):
        chunk = list(group_pks[start : start + 500])
        for row in store.all(
            "SELECT m.group_pk, d.id FROM deployment_group_members m JOIN deployments d "
            f"ON d.pk = m.deployment_pk WHERE m.group_pk IN ({marks(chunk)}) "
            "ORDER BY d.created_at, d.pk",
            chunk,
        ):
            result[row["group_pk"]].append(row["id"])
    return result


def group_labels(store: Store, group_pks: Sequence[int]) -> dict[int, list[dict[str, Any]]]:
    """The labels of each group, as a group shows them, oldest first."""
    result: dict[int, list[dict[str, Any]]] = {pk: [] for pk in group_pks}
    if not group_pks:
        return result
    for row in store.all(
        "SELECT group_pk, key, value, created_at, created_by FROM deployment_groups_labels "
        f"WHERE group_pk IN ({marks(group_pks)}) ORDER BY group_pk, rowid",
        list(group_pks),
    ):
        result[row["group_pk"]].append(
            {k: row[k] for k in ("key", "value", "created_at", "created_by")}
        )
    return result


def render_groups(
    store: Store, rows: Sequence[sqlite3.Row], include: set[str] | None = None
) -> list[dict[str, Any]]:
    """Groups as the API shows them (the members and labels read once for all)."""
    pks = [r["pk"] for r in rows]
    keys = DEPLOYMENT_GROUPS.keys if include is None else include
    members = member_ids(store, pks) if "deployment_ids" in keys else {}
    labels = group_labels(store, pks) if "labels" in keys else {}
    render = DEPLOYMENT_GROUPS.renderer(include)
    return [
        render(r, deployment_ids=members.get(r["pk"]), labels=labels.get(r["pk"])) for r in rows
    ]


def groups_of(store: Store, deployment_pks: Sequence[int]) -> dict[int, list[str]]:
    """The group ids of each deployment (its `deployment_groups`)."""
    result: dict[int, list[str]] = {pk: [] for pk in deployment_pks}
    for start in range(0, len(deployment_pks), 500):
        chunk = list(deployment_pks[start : start + 500])
        for row in store.all(
            "SELECT m.deployment_pk, g.id FROM deployment_group_members m JOIN "
            f"deployment_groups g ON g.pk = m.group_pk WHERE m.deployment_pk IN ({marks(chunk)}) "
            "ORDER BY g.pk",
            chunk,
        ):
            result[row["deployment_pk"]].append(row["id"])
    return result


def put_group(
    services: Services, tenant: str, identity: Identity, group_id: str, body: dict[str, Any]
) -> sqlite3.Row:
    """`PUT /deployment-groups/<id>`: create the group or update it (see the module)."""
    store = services.store
    if body.get("new_deployments"):
        raise BadParameters("Creating deployments through a group is not supported by this manager")
    stamp = services.clock.stamp()
    with store.tx():
        row = store.one(
            "SELECT * FROM deployment_groups WHERE tenant = ? AND id = ?", (tenant, group_id)
        )
        if row is None:
            store.insert(
                "deployment_groups",
                {
                    "created_at": stamp,
                    "id": group_id,
                    "visibility": "tenant",
                    "tenant": tenant,
                    "created_by": identity.username,
                },
            )
            row = get_group(store, tenant, group_id)
        _set_attributes(services, tenant, row["pk"], body)
        kept = _label_pairs(store, row["pk"])
        if body.get("labels") is not None:
            wanted = _group_label_pairs(body["labels"])
            _set_labels(store, row["pk"], wanted, stamp, identity)
            kept = [p for p in kept if p in wanted]
        if any(body.get(k) is not None for k in ("deployment_ids", "filter_id")) or body.get(
            "deployments_from_group"
        ):
            store.execute("DELETE FROM deployment_group_members WHERE group_pk = ?", (row["pk"],))
        # The real manager adds the labels the group had before this request to the
        # members it adds, not those the request gave it (probed on 7.0.4).
        add_members(services, tenant, identity, row["pk"], body, stamp, kept)
        return get_group(store, tenant, group_id)


def _set_attributes(services: Services, tenant: str, pk: int, body: dict[str, Any]) -> None:
    sets: dict[str, Any] = {}
    visibility = body.get("visibility")
    if visibility is not None:
        if visibility not in VISIBILITIES:  # the real one leaves it to PostgreSQL
            raise StorageError(
                f'SQL Storage error: invalid input value for enum visibility_states: "{visibility}"'
            )
        sets["visibility"] = visibility
    if body.get("default_inputs") is not None:
        sets["default_inputs"] = dumps(body["default_inputs"])
    if body.get("description") is not None:
        sets["description"] = body["description"]
    if body.get("creation_counter") is not None:
        sets["creation_counter"] = body["creation_counter"]
    if body.get("blueprint_id"):
        found = services.store.one(
            "SELECT id FROM blueprints WHERE tenant = ? AND id = ?", (tenant, body["blueprint_id"])
        )
        if found is None:
            raise NotFound(f"Requested `Blueprint` with ID `{body['blueprint_id']}` was not found")
        sets["default_blueprint_id"] = found["id"]
    if sets:
        assignments = ", ".join(f"{k} = ?" for k in sets)
        services.store.execute(
            f"UPDATE deployment_groups SET {assignments} WHERE pk = ?", (*sets.values(), pk)
        )


def _group_label_pairs(raw: Any) -> list[tuple[str, str]]:
    """A group's labels: `{k: v}` entries, or `{"key", "value"}` ones (as dumped)."""
    if isinstance(raw, list):
        raw = [
            {label["key"]: label["value"]}
            if isinstance(label, dict) and "key" in label and "value" in label
            else label
            for label in raw
        ]
    return labels_list(raw)


def _label_pairs(store: Store, pk: int) -> list[tuple[str, str]]:
    return [
        (r["key"], r["value"])
        for r in store.all(
            "SELECT key, value FROM deployment_groups_labels WHERE group_pk = ? ORDER BY rowid",
            (pk,),
        )
    ]


def _set_labels(
    store: Store, pk: int, pairs: list[tuple[str, str]], stamp: str, identity: Identity
) -> None:
    """The group's labels become `pairs`; new ones are added to its current members,
    removed ones removed from them."""
    current = set(_label_pairs(store, pk))
    new = [p for p in pairs if p not in current]
    gone = [p for p in current if p not in set(pairs)]
    members = [
        r["deployment_pk"]
        for r in store.all(
            "SELECT deployment_pk FROM deployment_group_members WHERE group_pk = ?", (pk,)
        )
    ]
    for key, value in gone:
        store.execute(
            "DELETE FROM deployment_groups_labels WHERE group_pk = ? AND key = ? AND value = ?",
            (pk, key, value),
        )
        store.execute(
            "DELETE FROM deployments_labels WHERE key = ? AND value = ? AND deployment_pk IN "
            "(SELECT deployment_pk FROM deployment_group_members WHERE group_pk = ?)",
            (key, value, pk),
        )
    store.executemany(
        "INSERT INTO deployment_groups_labels (group_pk, key, value, created_at, created_by) "
        "VALUES (?,?,?,?,?)",
        [(pk, k, v, stamp, identity.username) for k, v in new],
    )
    for member in members:
        add_labels(store, member, new, stamp, identity.username)


def _matching(
    services: Services, tenant: str, identity: Identity, spec: dict[str, Any]
) -> list[int]:
    """The deployments a body's `deployment_ids`, `filter_id`, `filter_rules` and
    `deployments_from_group` name (a missing deployment or filter is a 404)."""
    store = services.store
    pks: list[int] = []
    for dep_id in spec.get("deployment_ids") or []:
        row = store.one("SELECT pk FROM deployments WHERE tenant = ? AND id = ?", (tenant, dep_id))
        if row is None:
            raise NotFound(f"Requested `Deployment` with ID `{dep_id}` was not found")
        pks.append(row["pk"])
    rule_sets = []
    if spec.get("filter_id") is not None:
        rule_sets.append(filters.rules_of(services, tenant, identity, spec["filter_id"]))
    if spec.get("filter_rules"):
        rule_sets.append(filter_rules(spec["filter_rules"]))
    for rules in rule_sets:
        where = apply_rules(Where().add("tenant = ?", tenant), rules)
        pks += [
            r["pk"] for r in store.all(f"SELECT pk FROM deployments WHERE {where.sql}", where.args)
        ]
    other = spec.get("deployments_from_group")
    if other:
        source = get_group(store, tenant, other)
        pks += [
            r["deployment_pk"]
            for r in store.all(
                "SELECT deployment_pk FROM deployment_group_members WHERE group_pk = ?",
                (source["pk"],),
            )
        ]
    return list(dict.fromkeys(pks))


def add_members(
    services: Services,
    tenant: str,
    identity: Identity,
    group_pk: int,
    spec: dict[str, Any],
    stamp: str,
    labels: list[tuple[str, str]] | None = None,
) -> None:
    """Add the deployments `spec` names; each gets `labels` (default: the group's)."""
    store = services.store
    pks = _matching(services, tenant, identity, spec)
    store.executemany(
        "INSERT OR IGNORE INTO deployment_group_members (group_pk, deployment_pk) VALUES (?, ?)",
        [(group_pk, pk) for pk in pks],
    )
    if labels is None:
        labels = _label_pairs(store, group_pk)
    for pk in pks:
        add_labels(store, pk, labels, stamp, identity.username)


def patch_group(
    services: Services, tenant: str, identity: Identity, group_id: str, body: dict[str, Any]
) -> sqlite3.Row:
    """`PATCH /deployment-groups/<id>`: `add` and `remove` members."""
    store = services.store
    add, remove = body.get("add"), body.get("remove")
    for name, spec in (("add", add), ("remove", remove)):
        if spec and not isinstance(spec, dict):
            raise BadParameters(f"{name} must be a dict")
    if add and add.get("new_deployments"):
        raise BadParameters("Creating deployments through a group is not supported by this manager")
    with store.tx():
        group = get_group(store, tenant, group_id)
        if add:
            add_members(services, tenant, identity, group["pk"], add, services.clock.stamp())
        if remove:
            pks = _matching(services, tenant, identity, remove)
            store.executemany(
                "DELETE FROM deployment_group_members WHERE group_pk = ? AND deployment_pk = ?",
                [(group["pk"], pk) for pk in pks],
            )
    return get_group(store, tenant, group_id)


def delete_group(services: Services, tenant: str, group_id: str, delete_deployments: bool) -> None:
    """`DELETE /deployment-groups/<id>`: the group, its labels and its membership rows
    (its members' labels stay), and, as the real foreign keys cascade, the execution
    groups started on it with their own events; their executions stay (a queued one
    is then an ordinary queued execution)."""
    if delete_deployments:
        raise BadParameters(
            "Deleting a group's deployments with it (delete_deployments) is not supported by "
            "this manager; delete them one by one"
        )
    store = services.store
    with store.tx():
        group = get_group(store, tenant, group_id)
        for table in ("deployment_group_members", "deployment_groups_labels"):
            store.execute(f"DELETE FROM {table} WHERE group_pk = ?", (group["pk"],))
        started = "SELECT {} FROM execution_groups WHERE tenant = ? AND deployment_group_id = ?"
        ids = started.format("id")
        store.execute(
            f"DELETE FROM events WHERE tenant = ? AND execution_group_id IN ({ids})",
            (tenant, tenant, group_id),
        )
        store.execute(
            f"DELETE FROM execution_group_members WHERE group_pk IN ({started.format('pk')})",
            (tenant, group_id),
        )
        store.execute(
            "DELETE FROM execution_groups WHERE tenant = ? AND deployment_group_id = ?",
            (tenant, group_id),
        )
        store.execute("DELETE FROM deployment_groups WHERE pk = ?", (group["pk"],))
