"""`/nodes`, `/node-instances` and `/summary/node_instances`: a deployment's nodes and
their instances, read through the list pipeline, and the update a worker (or the
official client's `node_instances.update`) sends, with its optimistic version check.

As in the real 7.x, there is no `GET /nodes/<deployment>/<node>`: the client's
`nodes.get` lists with `deployment_id` and `id`. A deployment that does not exist
lists nothing (no 404), while an unknown node instance id is a 404.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.routing import Route

from tui.manager import node_instances as instances
from tui.manager.endpoint import API, Ctx, endpoint
from tui.manager.listing import Where, envelope, page, parse_include, parse_list_query
from tui.manager.tables import NODE_INSTANCES, NODES


def _searched(where: Where, flags: dict[str, list[str]]) -> Where:
    """`_search`: a case-insensitive substring of the id."""
    for value in flags.get("_search", []):
        where.add("instr(lower(id), lower(?)) > 0", value)
    return where


@endpoint("node_list")
async def nodes_list(request: Request, ctx: Ctx) -> Any:
    q = parse_list_query(
        request.query_params,
        filterable=tuple(NODES.filters),
        sortable=tuple(NODES.sorts),
        includable=NODES.keys,
    )
    where = Where().within("tenant", ctx.tenants(request)).filtered(NODES.filters, q.filters)
    tiebreak = ("deployment_created_at ASC", "deployment_pk ASC", "position ASC")
    rows, total = page(
        ctx.services.store, q, "nodes_v", NODES.sorts, _searched(where, q.flags), tiebreak
    )
    render = NODES.renderer(q.include)
    return envelope([render(r) for r in rows], total, q)


@endpoint("node_instance_list")
async def node_instances_list(request: Request, ctx: Ctx) -> Any:
    q = parse_list_query(
        request.query_params,
        filterable=tuple(NODE_INSTANCES.filters),
        sortable=tuple(NODE_INSTANCES.sorts),
        includable=NODE_INSTANCES.keys,
    )
    fields = NODE_INSTANCES.filters
    where = Where().within("tenant", ctx.tenants(request)).filtered(fields, q.filters)
    rows, total = page(
        ctx.services.store,
        q,
        "node_instances_v",
        NODE_INSTANCES.sorts,
        _searched(where, q.flags),
        ("storage_id ASC",),
    )
    render = NODE_INSTANCES.renderer(q.include)
    return envelope([render(r) for r in rows], total, q)


@endpoint("node_instance_get")
async def node_instance_get(request: Request, ctx: Ctx) -> Any:
    include = parse_include(request.query_params, NODE_INSTANCES.keys)
    row = instances.get_instance(ctx.services, ctx.tenant or "", request.path_params["ni_id"])
    return NODE_INSTANCES.render(row, include)


@endpoint("node_instance_update", body=True)
async def node_instance_update(request: Request, ctx: Ctx) -> Any:
    force = request.query_params.get("force")
    row = instances.update_instance(
        ctx.services,
        ctx.tenant or "",
        request.path_params["ni_id"],
        ctx.body,
        force=instances.parse_force(force),
    )
    return NODE_INSTANCES.render(row)


@endpoint("node_instance_list")
async def node_instances_summary(request: Request, ctx: Ctx) -> Any:
    return instances.summarize_instances(ctx.services, ctx.tenants(request), request.query_params)


ROUTES = [
    Route(f"{API}/nodes", nodes_list, methods=["GET"]),
    Route(f"{API}/node-instances", node_instances_list, methods=["GET"]),
    Route(f"{API}/node-instances/{{ni_id}}", node_instance_get, methods=["GET"]),
    Route(f"{API}/node-instances/{{ni_id}}", node_instance_update, methods=["PATCH"]),
    Route(f"{API}/summary/node_instances", node_instances_summary, methods=["GET"]),
]
