"""`/tokens`: the caller's authentication tokens (every user's, for an admin)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tui.manager.endpoint import API, Ctx, endpoint
from tui.manager.listing import Where, envelope, page, parse_list_query
from tui.manager.tables import TOKENS
from tui.manager.tokens import create_token, find_own, render_token


@endpoint(None, tenant=False, body=True)
async def tokens_create(request: Request, ctx: Ctx) -> Any:
    row, value = create_token(ctx.services, ctx.identity, ctx.body)
    return render_token(ctx.services, row, value=value, role=ctx.identity.role)


@endpoint(None, tenant=False)
async def tokens_list(request: Request, ctx: Ctx) -> Any:
    q = parse_list_query(
        request.query_params,
        filterable=TOKENS.filters,
        sortable=TOKENS.sorts,
        includable=set(TOKENS.keys),
    )
    where = Where().filtered(TOKENS.filters, q.filters)
    if not ctx.identity.is_admin:
        where.add("username = ?", ctx.identity.username)
    rows, total = page(ctx.services.store, q, "tokens", TOKENS.sorts, where, ("created_at", "id"))
    # An empty `_include` shows every key here, unlike the other lists.
    include = q.include or None
    return envelope([render_token(ctx.services, r, include) for r in rows], total, q)


@endpoint(None, tenant=False)
async def token_get(request: Request, ctx: Ctx) -> Any:
    return render_token(
        ctx.services, find_own(ctx.services, ctx.identity, request.path_params["token_id"])
    )


@endpoint(None, tenant=False)
async def token_delete(request: Request, ctx: Ctx) -> Any:
    row = find_own(ctx.services, ctx.identity, request.path_params["token_id"])
    with ctx.services.store.tx():
        ctx.services.store.execute("DELETE FROM tokens WHERE id = ?", (row["id"],))
    return Response(status_code=204)


ROUTES = [
    Route(f"{API}/tokens", tokens_list, methods=["GET"]),
    Route(f"{API}/tokens", tokens_create, methods=["POST"]),
    Route(f"{API}/tokens/{{token_id}}", token_get, methods=["GET"]),
    Route(f"{API}/tokens/{{token_id}}", token_delete, methods=["DELETE"]),
]
