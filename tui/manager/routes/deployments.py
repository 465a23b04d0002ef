"""`/deployments` and `/workflows`: list, read, create and delete deployments."""

from __future__ import annotations

import json
from typing import Any

from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tui.manager import deployments as deps
from tui.manager import executions as execs
from tui.manager.columns import loads
from tui.manager.deployment_patch import patch_deployment
from tui.manager.endpoint import API, Ctx, endpoint
from tui.manager.errors import BadParameters, NotFound
from tui.manager.listing import parse_include, parse_list_query, query_bool
from tui.manager.outputs import evaluate
from tui.manager.routes.searches import deployments_page
from tui.manager.versions import emulation


@endpoint("deployment_get")
async def deployment_get(request: Request, ctx: Ctx) -> Any:
    em = emulation(ctx.services.emulate)
    include = parse_include(request.query_params, em.deployment_includes)
    row = deps.get_deployment(ctx.services, ctx.tenant or "", request.path_params["dep_id"])
    states = deps.instance_states(ctx.services, [row["pk"]])[row["pk"]]
    labels = deps.deployment_labels(ctx.services, row["pk"])
    groups = deps.deployment_groups(ctx.services, row["pk"])
    return deps.render_deployment(row, em, states, include, labels=labels, groups=groups)


def _create(ctx: Ctx, dep_id: str) -> tuple[int, str]:
    """Store the deployment and its environment creation (pending); their pk and id."""
    services, tenant, body = ctx.services, ctx.tenant or "", ctx.body
    if "blueprint_id" not in body:
        raise BadParameters("Missing blueprint_id in json request body")
    blueprint = services.store.one(
        "SELECT * FROM blueprints WHERE tenant = ? AND id = ?", (tenant, body["blueprint_id"])
    )
    if blueprint is None:
        raise NotFound(f"Requested `Blueprint` with ID `{body['blueprint_id']}` was not found")
    inputs = body.get("inputs") or {}
    if not isinstance(inputs, dict):
        raise BadParameters("inputs must be a dict")
    deps.check_new_deployment(services, tenant, dep_id)
    with services.store.tx():
        pk = deps.insert_deployment(
            services,
            tenant,
            dep_id,
            blueprint["id"],
            loads(blueprint["plan"]),
            created_by=ctx.identity.username,
            inputs=inputs,
            display_name=body.get("display_name"),
            labels=body.get("labels"),
            site_name=body.get("site_name"),
            visibility=body.get("visibility") or "tenant",
            runtime_only_evaluation=bool(body.get("runtime_only_evaluation")),
        )
        dep = services.store.one("SELECT * FROM deployments WHERE pk = ?", (pk,))
        exec_id = execs.insert_execution(
            services,
            tenant=tenant,
            deployment=dep,
            workflow_id="create_deployment_environment",
            status="pending",
            parameters=deps.create_environment_parameters(inputs, body),
            allow_custom_parameters=True,
            created_by=ctx.identity.username,
        )
        services.store.execute(
            "UPDATE deployments SET create_execution = ? WHERE pk = ?", (exec_id, pk)
        )
    return pk, exec_id


@endpoint("deployment_create", body=True)
async def deployment_create(request: Request, ctx: Ctx) -> Any:
    """Create a deployment and run its environment creation, waited for unless
    `async_create`."""
    dep_id = request.path_params["dep_id"]
    pk, exec_id = _create(ctx, dep_id)
    ctx.engine.launch(exec_id)
    if not query_bool(request.query_params, "async_create"):
        await ctx.engine.wait(exec_id)
    row = deps.get_deployment(ctx.services, ctx.tenant or "", dep_id)
    em = emulation(ctx.services.emulate)
    states = deps.instance_states(ctx.services, [pk])[pk]
    # master's PUT is marshalled without `_get_data` too
    rendered = not em.list_workflows_need_get_data
    labels = deps.deployment_labels(ctx.services, pk)
    groups = deps.deployment_groups(ctx.services, pk)
    item = deps.render_deployment(
        row, em, states, rendered_workflows=rendered, labels=labels, groups=groups
    )
    return JSONResponse(item, status_code=201)


@endpoint("deployment_update", body=True)
async def deployment_update(request: Request, ctx: Ctx) -> Any:
    """`PATCH /deployments/<id>`: its labels (the whole set) and display name."""
    dep_id = request.path_params["dep_id"]
    patch_deployment(ctx.services, ctx.tenant or "", dep_id, ctx.body, ctx.identity.username)
    row = deps.get_deployment(ctx.services, ctx.tenant or "", dep_id)
    em = emulation(ctx.services.emulate)
    states = deps.instance_states(ctx.services, [row["pk"]])[row["pk"]]
    labels = deps.deployment_labels(ctx.services, row["pk"])
    groups = deps.deployment_groups(ctx.services, row["pk"])
    return deps.render_deployment(row, em, states, labels=labels, groups=groups)


@endpoint("deployment_delete")
async def deployment_delete(request: Request, ctx: Ctx) -> Any:
    force = query_bool(request.query_params, "force")
    deps.delete_deployment(ctx.services, ctx.tenant or "", request.path_params["dep_id"], force)
    return Response(status_code=204)


@endpoint("deployment_list")
async def workflows_list(request: Request, ctx: Ctx) -> Any:
    """The distinct workflows of the deployments that match the filters and `_search`.

    The real endpoint reads only those: pagination, sorting and `_include` arguments
    are accepted and ignored, and the metadata counts what is returned.
    """
    kept = [
        (key, value)
        for key, value in request.query_params.multi_items()
        if not key.startswith("_") or key in ("_search", "_search_name", "_filter_id")
    ]
    em = emulation(ctx.services.emulate)
    q = parse_list_query(
        QueryParams(kept), filterable=em.deployment_fields, sortable=(), includable=()
    )
    q.get_all = True
    rows, _, _ = deployments_page(request, ctx, q)
    states = deps.instance_states(ctx.services, [r["pk"] for r in rows])
    seen: dict[str, dict[str, Any]] = {}
    for row in rows:
        for wf in em.workflows(deps.render_workflows(row, states[row["pk"]])):
            seen.setdefault(json.dumps(wf, sort_keys=True), wf)
    items = list(seen.values())
    return {
        "items": items,
        "metadata": {"pagination": {"total": len(items), "size": len(items), "offset": 0}},
    }


async def _evaluated(request: Request, ctx: Ctx, outputs: bool) -> Any:
    row = deps.get_deployment(ctx.services, ctx.tenant or "", request.path_params["dep_id"])
    values = evaluate(ctx.services, row, ctx.identity.username, outputs=outputs)
    return {"deployment_id": row["id"], "outputs" if outputs else "capabilities": values}


@endpoint("deployment_modification_outputs")
async def deployment_outputs(request: Request, ctx: Ctx) -> Any:
    """The deployment's outputs, evaluated now (see `outputs.py`)."""
    return await _evaluated(request, ctx, outputs=True)


@endpoint("deployment_capabilities")
async def deployment_capabilities(request: Request, ctx: Ctx) -> Any:
    """The deployment's capabilities, evaluated now (see `outputs.py`)."""
    return await _evaluated(request, ctx, outputs=False)


ROUTES = [
    Route(f"{API}/deployments/{{dep_id}}", deployment_get, methods=["GET"]),
    Route(f"{API}/deployments/{{dep_id}}", deployment_create, methods=["PUT"]),
    Route(f"{API}/deployments/{{dep_id}}", deployment_update, methods=["PATCH"]),
    Route(f"{API}/deployments/{{dep_id}}", deployment_delete, methods=["DELETE"]),
    Route(f"{API}/deployments/{{dep_id}}/outputs", deployment_outputs, methods=["GET"]),
    Route(f"{API}/deployments/{{dep_id}}/capabilities", deployment_capabilities, methods=["GET"]),
    Route(f"{API}/workflows", workflows_list, methods=["GET"]),
]
