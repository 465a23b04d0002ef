"""Lists of deployments: `GET /deployments` and `POST /searches/deployments`.

Both go through one pipeline: the list query (with `_sort=label:<key>`), the tenant
scope, plain filters (GET only), `_search` / `_search_name`, the rules of a saved filter
(`_filter_id`) and of the body (`filter_rules`, searches only), and `filtered`, the
number of the scope's deployments the rules hid (null without rules), as the real
storage manager counts it, and `_group_id` (members of a deployment group). `/workflows`
reads its deployments through it too.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.routing import Route

from tui.manager import deployments as deps
from tui.manager import filters
from tui.manager.bodies import param
from tui.manager.columns import Field
from tui.manager.deployment_groups import groups_of
from tui.manager.endpoint import API, Ctx, endpoint
from tui.manager.errors import BadParameters, crash
from tui.manager.filter_rules import apply_rules, filter_rules, merge_rules
from tui.manager.labels import labels_of
from tui.manager.listing import ListQuery, Where, envelope, page, parse_list_query, query_bool
from tui.manager.store import marks
from tui.manager.versions import Emulation, emulation


def _label_sort(key: str, descending: bool) -> Field:
    """By the key's values (sorted, joined), deployments without the key last (first
    when descending), as the real manager's `array_agg` sorts in PostgreSQL."""
    quoted = key.replace("'", "''")
    values = (
        "(SELECT group_concat(value, char(31)) FROM (SELECT value FROM deployments_labels "
        f"WHERE deployment_pk = pk AND key = '{quoted}' ORDER BY value))"
    )
    return Field(f"({values} IS NULL) {'DESC' if descending else 'ASC'}, {values}")


def _label_sorts(params: QueryParams) -> dict[str, Field]:
    """The `_sort=label:<key>` keys of a query."""
    sorts = {}
    for raw in params.getlist("_sort"):
        name = raw.lstrip("+-")
        if name.startswith("label:"):
            sorts[name] = _label_sort(name.split(":", 1)[1], raw.startswith("-"))
    return sorts


def list_query(params: QueryParams, em: Emulation, *, filterable: bool = True) -> ListQuery:
    """A deployments list query; label sorts come after the others (the real order)."""
    labels = _label_sorts(params)
    q = parse_list_query(
        params,
        filterable=em.deployment_fields if filterable else (),
        sortable=[*em.deployment_fields, *labels],
        includable=em.deployment_includes,
    )
    q.sort = [s for s in q.sort if s[0] not in labels] + [s for s in q.sort if s[0] in labels]
    return q


def deployments_page(
    request: Request, ctx: Ctx, q: ListQuery, rules: list[dict[str, Any]] | None = None
) -> tuple[list[sqlite3.Row], int, int | None]:
    """One page of the deployments of a list query, its total, and `filtered`."""
    rules = list(rules or [])
    filter_id = (q.flags.get("_filter_id") or [""])[-1]
    if filter_id:
        saved = filters.rules_of(ctx.services, ctx.tenant or "", ctx.identity, filter_id)
        rules = merge_rules(rules, saved)
    em = emulation(ctx.services.emulate)
    fields = {**em.deployment_fields, **_label_sorts(request.query_params)}
    tenants = ctx.tenants(request)
    plain = {k: v for k, v in q.filters.items() if k != "deployment_group_id"}
    where = Where().within("tenant", tenants).filtered(fields, plain)
    for flag, column in (("_search", "id"), ("_search_name", "display_name")):
        for value in q.flags.get(flag, []):
            where.add(f"instr(lower({column}), lower(?)) > 0", value)
    for group_ids in ([g] for g in q.flags.get("_group_id", [])):
        _in_groups(where, group_ids, tenants)
    if "deployment_group_id" in q.filters:
        _in_groups(where, q.filters["deployment_group_id"], tenants)
    apply_rules(where, rules)
    tiebreak = ("created_at ASC", "pk ASC")
    rows, total = page(ctx.services.store, q, "deployments_v", fields, where, tiebreak, key="pk")
    if not rules:
        return rows, total, None
    scope = ctx.services.store.one(
        f"SELECT COUNT(*) AS n FROM deployments WHERE tenant IN ({marks(tenants)})", tenants
    )
    return rows, total, scope["n"] - total


def _in_groups(where: Where, group_ids: list[str], tenants: list[str]) -> None:
    """Members of one of the deployment groups `group_ids` (`_group_id`, or the
    `deployment_group_id` filter key)."""
    where.add(
        "pk IN (SELECT m.deployment_pk FROM deployment_group_members m JOIN "
        f"deployment_groups g ON g.pk = m.group_pk WHERE g.id IN ({marks(group_ids)}) AND "
        f"g.tenant IN ({marks(tenants)}))",
        *group_ids,
        *tenants,
    )


def _listing(request: Request, ctx: Ctx, q: ListQuery, rules: list[dict[str, Any]]) -> Any:
    """The envelope of a deployments list (GET or a search)."""
    em = emulation(ctx.services.emulate)
    rows, total, hidden = deployments_page(request, ctx, q, rules)
    include = em.deployment_includes if q.include is None else q.include
    rendered = "workflows" in include and not (
        em.list_workflows_need_get_data and not query_bool(request.query_params, "_get_data")
    )
    pks = [r["pk"] for r in rows]
    states = deps.instance_states(ctx.services, pks) if rendered else {}
    wanted = "labels" in include or "environment_type" in include
    labels = labels_of(ctx.services.store, pks) if wanted else {}
    groups = groups_of(ctx.services.store, pks) if "deployment_groups" in include else {}
    items = [
        deps.render_deployment(
            r,
            em,
            states.get(r["pk"]),
            include,
            rendered_workflows=rendered,
            labels=lambda pk=r["pk"]: labels.get(pk, []),
            groups=lambda pk=r["pk"]: groups.get(pk, []),
        )
        for r in rows
    ]
    result = envelope(items, total, q)
    result["metadata"]["filtered"] = hidden
    return result


@endpoint("deployment_list")
async def deployments_list(request: Request, ctx: Ctx) -> Any:
    q = list_query(request.query_params, emulation(ctx.services.emulate))
    return _listing(request, ctx, q, [])


@endpoint("deployment_list", body=True)
async def deployments_search(request: Request, ctx: Ctx) -> Any:
    """`POST /searches/deployments`: deployments by the body's `filter_rules` (and the
    query's `_filter_id`); the query's plain filter keys are ignored, as the real
    endpoint ignores them."""
    raw = param(ctx.body, "filter_rules", list)
    if param(ctx.body, "constraints", dict):
        if raw or request.query_params.get("_filter_id"):
            raise BadParameters(
                "You should provide either filter_id/filter_rules or DSL constraints, not both"
            )
        raise BadParameters("DSL constraints are not supported by this manager")
    kept = [(k, v) for k, v in request.query_params.multi_items() if k.startswith("_")]
    q = list_query(QueryParams(kept), emulation(ctx.services.emulate), filterable=False)
    if raw is None and q.flags.get("_filter_id"):  # the real code iterates the missing rules
        raise crash(
            "TypeError: 'NoneType' object is not iterable",
            "manager_rest/rest/filters_utils.py, in create_filter_rules_list",
        )
    return _listing(request, ctx, q, filter_rules(raw or []))


ROUTES = [
    Route(f"{API}/deployments", deployments_list, methods=["GET"]),
    Route(f"{API}/searches/deployments", deployments_search, methods=["POST"]),
]
