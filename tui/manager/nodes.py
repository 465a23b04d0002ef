"""Nodes and node instances as the real manager keeps them, made from a stored plan.

The plan keeps a node's type hierarchy, relationships (type and target) and declared
operations; this module derives what the real manager's `nodes` and `node_instances`
rows hold besides: the host of each node and instance (the Compute node it is
contained in, itself for a Compute), the instances' relationships to the target
instances, the node's `operations` and `relationships` as the API shows them, and
the runtime properties the simulated lifecycle leaves on an instance.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any

from tui.manager.blueprints import node_instance_id
from tui.manager.columns import Row

COMPUTE = "cloudify.nodes.Compute"
CONTAINED_IN = "cloudify.relationships.contained_in"
DEPENDS_ON = "cloudify.relationships.depends_on"
# The relationship types of the standard types file, with their ancestors.
RELATIONSHIP_HIERARCHIES = {
    DEPENDS_ON: [DEPENDS_ON],
    CONTAINED_IN: [DEPENDS_ON, CONTAINED_IN],
    "cloudify.relationships.connected_to": [DEPENDS_ON, "cloudify.relationships.connected_to"],
    "cloudify.relationships.file_system_depends_on": [
        DEPENDS_ON,
        "cloudify.relationships.file_system_depends_on",
    ],
    "cloudify.relationships.file_system_contained_in": [
        DEPENDS_ON,
        CONTAINED_IN,
        "cloudify.relationships.file_system_contained_in",
    ],
}
OPERATION_FIELDS = {
    "executor": None,
    "inputs": {},
    "has_intrinsic_functions": False,
    "max_retries": None,
    "retry_interval": None,
    "timeout": None,
    "timeout_recoverable": None,
}


@functools.lru_cache(maxsize=512)
def _parsed(text: str) -> Any:
    return json.loads(text)


def node_of(row: Row) -> dict[str, Any]:
    """The plan node of a `nodes_v` row (parsed once per text; never mutate it)."""
    node: dict[str, Any] = _parsed(row["node"])
    return node


def is_contained_in(rel_type: str) -> bool:
    return CONTAINED_IN in RELATIONSHIP_HIERARCHIES.get(rel_type, [rel_type])


def hosts(nodes: Sequence[Mapping[str, Any]]) -> dict[str, str | None]:
    """Each node's host node: itself for a Compute, else the host of the node it is
    contained in (None when there is none). `nodes` are in dependency order."""
    result: dict[str, str | None] = {}
    for node in nodes:
        host = node["id"] if COMPUTE in node["type_hierarchy"] else None
        for rel in node["relationships"]:
            if host is None and is_contained_in(rel["type"]):
                host = result.get(rel["target_id"])
        result[node["id"]] = host
    return result


def with_hosts(nodes: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The plan's nodes as a deployment stores them: each with its `host_id`."""
    host_of = hosts(nodes)
    return [dict(node, host_id=host_of[node["id"]]) for node in nodes]


def node_relationships(node: Mapping[str, Any]) -> list[dict[str, Any]]:
    """A node's relationships as `/nodes` shows them (no operations are simulated on
    relationships, so none are listed)."""
    return [
        {
            "target_id": rel["target_id"],
            "type": rel["type"],
            "type_hierarchy": RELATIONSHIP_HIERARCHIES.get(rel["type"], [rel["type"]]),
            "properties": {"connection_type": "all_to_all"},
            "source_operations": {},
            "target_operations": {},
        }
        for rel in node["relationships"]
    ]


def node_operations(node: Mapping[str, Any]) -> dict[str, Any]:
    """The node's declared operations, by full name and (as the real parser does, when
    no other interface has it) by short name."""
    declared: dict[str, str | None] = node.get("interfaces") or {}
    shorts = [name.rsplit(".", 1)[-1] for name in declared]
    result: dict[str, Any] = {}
    for name, mapping in declared.items():
        plugin, _, operation = (mapping or "").partition(".")
        entry = {"plugin": plugin, "operation": operation, **OPERATION_FIELDS, "inputs": {}}
        short = name.rsplit(".", 1)[-1]
        if shorts.count(short) == 1:
            result[short] = entry
        result[name] = dict(entry)
    return result


def new_instances(
    key: str,
    nodes: Sequence[Mapping[str, Any]],
    wanted: Sequence[tuple[str, int]],
    existing: Sequence[Mapping[str, Any]] = (),
) -> list[dict[str, Any]]:
    """The rows of new instances `(node id, idx)` of deployment `key` (tenant/id): a
    `contained_in` relationship goes to one target instance (its index's), any other
    to every instance of the target; an instance's host is itself for a Compute, else
    its container's host. `existing` instances (id, node_id, host_id) are targets too."""
    order = {node["id"]: position for position, node in enumerate(nodes)}
    node_by_id = {node["id"]: node for node in nodes}
    host_of = hosts(nodes)
    by_node: dict[str, list[Mapping[str, Any]]] = {}
    for row in existing:
        by_node.setdefault(row["node_id"], []).append(row)
    rows: list[dict[str, Any]] = []
    for node_id, idx in sorted(wanted, key=lambda item: (order[item[0]], item[1])):
        instance_id = node_instance_id(key, node_id, idx)
        host = instance_id if host_of[node_id] == node_id else None
        relationships = []
        for rel in node_by_id[node_id]["relationships"]:
            targets = by_node.get(rel["target_id"], [])
            if targets and is_contained_in(rel["type"]):
                targets = [targets[idx % len(targets)]]
                host = host or targets[0]["host_id"]
            relationships.extend(
                {"type": rel["type"], "target_name": rel["target_id"], "target_id": t["id"]}
                for t in targets
            )
        row = {
            "id": instance_id,
            "node_id": node_id,
            "idx": idx,
            "host_id": host,
            "relationships": relationships,
        }
        by_node.setdefault(node_id, []).append(row)
        rows.append(row)
    return rows


def all_instances(nodes: Sequence[Mapping[str, Any]]) -> list[tuple[str, int]]:
    """`(node id, idx)` of every instance a new deployment of `nodes` has."""
    return [(node["id"], index) for node in nodes for index in range(node["instances"])]


def simulated_ip(instance_id: str) -> str:
    """The private address a simulated Compute instance gets: stable for its id."""
    digest = hashlib.sha256(instance_id.encode()).digest()
    return f"10.0.{digest[0]}.{digest[1] % 250 + 2}"


def created_properties(node: Mapping[str, Any], instance_id: str) -> dict[str, Any] | None:
    """What a create operation leaves in an instance's runtime properties: a Compute
    gets its address (`ip`), as an infrastructure plugin's create sets it; None leaves
    other nodes' properties as they are."""
    if COMPUTE in node.get("type_hierarchy", []):
        return {"ip": simulated_ip(instance_id)}
    return None
