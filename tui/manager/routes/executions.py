"""`/executions`: list, read, start, act on, update and delete executions."""

from __future__ import annotations

import sqlite3
from collections.abc import Collection
from typing import Any

from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tui.manager import executions as execs
from tui.manager.admission import start_execution
from tui.manager.endpoint import API, Ctx, endpoint
from tui.manager.listing import (
    ListQuery,
    Where,
    envelope,
    page,
    parse_bool,
    parse_include,
    parse_list_query,
)
from tui.manager.statuses import END_STATES
from tui.manager.versions import emulation


def _render(ctx: Ctx, row: sqlite3.Row, include: Collection[str] | None = None) -> Any:
    return execs.render_execution(row, emulation(ctx.services.emulate), include)


@endpoint("execution_list")
async def executions_list(request: Request, ctx: Ctx) -> Any:
    fields = emulation(ctx.services.emulate).execution_fields
    q = _list_query(ctx, request.query_params)
    where = Where().within("tenant", ctx.tenants(request)).filtered(fields, q.filters)
    include_system = parse_bool(
        (q.flags.get("_include_system_workflows") or ["false"])[-1], "_include_system_workflows"
    )
    if not include_system and "is_system_workflow" not in q.filters:
        where.add("is_system_workflow = 0")
    for group_id in q.flags.get("_group_id", []):
        where.add(
            "id IN (SELECT m.execution_id FROM execution_group_members m JOIN execution_groups g "
            "ON g.pk = m.group_pk WHERE g.id = ? AND g.tenant = tenant)",
            group_id,
        )
    # Executions that have not ended are few: find them by status and sort them, rather
    # than let SQLite walk every execution in created_at order to avoid that sort.
    statuses = q.filters.get("status")
    hint = ""
    if statuses and "deployment_id" not in q.filters and not set(statuses) & set(END_STATES):
        hint = " INDEXED BY executions_by_status"
    tiebreak = ("created_at ASC", "rowid ASC")
    rows, total = page(ctx.services.store, q, "executions", fields, where, tiebreak, hint=hint)
    return envelope([_render(ctx, r, q.include) for r in rows], total, q)


def _list_query(ctx: Ctx, params: QueryParams) -> ListQuery:
    em = emulation(ctx.services.emulate)
    return parse_list_query(
        params,
        filterable=em.execution_fields,
        sortable=em.execution_fields,
        includable=em.execution_includes,
    )


@endpoint("execution_get")
async def execution_get(request: Request, ctx: Ctx) -> Any:
    include = parse_include(
        request.query_params, emulation(ctx.services.emulate).execution_includes
    )
    row = execs.get_execution(ctx.services, [ctx.tenant or ""], request.path_params["exec_id"])
    return _render(ctx, row, include)


@endpoint("execution_start", body=True)
async def execution_start(request: Request, ctx: Ctx) -> Any:
    row = start_execution(
        ctx.services, ctx.engine, ctx.tenant or "", ctx.identity.username, ctx.body
    )
    return JSONResponse(_render(ctx, row), status_code=201)


@endpoint("execution_cancel", body=True)
async def execution_action(request: Request, ctx: Ctx) -> Any:
    row = execs.execution_action(
        ctx.services, ctx.engine, [ctx.tenant or ""], request.path_params["exec_id"], ctx.body
    )
    return _render(ctx, row)


@endpoint("execution_status_update", body=True)
async def execution_patch(request: Request, ctx: Ctx) -> Any:
    row = execs.update_status(
        ctx.services, ctx.engine, [ctx.tenant or ""], request.path_params["exec_id"], ctx.body
    )
    return _render(ctx, row)


@endpoint("execution_should_start")
async def execution_should_start(request: Request, ctx: Ctx) -> Any:
    return execs.should_start(ctx.services, [ctx.tenant or ""], request.path_params["exec_id"])


@endpoint("execution_delete", body=True)
async def executions_delete(request: Request, ctx: Ctx) -> Any:
    q = _list_query(ctx, request.query_params)
    count = execs.delete_executions(ctx.services, ctx.tenants(request), q.filters, ctx.body)
    return envelope([{"count": count}], 1, q, with_filtered=False)


ROUTES = [
    Route(f"{API}/executions", executions_list, methods=["GET"]),
    Route(f"{API}/executions", execution_start, methods=["POST"]),
    Route(f"{API}/executions", executions_delete, methods=["DELETE"]),
    Route(f"{API}/executions/{{exec_id}}", execution_get, methods=["GET"]),
    Route(f"{API}/executions/{{exec_id}}", execution_action, methods=["POST"]),
    Route(f"{API}/executions/{{exec_id}}", execution_patch, methods=["PATCH"]),
    Route(f"{API}/executions/{{exec_id}}/should-start", execution_should_start, methods=["GET"]),
]
