"""`/deployment-groups`: list, read, create or update, add or remove members, delete
(the rules are `deployment_groups.py`)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tui.manager import deployment_groups as groups
from tui.manager.endpoint import API, Ctx, endpoint
from tui.manager.listing import envelope, parse_include, query_bool, tenant_page
from tui.manager.tables import DEPLOYMENT_GROUPS


@endpoint("deployment_group_list")
async def groups_list(request: Request, ctx: Ctx) -> Any:
    store = ctx.services.store
    rows, total, q = tenant_page(
        store, request.query_params, DEPLOYMENT_GROUPS, ctx.tenants(request)
    )
    return envelope(groups.render_groups(ctx.services.store, rows, q.include), total, q)


def _one(ctx: Ctx, group_id: str) -> dict[str, Any]:
    row = groups.get_group(ctx.services.store, ctx.tenant or "", group_id)
    return groups.render_groups(ctx.services.store, [row])[0]


@endpoint("deployment_group_get")
async def group_get(request: Request, ctx: Ctx) -> Any:
    include = parse_include(request.query_params, DEPLOYMENT_GROUPS.keys)
    row = groups.get_group(ctx.services.store, ctx.tenant or "", request.path_params["group_id"])
    return groups.render_groups(ctx.services.store, [row], include)[0]


@endpoint("deployment_group_create", body=True)
async def group_put(request: Request, ctx: Ctx) -> Any:
    group_id = request.path_params["group_id"]
    groups.put_group(ctx.services, ctx.tenant or "", ctx.identity, group_id, ctx.body)
    return _one(ctx, group_id)


@endpoint("deployment_group_update", body=True)
async def group_patch(request: Request, ctx: Ctx) -> Any:
    group_id = request.path_params["group_id"]
    groups.patch_group(ctx.services, ctx.tenant or "", ctx.identity, group_id, ctx.body)
    return _one(ctx, group_id)


@endpoint("deployment_group_delete")
async def group_delete(request: Request, ctx: Ctx) -> Any:
    delete_deployments = query_bool(request.query_params, "delete_deployments")
    groups.delete_group(
        ctx.services, ctx.tenant or "", request.path_params["group_id"], delete_deployments
    )
    return Response(status_code=204)


ROUTES = [
    Route(f"{API}/deployment-groups", groups_list, methods=["GET"]),
    Route(f"{API}/deployment-groups/{{group_id}}", group_get, methods=["GET"]),
    Route(f"{API}/deployment-groups/{{group_id}}", group_put, methods=["PUT"]),
    Route(f"{API}/deployment-groups/{{group_id}}", group_patch, methods=["PATCH"]),
    Route(f"{API}/deployment-groups/{{group_id}}", group_delete, methods=["DELETE"]),
]
