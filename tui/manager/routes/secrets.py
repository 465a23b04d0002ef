"""`/secrets`: the HTTP side of `secrets.py`."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tui.manager import secrets as secs
from tui.manager.endpoint import API, Ctx, endpoint, read_body
from tui.manager.listing import (
    envelope,
    parse_bool,
    parse_list_query,
    project,
)
from tui.manager.tables import SECRETS


@endpoint("secret_list")
async def secrets_list(request: Request, ctx: Ctx) -> Any:
    keys = list(SECRETS.filters)  # the errors list them in this order
    q = parse_list_query(
        request.query_params, filterable=keys, sortable=keys, includable=secs.LIST_KEYS
    )
    caller = secs.caller_for(ctx.services, ctx.identity.username)
    rows, total = secs.list_secrets(ctx.services, caller, ctx.tenant or "", ctx.tenants(request), q)
    return envelope([project(secs.render_listed(r), q.include) for r in rows], total, q)


@endpoint("secret_get")
async def secret_get(request: Request, ctx: Ctx) -> Any:
    key = request.path_params["key"]
    secs.validate_key(key)
    skip = parse_bool(request.query_params.get("_skip_value", False), "_skip_value")
    caller = secs.caller_for(ctx.services, ctx.identity.username)
    row = secs.find(ctx.services, caller, ctx.tenant or "", key)
    return secs.render_read(row, caller, skip)


# PUT and PATCH validate the key before they read the body, as the real ones do.
@endpoint("secret_create")
async def secret_create(request: Request, ctx: Ctx) -> Any:
    key = request.path_params["key"]
    secs.validate_key(key)
    body = await read_body(request, ctx.services.max_body_bytes)
    caller = secs.caller_for(ctx.services, ctx.identity.username)
    return secs.render_written(secs.create(ctx.services, caller, ctx.tenant or "", key, body))


@endpoint("secret_update")
async def secret_update(request: Request, ctx: Ctx) -> Any:
    key = request.path_params["key"]
    secs.validate_key(key)
    body = await read_body(request, ctx.services.max_body_bytes)
    caller = secs.caller_for(ctx.services, ctx.identity.username)
    return secs.render_written(secs.update(ctx.services, caller, ctx.tenant or "", key, body))


@endpoint("secret_update", body=True)
async def secret_set_visibility(request: Request, ctx: Ctx) -> Any:
    caller = secs.caller_for(ctx.services, ctx.identity.username)
    row = secs.set_visibility(
        ctx.services, caller, ctx.tenant or "", request.path_params["key"], ctx.body
    )
    return secs.render_written(row)


@endpoint("secret_delete")
async def secret_delete(request: Request, ctx: Ctx) -> Any:
    key = request.path_params["key"]
    secs.validate_key(key)
    caller = secs.caller_for(ctx.services, ctx.identity.username)
    secs.delete(ctx.services, caller, ctx.tenant or "", key)
    return Response(status_code=204, media_type="application/json")


ROUTES = [
    Route(f"{API}/secrets", secrets_list, methods=["GET"]),
    Route(f"{API}/secrets/{{key}}", secret_get, methods=["GET"]),
    Route(f"{API}/secrets/{{key}}", secret_create, methods=["PUT"]),
    Route(f"{API}/secrets/{{key}}", secret_update, methods=["PATCH"]),
    Route(f"{API}/secrets/{{key}}", secret_delete, methods=["DELETE"]),
    Route(f"{API}/secrets/{{key}}/set-visibility", secret_set_visibility, methods=["PATCH"]),
]
