"""`/execution-groups`: list, read, start, act on and update execution groups (the rules are
`execution_groups.py`)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.routing import Route

from tui.manager import execution_groups as groups
from tui.manager.endpoint import API, Ctx, endpoint
from tui.manager.listing import envelope, parse_include, query_bool, tenant_page
from tui.manager.tables import EXECUTION_GROUPS


@endpoint("execution_group_list")
async def groups_list(request: Request, ctx: Ctx) -> Any:
    """Groups without their executions and status unless `_get_data` (the real list)."""
    store = ctx.services.store
    rows, total, q = tenant_page(
        store, request.query_params, EXECUTION_GROUPS, ctx.tenants(request)
    )
    data = query_bool(request.query_params, "_get_data")
    return envelope(groups.render_groups(ctx.services.store, rows, q.include, data=data), total, q)


@endpoint("execution_group_get")
async def group_get(request: Request, ctx: Ctx) -> Any:
    include = parse_include(request.query_params, EXECUTION_GROUPS.keys)
    row = groups.get_group(ctx.services.store, [ctx.tenant or ""], request.path_params["group_id"])
    return groups.render_groups(ctx.services.store, [row], include, data=True)[0]


@endpoint("execution_group_create", body=True)
async def group_start(request: Request, ctx: Ctx) -> Any:
    """Start a group; 200 with the group, its executions and status (the real code)."""
    row = groups.start_group(
        ctx.services, ctx.engine, ctx.tenant or "", ctx.identity.username, ctx.body
    )
    return groups.render_groups(ctx.services.store, [row], None, data=True)[0]


@endpoint("execution_group_cancel", body=True)
async def group_action(request: Request, ctx: Ctx) -> Any:
    """cancel / force-cancel / kill / resume / force-resume; the group is shown without
    its executions and status, as the real answer shows it."""
    row = groups.group_action(
        ctx.services, ctx.engine, [ctx.tenant or ""], request.path_params["group_id"], ctx.body
    )
    return groups.render_groups(ctx.services.store, [row], None, data=False)[0]


@endpoint("execution_group_update", body=True)
async def group_update(request: Request, ctx: Ctx) -> Any:
    """A new concurrency; shown without executions and status, as the real answer."""
    row = groups.update_group(
        ctx.services, ctx.engine, [ctx.tenant or ""], request.path_params["group_id"], ctx.body
    )
    return groups.render_groups(ctx.services.store, [row], None, data=False)[0]


ROUTES = [
    Route(f"{API}/execution-groups", groups_list, methods=["GET"]),
    Route(f"{API}/execution-groups", group_start, methods=["POST"]),
    Route(f"{API}/execution-groups/{{group_id}}", group_get, methods=["GET"]),
    Route(f"{API}/execution-groups/{{group_id}}", group_action, methods=["POST"]),
    Route(f"{API}/execution-groups/{{group_id}}", group_update, methods=["PATCH"]),
]
