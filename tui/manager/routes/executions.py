"""`/executions`: list, read, start, act on, update and delete executions."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tui.manager import executions as execs
from tui.manager.endpoint import API, Ctx, endpoint
from tui.manager.listing import (
    build_where,
    envelope,
    order_by,
    parse_bool,
    parse_include,
    parse_list_query,
    tenant_clause,
)
from tui.manager.services import Services
from tui.manager.statuses import END_STATES
from tui.manager.versions import emulation


def execution_json(services: Services, row: Any, include: set[str] | None = None) -> dict[str, Any]:
    """An execution with the keys of the emulated version."""
    em = emulation(services.emulate)
    return execs.render_execution(row, set(em.execution_includes) if include is None else include)


@endpoint("execution_list")
async def executions_list(request: Request, ctx: Ctx) -> Any:
    em = emulation(ctx.services.emulate)
    q = parse_list_query(
        request.query_params,
        filterable=em.execution_fields,
        sortable=em.execution_fields,
        includable=em.execution_includes,
    )
    tenants = ctx.tenants(request)
    clauses, args = build_where(em.execution_fields, q.filters)
    clauses.insert(0, tenant_clause(tenants))
    args[:0] = tenants
    include_system = parse_bool(
        (q.flags.get("_include_system_workflows") or ["false"])[-1], "_include_system_workflows"
    )
    if not include_system and "is_system_workflow" not in q.filters:
        clauses.append("is_system_workflow = 0")
    where = " AND ".join(clauses)
    store = ctx.services.store
    total = store.one(f"SELECT COUNT(*) AS n FROM executions WHERE {where}", args)["n"]
    order = order_by(em.execution_fields, q.sort, ["created_at ASC", "rowid ASC"])
    limit = (-1, 0) if q.get_all else (q.size, q.offset)
    # Executions that have not ended are few: find them by status and sort them, rather
    # than let SQLite walk every execution in created_at order to avoid that sort.
    statuses = q.filters.get("status")
    hint = ""
    if statuses and "deployment_id" not in q.filters and not set(statuses) & set(END_STATES):
        hint = " INDEXED BY executions_by_status"
    rows = store.all(
        f"SELECT * FROM executions{hint} WHERE {where} ORDER BY {order} LIMIT ? OFFSET ?",
        [*args, *limit],
    )
    return envelope([execution_json(ctx.services, r, q.include) for r in rows], total, q)


@endpoint("execution_get")
async def execution_get(request: Request, ctx: Ctx) -> Any:
    include = parse_include(
        request.query_params, emulation(ctx.services.emulate).execution_includes
    )
    row = execs.get_execution(ctx.services, [ctx.tenant or ""], request.path_params["exec_id"])
    return execution_json(ctx.services, row, include)


@endpoint("execution_start", body=True)
async def execution_start(request: Request, ctx: Ctx) -> Any:
    row = execs.start_execution(
        ctx.services, ctx.engine, ctx.tenant or "", ctx.identity.username, ctx.body
    )
    return JSONResponse(execution_json(ctx.services, row), status_code=201)


@endpoint("execution_cancel", body=True)
async def execution_action(request: Request, ctx: Ctx) -> Any:
    row = execs.execution_action(
        ctx.services, ctx.engine, [ctx.tenant or ""], request.path_params["exec_id"], ctx.body
    )
    return execution_json(ctx.services, row)


@endpoint("execution_status_update", body=True)
async def execution_patch(request: Request, ctx: Ctx) -> Any:
    row = execs.update_status(
        ctx.services, ctx.engine, [ctx.tenant or ""], request.path_params["exec_id"], ctx.body
    )
    return execution_json(ctx.services, row)


@endpoint("execution_should_start")
async def execution_should_start(request: Request, ctx: Ctx) -> Any:
    return execs.should_start(ctx.services, [ctx.tenant or ""], request.path_params["exec_id"])


@endpoint("execution_delete", body=True)
async def executions_delete(request: Request, ctx: Ctx) -> Any:
    em = emulation(ctx.services.emulate)
    q = parse_list_query(
        request.query_params,
        filterable=em.execution_fields,
        sortable=em.execution_fields,
        includable=em.execution_includes,
    )
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
