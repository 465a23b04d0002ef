"""`/labels/deployments`: the label keys of the tenant's deployments, and the values
of one key, as the real `DeploymentsLabels` / `DeploymentsLabelsKey` list them.

Each is a list envelope of plain strings, distinct and sorted; `_search` is a
case-insensitive substring of the key (of the value), `_size`, `_offset` and
`_get_all_results` page; `_sort` and `_include` are accepted and ignored.
`_reserved=true` lists the reserved `csys-` keys instead, in an envelope without
`filtered`.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.routing import Route

from tui.manager.bodies import validate_input
from tui.manager.endpoint import API, Ctx, endpoint
from tui.manager.labels import RESERVED_LABELS
from tui.manager.listing import Where, pagination_int, query_bool


def _distinct(request: Request, ctx: Ctx, column: str, where: Where) -> dict[str, Any]:
    """The distinct `column` of the labels of the request's deployments matching
    `where`, paged, as a list envelope."""
    params = request.query_params
    size = pagination_int(params, "_size", 1000)
    offset = pagination_int(params, "_offset", 0)
    limit = (-1, 0) if query_bool(params, "_get_all_results") else (size, offset)
    # the tenant of the request only: the real lists take no `_all_tenants`
    where.add("deployment_pk IN (SELECT pk FROM deployments WHERE tenant = ?)", ctx.tenant)
    for value in params.getlist("_search"):
        where.add(f"instr(lower({column}), lower(?)) > 0", value)
    source = f"SELECT DISTINCT {column} AS v FROM deployments_labels WHERE {where.sql}"
    store = ctx.services.store
    total = store.one(f"SELECT COUNT(*) AS n FROM ({source})", where.args)["n"]
    rows = store.all(f"{source} ORDER BY v LIMIT ? OFFSET ?", [*where.args, *limit])
    return {
        "metadata": {
            "pagination": {"total": total, "size": size, "offset": offset},
            "filtered": None,
        },
        "items": [row["v"] for row in rows],
    }


@endpoint("labels_list")
async def label_keys(request: Request, ctx: Ctx) -> Any:
    if query_bool(request.query_params, "_reserved", "reserved"):
        total = len(RESERVED_LABELS)
        return {
            "metadata": {"pagination": {"total": total, "size": 1000, "offset": 0}},
            "items": list(RESERVED_LABELS),
        }
    return _distinct(request, ctx, "key", Where())


@endpoint("labels_list")
async def label_values(request: Request, ctx: Ctx) -> Any:
    key = request.path_params["key"]
    validate_input("label_key", key)
    return _distinct(request, ctx, "value", Where().add("key = ?", key))


ROUTES = [
    Route(f"{API}/labels/deployments", label_keys, methods=["GET"]),
    Route(f"{API}/labels/deployments/{{key}}", label_values, methods=["GET"]),
]
