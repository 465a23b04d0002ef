"""`/tenants`: the tenants a caller may use."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.routing import Route

from tui.manager.endpoint import API, Ctx, endpoint
from tui.manager.listing import (
    Field,
    build_where,
    envelope,
    order_by,
    parse_list_query,
    project,
)

TENANT_FIELDS = {"name": Field("name")}


@endpoint(None, tenant=False)
async def tenants_list(request: Request, ctx: Ctx) -> Any:
    """The tenants the caller may use: every one for an admin, the caller's own
    otherwise (as a multi-tenant manager answers). Like every request, it is refused
    when its `Tenant` header names a tenant the caller may not use."""
    header = request.headers.get("tenant")
    if header is not None:
        request.app.state.auth.tenant_role(ctx.identity, header)
    q = parse_list_query(
        request.query_params,
        filterable=TENANT_FIELDS,
        sortable=TENANT_FIELDS,
        includable={
            "name",
            "groups",
            "users",
            "user_roles",
            "rabbitmq_username",
            "rabbitmq_password",
            "rabbitmq_vhost",
        },
    )
    clauses, args = build_where(TENANT_FIELDS, q.filters)
    if not ctx.identity.is_admin:
        clauses.append("name IN (SELECT tenant FROM user_tenants WHERE username = ?)")
        args.append(ctx.identity.username)
    where = " AND ".join(clauses) or "1"
    store = ctx.services.store
    total = store.one(f"SELECT COUNT(*) AS n FROM tenants WHERE {where}", args)["n"]
    order = order_by(TENANT_FIELDS, q.sort, ["name ASC"])
    limit = (-1, 0) if q.get_all else (q.size, q.offset)
    rows = store.all(
        f"SELECT name, (SELECT COUNT(*) FROM user_tenants u WHERE u.tenant = t.name) AS users "
        f"FROM tenants t WHERE {where} ORDER BY {order} LIMIT ? OFFSET ?",
        [*args, *limit],
    )
    items = [
        project(
            {
                "name": row["name"],
                "groups": 0,
                "users": row["users"],
                "user_roles": None,
                "rabbitmq_username": None,
                "rabbitmq_password": None,
                "rabbitmq_vhost": None,
            },
            q.include,
        )
        for row in rows
    ]
    return envelope(items, total, q)


ROUTES = [
    Route(f"{API}/tenants", tenants_list, methods=["GET"]),
]
