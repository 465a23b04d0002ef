"""`/tenants`: the tenants a caller may use."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.routing import Route

from tui.manager.endpoint import API, Ctx, endpoint
from tui.manager.listing import Where, envelope, page, parse_list_query
from tui.manager.tables import TENANTS

# Each tenant with how many users it has.
WITH_USERS = "name, (SELECT COUNT(*) FROM user_tenants u WHERE u.tenant = t.name) AS users"


@endpoint(None, tenant=False)
async def tenants_list(request: Request, ctx: Ctx) -> Any:
    """The tenants the caller may use: every one for an admin, the caller's own
    otherwise (as a multi-tenant manager answers). Like every request, it is refused
    when its `Tenant` header names a tenant the caller may not use."""
    header = request.headers.get("tenant")
    if header is not None:
        ctx.auth.tenant_role(ctx.identity, header)
    q = parse_list_query(
        request.query_params,
        filterable=TENANTS.filters,
        sortable=TENANTS.sorts,
        includable=set(TENANTS.keys),
    )
    where = Where().filtered(TENANTS.filters, q.filters)
    if not ctx.identity.is_admin:
        where.add(
            "name IN (SELECT tenant FROM user_tenants WHERE username = ?)", ctx.identity.username
        )
    rows, total = page(
        ctx.services.store, q, "tenants t", TENANTS.sorts, where, ("name ASC",), columns=WITH_USERS
    )
    return envelope([TENANTS.render(row, q.include) for row in rows], total, q)


ROUTES = [
    Route(f"{API}/tenants", tenants_list, methods=["GET"]),
]
