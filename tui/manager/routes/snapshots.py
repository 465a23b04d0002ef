"""`/snapshots`: create one (a system execution, see `snapshots.py`)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tui.manager.endpoint import API, Ctx, endpoint
from tui.manager.executions import render_execution
from tui.manager.snapshots import create_snapshot
from tui.manager.versions import emulation


@endpoint("snapshot_create", body=True)
async def snapshot_create(request: Request, ctx: Ctx) -> Any:
    row = create_snapshot(
        ctx.services,
        ctx.engine,
        ctx.tenant or "",
        ctx.identity.username,
        request.path_params["snap_id"],
        ctx.body,
    )
    return JSONResponse(render_execution(row, emulation(ctx.services.emulate)), status_code=201)


ROUTES = [
    Route(f"{API}/snapshots/{{snap_id}}", snapshot_create, methods=["PUT"]),
]
