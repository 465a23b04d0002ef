"""`/blueprints` (read-only: blueprints come from seeds and `--blueprints`)."""

from __future__ import annotations

import sqlite3
from collections.abc import Collection
from typing import Any

from starlette.requests import Request
from starlette.routing import Route

from tui.manager.endpoint import API, Ctx, endpoint
from tui.manager.errors import NotFound
from tui.manager.executions import render_execution
from tui.manager.listing import Where, envelope, page, parse_include, parse_list_query
from tui.manager.services import Services
from tui.manager.tables import BLUEPRINTS
from tui.manager.versions import emulation

INCLUDABLE = set(BLUEPRINTS.keys)


def _render(services: Services, row: sqlite3.Row, include: Collection[str] | None) -> Any:
    """A blueprint with the execution that uploaded it (the newest, if stored twice)."""

    def upload_execution() -> dict[str, Any] | None:
        upload = services.store.one(
            "SELECT * FROM executions WHERE tenant = ? AND workflow_id = 'upload_blueprint' "
            "AND deployment_id IS NULL AND json_extract(parameters, '$.blueprint_id') = ? "
            "ORDER BY created_at DESC, rowid DESC LIMIT 1",
            (row["tenant"], row["id"]),
        )
        return render_execution(upload, emulation(services.emulate)) if upload else None

    return BLUEPRINTS.render(row, include, upload_execution=upload_execution)


@endpoint("blueprint_list")
async def blueprints_list(request: Request, ctx: Ctx) -> Any:
    fields = BLUEPRINTS.filters
    q = parse_list_query(
        request.query_params, filterable=fields, sortable=fields, includable=INCLUDABLE
    )
    where = Where().within("tenant", ctx.tenants(request)).filtered(fields, q.filters)
    tiebreak = ("created_at ASC", "id ASC")
    rows, total = page(ctx.services.store, q, "blueprints", fields, where, tiebreak)
    return envelope([_render(ctx.services, r, q.include) for r in rows], total, q)


@endpoint("blueprint_get")
async def blueprint_get(request: Request, ctx: Ctx) -> Any:
    include = parse_include(request.query_params, INCLUDABLE)
    bp_id = request.path_params["bp_id"]
    row = ctx.services.store.one(
        "SELECT * FROM blueprints WHERE tenant = ? AND id = ?", (ctx.tenant, bp_id)
    )
    if row is None:
        raise NotFound(f"Requested `Blueprint` with ID `{bp_id}` was not found")
    return _render(ctx.services, row, include)


ROUTES = [
    Route(f"{API}/blueprints", blueprints_list, methods=["GET"]),
    Route(f"{API}/blueprints/{{bp_id}}", blueprint_get, methods=["GET"]),
]
