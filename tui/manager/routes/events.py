"""`/events`: events and logs, listed and (by workers) posted."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tui.manager.endpoint import API, Ctx, endpoint
from tui.manager.events import create_events, list_events
from tui.manager.versions import emulation


@endpoint("event_list")
async def events_list(request: Request, ctx: Ctx) -> Any:
    return list_events(ctx.services, ctx.tenants(request), request.query_params)


@endpoint("event_create", body=True)
async def events_create(request: Request, ctx: Ctx) -> Any:
    stored = create_events(
        ctx.services,
        [ctx.tenant or ""],
        ctx.body,
        ctx.identity.username,
        ctx.identity.is_admin,
        sender_timestamps=emulation(ctx.services.emulate).sender_timestamps,
    )
    return JSONResponse(None, status_code=201) if stored else Response(status_code=204)


ROUTES = [
    Route(f"{API}/events", events_list, methods=["GET"]),
    Route(f"{API}/events", events_create, methods=["POST"]),
]
