"""`/blueprints` (read-only: blueprints come from seeds and `--blueprints`)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.routing import Route

from tui.manager.endpoint import API, Ctx, endpoint
from tui.manager.errors import NotFound
from tui.manager.listing import (
    BOOL,
    Field,
    build_where,
    envelope,
    order_by,
    parse_include,
    parse_list_query,
    project,
    tenant_clause,
)
from tui.manager.routes.executions import execution_json
from tui.manager.store import loads

BLUEPRINT_FIELDS = {
    "created_at": Field("created_at"),
    "id": Field("id"),
    "visibility": Field("visibility"),
    "main_file_name": Field("main_file_name"),
    "plan_p": Field("NULL"),
    "plan": Field("plan"),
    "requirements": Field("NULL"),
    "updated_at": Field("updated_at"),
    "description": Field("description"),
    "is_hidden": Field("0", BOOL),
    "state": Field("'uploaded'"),
    "error": Field("NULL"),
    "error_traceback": Field("NULL"),
    "tenant_name": Field("tenant"),
    "created_by": Field("created_by"),
    "resource_availability": Field("visibility"),
    "private_resource": Field("(visibility = 'private')", BOOL),
}

BLUEPRINT_INCLUDES = set(BLUEPRINT_FIELDS) | {"labels", "upload_execution"}


def _secret_names(value: Any) -> set[str]:
    """The secrets a plan reads with `get_secret` (the blueprint's requirements)."""
    if isinstance(value, dict):
        if len(value) == 1 and isinstance(value.get("get_secret"), str):
            return {value["get_secret"]}
        return set().union(*(_secret_names(v) for v in value.values()))
    if isinstance(value, list):
        return set().union(*(_secret_names(v) for v in value))
    return set()


def _render_blueprint(ctx: Ctx, row: Any, include: set[str] | None) -> dict[str, Any]:
    plan = loads(row["plan"], {})
    item: dict[str, Any] = {
        "id": row["id"],
        "description": row["description"],
        "main_file_name": row["main_file_name"],
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
        "created_by": row["created_by"],
        "tenant_name": row["tenant"],
        "visibility": row["visibility"],
        "resource_availability": row["visibility"],
        "private_resource": row["visibility"] == "private",
        "is_hidden": False,
        "state": "uploaded",
        "error": None,
        "error_traceback": None,
        "labels": [],
        "plan_p": None,
        "plan": {"workflows": plan.get("workflows", {}), "inputs": plan.get("inputs", {})},
        "requirements": {"parent_capabilities": [], "secrets": sorted(_secret_names(plan))},
    }
    if include is None or "upload_execution" in include:
        upload = ctx.services.store.one(
            "SELECT * FROM executions WHERE tenant = ? AND workflow_id = 'upload_blueprint' "
            "AND deployment_id IS NULL AND json_extract(parameters, '$.blueprint_id') = ? "
            "ORDER BY created_at DESC, rowid DESC LIMIT 1",
            (row["tenant"], row["id"]),
        )
        item["upload_execution"] = execution_json(ctx.services, upload) if upload else None
    return project(item, include)


@endpoint("blueprint_list")
async def blueprints_list(request: Request, ctx: Ctx) -> Any:
    fields = BLUEPRINT_FIELDS
    q = parse_list_query(
        request.query_params,
        filterable=fields,
        sortable=fields,
        includable=BLUEPRINT_INCLUDES,
    )
    tenants = ctx.tenants(request)
    clauses, args = build_where(fields, q.filters)
    clauses.insert(0, tenant_clause(tenants))
    args[:0] = tenants
    where = " AND ".join(clauses)
    total = ctx.services.store.one(f"SELECT COUNT(*) AS n FROM blueprints WHERE {where}", args)["n"]
    order = order_by(fields, q.sort, ["created_at ASC", "id ASC"])
    limit = (-1, 0) if q.get_all else (q.size, q.offset)
    rows = ctx.services.store.all(
        f"SELECT * FROM blueprints WHERE {where} ORDER BY {order} LIMIT ? OFFSET ?",
        [*args, *limit],
    )
    return envelope([_render_blueprint(ctx, r, q.include) for r in rows], total, q)


@endpoint("blueprint_get")
async def blueprint_get(request: Request, ctx: Ctx) -> Any:
    include = parse_include(request.query_params, BLUEPRINT_INCLUDES)
    bp_id = request.path_params["bp_id"]
    row = ctx.services.store.one(
        "SELECT * FROM blueprints WHERE tenant = ? AND id = ?", (ctx.tenant, bp_id)
    )
    if row is None:
        raise NotFound(f"Requested `Blueprint` with ID `{bp_id}` was not found")
    return _render_blueprint(ctx, row, include)


ROUTES = [
    Route(f"{API}/blueprints", blueprints_list, methods=["GET"]),
    Route(f"{API}/blueprints/{{bp_id}}", blueprint_get, methods=["GET"]),
]
