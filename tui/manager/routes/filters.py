"""`/filters/deployments`: saved deployments filters (list, create, read, update, delete),
their rules and visibility checked by `filters.py`."""

from __future__ import annotations

from typing import Any

from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tui.manager import filters
from tui.manager.endpoint import API, Ctx, endpoint
from tui.manager.listing import Where, envelope, page, parse_include, parse_list_query
from tui.manager.tables import DEPLOYMENTS_FILTERS


def _render(request: Request, ctx: Ctx, filter_id: str) -> dict[str, Any]:
    include = parse_include(request.query_params, DEPLOYMENTS_FILTERS.keys)
    row = filters.get_filter(ctx.services, ctx.tenant or "", ctx.identity, filter_id)
    return DEPLOYMENTS_FILTERS.render(row, include)


@endpoint("filter_list")
async def filters_list(request: Request, ctx: Ctx) -> Any:
    """The visible filters; `_search` is a case-insensitive substring of the id, and
    plain filter keys are ignored (the real list takes none)."""
    kept = [(k, v) for k, v in request.query_params.multi_items() if k.startswith("_")]
    q = parse_list_query(
        QueryParams(kept),
        filterable=(),
        sortable=DEPLOYMENTS_FILTERS.sorts,
        includable=DEPLOYMENTS_FILTERS.keys,
    )
    where = filters.visible(Where(), ctx.tenants(request), ctx.identity)
    for value in q.flags.get("_search", []):
        where.add("instr(lower(id), lower(?)) > 0", value)
    fields = DEPLOYMENTS_FILTERS.sorts
    tiebreak = ("created_at ASC", "rowid ASC")
    rows, total = page(ctx.services.store, q, "deployments_filters", fields, where, tiebreak)
    render = DEPLOYMENTS_FILTERS.renderer(q.include)
    return envelope([render(row) for row in rows], total, q)


@endpoint("filter_get")
async def filter_get(request: Request, ctx: Ctx) -> Any:
    return _render(request, ctx, request.path_params["filter_id"])


@endpoint("filter_create", body=True)
async def filter_create(request: Request, ctx: Ctx) -> Any:
    filter_id = request.path_params["filter_id"]
    filters.create_filter(ctx.services, ctx.tenant or "", ctx.identity, filter_id, ctx.body)
    return _render(request, ctx, filter_id)


@endpoint("filter_update", body=True)
async def filter_update(request: Request, ctx: Ctx) -> Any:
    filter_id = request.path_params["filter_id"]
    filters.update_filter(ctx.services, ctx.tenant or "", ctx.identity, filter_id, ctx.body)
    return _render(request, ctx, filter_id)


@endpoint("filter_delete")
async def filter_delete(request: Request, ctx: Ctx) -> Any:
    filter_id = request.path_params["filter_id"]
    filters.delete_filter(ctx.services, ctx.tenant or "", ctx.identity, filter_id)
    return Response(status_code=204)


ROUTES = [
    Route(f"{API}/filters/deployments", filters_list, methods=["GET"]),
    Route(f"{API}/filters/deployments/{{filter_id}}", filter_get, methods=["GET"]),
    Route(f"{API}/filters/deployments/{{filter_id}}", filter_create, methods=["PUT"]),
    Route(f"{API}/filters/deployments/{{filter_id}}", filter_update, methods=["PATCH"]),
    Route(f"{API}/filters/deployments/{{filter_id}}", filter_delete, methods=["DELETE"]),
]
