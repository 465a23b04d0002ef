"""The ASGI application: routes of the Cloudify REST API v3.1 and their access rules."""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import re
import time
import traceback
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from starlette.applications import Starlette
from starlette.datastructures import QueryParams
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tui.manager import deployments as deps
from tui.manager import executions as execs
from tui.manager import secrets as secs
from tui.manager.auth import Authenticator, Identity, hash_secret, new_token_parts
from tui.manager.clock import format_timestamp, parse_timestamp
from tui.manager.engine import Engine
from tui.manager.errors import (
    CRASH_MESSAGE,
    BadParameters,
    InternalError,
    ManagerError,
    NotFound,
    PayloadTooLarge,
    UnsupportedContentType,
)
from tui.manager.events import create_events, list_events
from tui.manager.listing import (
    BOOL,
    build_where,
    envelope,
    order_by,
    parse_bool,
    parse_include,
    parse_list_query,
    project,
    query_bool,
)
from tui.manager.recovery import recover_interrupted
from tui.manager.services import MANAGER_EDITION, Services
from tui.manager.snapshots import create_snapshot
from tui.manager.statuses import END_STATES
from tui.manager.store import loads
from tui.manager.versions import Emulation, emulation, unrendered_workflows

access_log = logging.getLogger("tui.manager.access")
BODY_METHODS = ("POST", "PUT", "PATCH")


@dataclass
class Ctx:
    services: Services
    engine: Engine
    identity: Identity
    tenant: str | None
    body: dict[str, Any]

    def tenants(self, request: Request) -> list[str]:
        """The tenant of the request, or every visible tenant with `_all_tenants=true`."""
        assert self.tenant is not None
        if not query_bool(request.query_params, "_all_tenants", "all_tenants"):
            return [self.tenant]
        store = self.services.store
        if self.identity.is_admin:
            return [r["name"] for r in store.all("SELECT name FROM tenants ORDER BY name")]
        rows = store.all(
            "SELECT tenant FROM user_tenants WHERE username = ? ORDER BY tenant",
            (self.identity.username,),
        )
        return [r["tenant"] for r in rows]


Handler = Callable[[Request, Ctx], Awaitable[Any]]


def error_response(exc: ManagerError) -> JSONResponse:
    return JSONResponse(exc.body(), status_code=exc.status_code)


async def _read_body(request: Request, limit: int) -> dict[str, Any]:
    if request.headers.get("content-type") != "application/json":
        raise UnsupportedContentType("Content type must be application/json")
    length = request.headers.get("content-length")
    if length is not None and length.isdigit() and int(length) > limit:
        raise PayloadTooLarge(f"Request body is larger than {limit} bytes")
    raw = b""
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > limit:
            raise PayloadTooLarge(f"Request body is larger than {limit} bytes")
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadParameters(f"Failed to decode JSON object: {exc}") from None
    if body is None:
        return {}
    if not isinstance(body, dict):
        raise BadParameters("Request body must be a JSON object")
    return body


def endpoint(
    permission: str | None, *, tenant: bool = True, body: bool = False
) -> Callable[[Handler], Callable[[Request], Awaitable[Response]]]:
    """Authenticate, resolve the tenant, check the permission, parse the body, map errors."""

    def wrap(fn: Handler) -> Callable[[Request], Awaitable[Response]]:
        @functools.wraps(fn)
        async def handler(request: Request) -> Response:
            services: Services = request.app.state.services
            engine: Engine = request.app.state.engine
            auth: Authenticator = request.app.state.auth
            try:
                identity = auth.authenticate(
                    request.headers.get("authorization"),
                    request.headers.get("authentication-token"),
                )
                tenant_name = request.headers.get("tenant")
                if tenant:
                    role = auth.tenant_role(identity, tenant_name)
                    if permission:
                        auth.require(identity, role, permission, tenant_name or "")
                parsed = (
                    await _read_body(request, services.max_body_bytes)
                    if body and request.method in (*BODY_METHODS, "DELETE")
                    else {}
                )
                ctx = Ctx(services, engine, identity, tenant_name, parsed)
                result = await fn(request, ctx)
            except ManagerError as exc:
                return error_response(exc)
            except Exception:  # the real manager answers 500 with the traceback
                logging.getLogger("tui.manager").exception("unhandled error")
                return error_response(
                    InternalError(CRASH_MESSAGE, traceback=traceback.format_exc())
                )
            if isinstance(result, Response):
                return result
            return JSONResponse(result)

        handler.permission = permission  # type: ignore[attr-defined]  # for the tests
        return handler

    return wrap


# -- manager-level endpoints ---------------------------------------------------------


def _version(services: Services) -> dict[str, Any]:
    return {
        "version": emulation(services.emulate).version,
        "edition": MANAGER_EDITION,
        "distribution": "debian",
        "distro_release": "bookworm",
        "build": None,
        "date": None,
        "commit": None,
    }


@endpoint(None, tenant=False)
async def version(request: Request, ctx: Ctx) -> Any:
    return _version(ctx.services)


async def ok(request: Request) -> Response:
    return JSONResponse("OK")


SERVICES = (
    "Webserver",
    "Management Worker",
    "Manager Rest-Service",
    "Cloudify API",
    "Cloudify Execution Scheduler",
    "PostgreSQL",
    "RabbitMQ",
)


@endpoint(None, tenant=False)
async def status(request: Request, ctx: Ctx) -> Any:
    if query_bool(request.query_params, "summary"):
        return {"status": "OK", "services": {}}
    services = {}
    for name in SERVICES:
        entry: dict[str, Any] = {"status": "Active", "is_remote": False}
        if name == "RabbitMQ":
            entry["extra_info"] = {"connection_check": "OK"}
        elif name != "PostgreSQL":
            entry["extra_info"] = {}
        services[name] = entry
    return {"status": "OK", "services": services}


@endpoint(None, tenant=False)
async def provider_context(request: Request, ctx: Ctx) -> Any:
    return {"name": "provider", "context": {"cloudify": {"cloudify_agent": {}}}}


def _host(request: Request) -> str:
    return request.url.hostname or "127.0.0.1"


def _node_list(items: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "items": items,
        "metadata": {"pagination": {"total": len(items), "size": 1000, "offset": 0}},
    }


@endpoint(None, tenant=False)
async def managers(request: Request, ctx: Ctx) -> Any:
    host = _host(request)
    return _node_list(
        [
            {
                "id": 1,
                "hostname": "cfy-tui-embedded",
                "private_ip": host,
                "public_ip": host,
                "networks": {"default": host},
                "version": emulation(ctx.services.emulate).version,
                "edition": MANAGER_EDITION,
                "distribution": "debian",
                "distro_release": "bookworm",
                "fs_sync_node_id": "",
                "last_seen": ctx.services.clock.stamp(),
                "status_report": None,
                "ca_cert_content": None,
                "node_id": "manager-1",
            }
        ]
    )


@endpoint(None, tenant=False)
async def brokers(request: Request, ctx: Ctx) -> Any:
    host = _host(request)
    return _node_list(
        [
            {
                "name": "broker-1",
                "host": host,
                "management_host": host,
                "port": 5671,
                "networks": {"default": host},
                "is_external": False,
                "node_id": "broker-1",
                "ca_cert_content": None,
            }
        ]
    )


@endpoint(None, tenant=False)
async def db_nodes(request: Request, ctx: Ctx) -> Any:
    host = _host(request)
    return _node_list([{"name": "db-1", "host": host, "is_external": False, "node_id": "db-1"}])


@endpoint(None, tenant=False)
async def maintenance(request: Request, ctx: Ctx) -> Any:
    return {
        "status": "deactivated",
        "activated_at": "",
        "activation_requested_at": "",
        "remaining_executions": None,
        "requested_by": "",
    }


# -- tokens ----------------------------------------------------------------------------


def _render_token(row: Any, role: str, value: str | None = None) -> dict[str, Any]:
    return {
        "id": row["id"],
        "value": value or f"ctok-{row['id']}-********",
        "username": row["username"],
        "role": role,
        "expiration_date": row["expiration_date"],
        "last_used": row["last_used"],
        "description": row["description"],
    }


def _user_role(ctx: Ctx, username: str) -> str:
    row = ctx.services.store.one("SELECT role FROM users WHERE username = ?", (username,))
    return row["role"] if row else "default"


_DELTA_RE = re.compile(r"\+(\d+) ?([a-z]+) ?")
_DELTA_UNIT_RE = re.compile(r"^(min(ute)?|h(our)?|d(ay)?|w(eek)?|mo(nth)?|y(ear)?)s?$")


def _parse_expiration(text: str, now: float) -> float:
    """What the real server's `parse_utc_datetime` accepts (and the official client
    sends as given): `+<n> <unit>` deltas such as `+10h` or `+1 day+30min`,
    `YYYY-MM-DD HH:MM` and `HH:MM` (UTC), plus ISO timestamps."""
    text = text.strip()
    if re.fullmatch(r"\d{1,2}:\d{2}", text):
        today = datetime.fromtimestamp(now, UTC).strftime("%Y-%m-%d")
        return parse_timestamp(f"{today} {text.zfill(5)}")
    if not text.startswith("+"):
        return parse_timestamp(text)
    deltas = _DELTA_RE.findall(text)
    if not deltas:
        raise ValueError(text)
    when = datetime.fromtimestamp(now, UTC).replace(second=0, microsecond=0)
    for number, unit in deltas:
        if not _DELTA_UNIT_RE.match(unit):
            raise ValueError(text)
        n = int(number)
        if unit.startswith("mi"):
            when += timedelta(minutes=n)
        elif unit.startswith("mo"):
            months = when.month - 1 + n
            when = when.replace(year=when.year + months // 12, month=months % 12 + 1)
        elif unit.startswith("h"):
            when += timedelta(hours=n)
        elif unit.startswith("d"):
            when += timedelta(days=n)
        elif unit.startswith("w"):
            when += timedelta(weeks=n)
        else:
            when = when.replace(year=when.year + n)
    return when.timestamp()


@endpoint(None, tenant=False, body=True)
async def tokens_create(request: Request, ctx: Ctx) -> Any:
    services = ctx.services
    expiration = ctx.body.get("expiration_date")
    if expiration:
        try:
            when = _parse_expiration(str(expiration), services.clock.now())
        except ValueError:
            raise BadParameters(f"Invalid expiration date: {expiration}") from None
        if when <= services.clock.now():
            raise BadParameters("Expiration date was in the past.")
        expiration = format_timestamp(when)
    token_id, secret = new_token_parts()
    with services.store.tx():
        services.store.execute(
            "INSERT INTO tokens (id, secret_hash, username, description, expiration_date, "
            "last_used, created_at) VALUES (?, ?, ?, ?, ?, NULL, ?)",
            (
                token_id,
                hash_secret(secret),
                ctx.identity.username,
                ctx.body.get("description"),
                expiration or None,
                services.clock.stamp(),
            ),
        )
    row = services.store.one("SELECT * FROM tokens WHERE id = ?", (token_id,))
    return _render_token(row, ctx.identity.role, f"ctok-{token_id}-{secret}")


@endpoint(None, tenant=False)
async def tokens_list(request: Request, ctx: Ctx) -> Any:
    fields = {"id", "username", "description", "expiration_date", "last_used", "value", "role"}
    q = parse_list_query(
        request.query_params,
        filterable=fields - {"value", "role"},
        sortable=fields - {"value"},
        includable=fields,
    )
    clauses, args = build_where({k: deps.Field(k) for k in fields}, q.filters)
    if not ctx.identity.is_admin:
        clauses.append("username = ?")
        args.append(ctx.identity.username)
    where = " AND ".join(clauses) or "1"
    total = ctx.services.store.one(f"SELECT COUNT(*) AS n FROM tokens WHERE {where}", args)["n"]
    order = ", ".join(
        [f"{name} {'DESC' if desc else 'ASC'}" for name, desc in q.sort] + ["created_at", "id"]
    )
    limit = (-1, 0) if q.get_all else (q.size, q.offset)
    rows = ctx.services.store.all(
        f"SELECT * FROM tokens WHERE {where} ORDER BY {order} LIMIT ? OFFSET ?", [*args, *limit]
    )
    items = [_render_token(r, _user_role(ctx, r["username"])) for r in rows]
    if q.include:
        items = [{k: v for k, v in i.items() if k in q.include} for i in items]
    return envelope(items, total, q)


def _own_token(ctx: Ctx, token_id: str) -> Any:
    row = ctx.services.store.one("SELECT * FROM tokens WHERE id = ?", (token_id,))
    if row is None or (not ctx.identity.is_admin and row["username"] != ctx.identity.username):
        raise NotFound(f"Could not find token {token_id}")
    return row


@endpoint(None, tenant=False)
async def token_get(request: Request, ctx: Ctx) -> Any:
    row = _own_token(ctx, request.path_params["token_id"])
    return _render_token(row, _user_role(ctx, row["username"]))


@endpoint(None, tenant=False)
async def token_delete(request: Request, ctx: Ctx) -> Any:
    row = _own_token(ctx, request.path_params["token_id"])
    with ctx.services.store.tx():
        ctx.services.store.execute("DELETE FROM tokens WHERE id = ?", (row["id"],))
    return Response(status_code=204)


# -- tenants ---------------------------------------------------------------------------

TENANT_FIELDS = {"name": deps.Field("name")}


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


# -- deployments and workflows ------------------------------------------------------


def _tenant_clause(tenants: list[str], column: str = "tenant") -> str:
    return f"{column} IN ({','.join('?' for _ in tenants)})"


def _query_deployments(request: Request, ctx: Ctx, q: Any) -> tuple[list[Any], int]:
    filter_id = (q.flags.get("_filter_id") or [""])[-1]
    if filter_id:  # this manager has no saved filters: the real lookup's 404
        raise NotFound(f"Requested `DeploymentsFilter` with ID `{filter_id}` was not found")
    tenants = ctx.tenants(request)
    fields = emulation(ctx.services.emulate).deployment_fields
    clauses, args = build_where(fields, q.filters)
    clauses.insert(0, _tenant_clause(tenants))
    args[:0] = tenants
    for flag, column in (("_search", "id"), ("_search_name", "display_name")):
        for value in q.flags.get(flag, []):
            clauses.append(f"instr(lower({column}), lower(?)) > 0")
            args.append(value)
    where = " AND ".join(clauses)
    store = ctx.services.store
    # Count, filter, sort and skip on `pk` only, then read the page's rows: SQLite then
    # drops the join to the latest execution where no filter or sort key needs it, and
    # never reads (nor sorts) the large rows of deployments outside the page. The
    # `LIMIT -1` keeps the count's subquery from being flattened back into a join.
    total = store.one(
        f"SELECT COUNT(*) AS n FROM (SELECT pk FROM deployments_v WHERE {where} LIMIT -1)", args
    )["n"]
    order = order_by(fields, q.sort, ["created_at ASC", "pk ASC"])
    limit = (-1, 0) if q.get_all else (q.size, q.offset)
    pks = [
        r["pk"]
        for r in store.all(
            f"SELECT pk FROM deployments_v WHERE {where} ORDER BY {order} LIMIT ? OFFSET ?",
            [*args, *limit],
        )
    ]
    by_pk = {}
    for start in range(0, len(pks), 500):
        chunk = pks[start : start + 500]
        marks = ",".join("?" for _ in chunk)
        for row in store.all(f"SELECT * FROM deployments_v WHERE pk IN ({marks})", chunk):
            by_pk[row["pk"]] = row
    return [by_pk[pk] for pk in pks], total


@endpoint("deployment_list")
async def deployments_list(request: Request, ctx: Ctx) -> Any:
    em = emulation(ctx.services.emulate)
    q = parse_list_query(
        request.query_params,
        filterable=em.deployment_fields,
        sortable=em.deployment_fields,
        includable=em.deployment_includes,
    )
    rows, total = _query_deployments(request, ctx, q)
    include = em.deployment_includes if q.include is None else q.include
    rendered = "workflows" in include and not (
        em.list_workflows_need_get_data and not query_bool(request.query_params, "_get_data")
    )
    states: dict[int, set[str]] = {}
    if rendered:
        states = deps.instance_states(ctx.services, [r["pk"] for r in rows])
    items = []
    for row in rows:
        item = _deployment(em, row, states.get(row["pk"]), include)
        if "workflows" in item and not rendered:
            item["workflows"] = unrendered_workflows(loads(row["workflows"], None))
        items.append(item)
    return envelope(items, total, q)


def _deployment(
    em: Emulation, row: Any, states: set[str] | None, include: set[str] | frozenset[str]
) -> dict[str, Any]:
    """A deployment with the keys, and workflows, of the emulated version."""
    item = deps.render_deployment(row, states, set(include))
    if "workflows" in item:
        item["workflows"] = em.workflows(item["workflows"])
    return item


@endpoint("deployment_get")
async def deployment_get(request: Request, ctx: Ctx) -> Any:
    em = emulation(ctx.services.emulate)
    include = parse_include(request.query_params, em.deployment_includes)
    row = deps.get_deployment(ctx.services, ctx.tenant or "", request.path_params["dep_id"])
    states = deps.instance_states(ctx.services, [row["pk"]])[row["pk"]]
    return _deployment(em, row, states, em.deployment_includes if include is None else include)


@endpoint("deployment_create", body=True)
async def deployment_create(request: Request, ctx: Ctx) -> Any:
    services = ctx.services
    tenant = ctx.tenant or ""
    dep_id = request.path_params["dep_id"]
    body = ctx.body
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
    async_create = query_bool(request.query_params, "async_create")
    ctx.engine.launch(exec_id)
    if not async_create:
        await ctx.engine.wait(exec_id)
    row = deps.get_deployment(services, tenant, dep_id)
    em = emulation(services.emulate)
    states = deps.instance_states(services, [pk])[pk]
    item = _deployment(em, row, states, em.deployment_includes)
    if em.list_workflows_need_get_data:  # master's PUT is marshalled without get_data too
        item["workflows"] = unrendered_workflows(loads(row["workflows"], None))
    return JSONResponse(item, status_code=201)


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
        QueryParams(kept),
        filterable=em.deployment_fields,
        sortable=(),
        includable=(),
    )
    q.get_all = True
    rows, _ = _query_deployments(request, ctx, q)
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


# -- executions -----------------------------------------------------------------------


def _execution(services: Services, row: Any, include: set[str] | None = None) -> dict[str, Any]:
    """An execution with the keys of the emulated version."""
    em = emulation(services.emulate)
    return execs.render_execution(row, set(em.execution_includes) if include is None else include)


@endpoint("execution_list")
async def executions_list(request: Request, ctx: Ctx) -> Any:
    em = emulation(ctx.services.emulate)
    q = parse_list_query(
        request.query_params,
        filterable=em.execution_fields,
        sortable=em.execution_fields,
        includable=em.execution_includes,
    )
    tenants = ctx.tenants(request)
    clauses, args = build_where(em.execution_fields, q.filters)
    clauses.insert(0, _tenant_clause(tenants))
    args[:0] = tenants
    include_system = parse_bool(
        (q.flags.get("_include_system_workflows") or ["false"])[-1], "_include_system_workflows"
    )
    if not include_system and "is_system_workflow" not in q.filters:
        clauses.append("is_system_workflow = 0")
    where = " AND ".join(clauses)
    store = ctx.services.store
    total = store.one(f"SELECT COUNT(*) AS n FROM executions WHERE {where}", args)["n"]
    order = order_by(em.execution_fields, q.sort, ["created_at ASC", "rowid ASC"])
    limit = (-1, 0) if q.get_all else (q.size, q.offset)
    # Executions that have not ended are few: find them by status and sort them, rather
    # than let SQLite walk every execution in created_at order to avoid that sort.
    statuses = q.filters.get("status")
    hint = ""
    if statuses and "deployment_id" not in q.filters and not set(statuses) & set(END_STATES):
        hint = " INDEXED BY executions_by_status"
    rows = store.all(
        f"SELECT * FROM executions{hint} WHERE {where} ORDER BY {order} LIMIT ? OFFSET ?",
        [*args, *limit],
    )
    return envelope([_execution(ctx.services, r, q.include) for r in rows], total, q)


@endpoint("execution_get")
async def execution_get(request: Request, ctx: Ctx) -> Any:
    include = parse_include(
        request.query_params, emulation(ctx.services.emulate).execution_includes
    )
    row = execs.get_execution(ctx.services, [ctx.tenant or ""], request.path_params["exec_id"])
    return _execution(ctx.services, row, include)


@endpoint("execution_start", body=True)
async def execution_start(request: Request, ctx: Ctx) -> Any:
    row = execs.start_execution(
        ctx.services, ctx.engine, ctx.tenant or "", ctx.identity.username, ctx.body
    )
    return JSONResponse(_execution(ctx.services, row), status_code=201)


@endpoint("execution_cancel", body=True)
async def execution_action(request: Request, ctx: Ctx) -> Any:
    row = execs.execution_action(
        ctx.services, ctx.engine, [ctx.tenant or ""], request.path_params["exec_id"], ctx.body
    )
    return _execution(ctx.services, row)


@endpoint("execution_status_update", body=True)
async def execution_patch(request: Request, ctx: Ctx) -> Any:
    row = execs.update_status(
        ctx.services, ctx.engine, [ctx.tenant or ""], request.path_params["exec_id"], ctx.body
    )
    return _execution(ctx.services, row)


@endpoint("execution_should_start")
async def execution_should_start(request: Request, ctx: Ctx) -> Any:
    return execs.should_start(ctx.services, [ctx.tenant or ""], request.path_params["exec_id"])


@endpoint("execution_delete", body=True)
async def executions_delete(request: Request, ctx: Ctx) -> Any:
    em = emulation(ctx.services.emulate)
    q = parse_list_query(
        request.query_params,
        filterable=em.execution_fields,
        sortable=em.execution_fields,
        includable=em.execution_includes,
    )
    count = execs.delete_executions(ctx.services, ctx.tenants(request), q.filters, ctx.body)
    return envelope([{"count": count}], 1, q, with_filtered=False)


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
    return JSONResponse(_execution(ctx.services, row), status_code=201)


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


# -- secrets ---------------------------------------------------------------------------


@endpoint("secret_list")
async def secrets_list(request: Request, ctx: Ctx) -> Any:
    keys = list(secs.SECRET_FIELDS)
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
    body = await _read_body(request, ctx.services.max_body_bytes)
    caller = secs.caller_for(ctx.services, ctx.identity.username)
    return secs.render_written(secs.create(ctx.services, caller, ctx.tenant or "", key, body))


@endpoint("secret_update")
async def secret_update(request: Request, ctx: Ctx) -> Any:
    key = request.path_params["key"]
    secs.validate_key(key)
    body = await _read_body(request, ctx.services.max_body_bytes)
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


# -- blueprints (read-only: they come from seeds and --blueprints) --------------------


BLUEPRINT_FIELDS = {
    "created_at": deps.Field("created_at"),
    "id": deps.Field("id"),
    "visibility": deps.Field("visibility"),
    "main_file_name": deps.Field("main_file_name"),
    "plan_p": deps.Field("NULL"),
    "plan": deps.Field("plan"),
    "requirements": deps.Field("NULL"),
    "updated_at": deps.Field("updated_at"),
    "description": deps.Field("description"),
    "is_hidden": deps.Field("0", BOOL),
    "state": deps.Field("'uploaded'"),
    "error": deps.Field("NULL"),
    "error_traceback": deps.Field("NULL"),
    "tenant_name": deps.Field("tenant"),
    "created_by": deps.Field("created_by"),
    "resource_availability": deps.Field("visibility"),
    "private_resource": deps.Field("(visibility = 'private')", BOOL),
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
        item["upload_execution"] = _execution(ctx.services, upload) if upload else None
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
    clauses.insert(0, _tenant_clause(tenants))
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


# -- application ------------------------------------------------------------------------

HTTP_MESSAGES = {
    404: (
        "not_found_error",
        "404 Not Found: The requested URL was not found on the server. If you entered the "
        "URL manually please check your spelling and try again.",
    ),
    405: (
        "method_not_allowed_error",
        "405 Method Not Allowed: The method is not allowed for the requested URL.",
    ),
}


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    code, message = HTTP_MESSAGES.get(
        exc.status_code, ("bad_parameters_error", f"{exc.status_code}: {exc.detail}")
    )
    return JSONResponse(
        {"message": message, "error_code": code, "server_traceback": None},
        status_code=exc.status_code,
        headers=getattr(exc, "headers", None),
    )


def routes() -> list[Route]:
    v = "/api/v3.1"
    return [
        Route("/api/version", version, methods=["GET"]),
        Route(f"{v}/version", version, methods=["GET"]),
        Route(f"{v}/ok", ok, methods=["GET"]),
        Route(f"{v}/status", status, methods=["GET"]),
        Route(f"{v}/provider/context", provider_context, methods=["GET"]),
        Route(f"{v}/managers", managers, methods=["GET"]),
        Route(f"{v}/brokers", brokers, methods=["GET"]),
        Route(f"{v}/db-nodes", db_nodes, methods=["GET"]),
        Route(f"{v}/maintenance", maintenance, methods=["GET"]),
        Route(f"{v}/tokens", tokens_list, methods=["GET"]),
        Route(f"{v}/tokens", tokens_create, methods=["POST"]),
        Route(f"{v}/tokens/{{token_id}}", token_get, methods=["GET"]),
        Route(f"{v}/tokens/{{token_id}}", token_delete, methods=["DELETE"]),
        Route(f"{v}/tenants", tenants_list, methods=["GET"]),
        Route(f"{v}/blueprints", blueprints_list, methods=["GET"]),
        Route(f"{v}/blueprints/{{bp_id}}", blueprint_get, methods=["GET"]),
        Route(f"{v}/deployments", deployments_list, methods=["GET"]),
        Route(f"{v}/deployments/{{dep_id}}", deployment_get, methods=["GET"]),
        Route(f"{v}/deployments/{{dep_id}}", deployment_create, methods=["PUT"]),
        Route(f"{v}/deployments/{{dep_id}}", deployment_delete, methods=["DELETE"]),
        Route(f"{v}/workflows", workflows_list, methods=["GET"]),
        Route(f"{v}/executions", executions_list, methods=["GET"]),
        Route(f"{v}/executions", execution_start, methods=["POST"]),
        Route(f"{v}/executions", executions_delete, methods=["DELETE"]),
        Route(f"{v}/executions/{{exec_id}}", execution_get, methods=["GET"]),
        Route(f"{v}/executions/{{exec_id}}", execution_action, methods=["POST"]),
        Route(f"{v}/executions/{{exec_id}}", execution_patch, methods=["PATCH"]),
        Route(f"{v}/executions/{{exec_id}}/should-start", execution_should_start, methods=["GET"]),
        Route(f"{v}/snapshots/{{snap_id}}", snapshot_create, methods=["PUT"]),
        Route(f"{v}/events", events_list, methods=["GET"]),
        Route(f"{v}/events", events_create, methods=["POST"]),
        Route(f"{v}/secrets", secrets_list, methods=["GET"]),
        Route(f"{v}/secrets/{{key}}", secret_get, methods=["GET"]),
        Route(f"{v}/secrets/{{key}}", secret_create, methods=["PUT"]),
        Route(f"{v}/secrets/{{key}}", secret_update, methods=["PATCH"]),
        Route(f"{v}/secrets/{{key}}", secret_delete, methods=["DELETE"]),
        Route(f"{v}/secrets/{{key}}/set-visibility", secret_set_visibility, methods=["PATCH"]),
    ]


MUTATING_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
# Keys of a secret's body whose values never reach a log, not even a test's.
SECRET_BODY_KEYS = ("value", "provider_options")
MASK = "********"


def redacted(path: str, body: Any) -> Any:
    """A logged request body, with a secret's value and provider options masked (and
    all of a body that is not a JSON object, which could hold anything)."""
    if not path.startswith("/api/v3.1/secrets/") or body is None:
        return body
    if not isinstance(body, dict):
        return MASK
    return {k: MASK if k in SECRET_BODY_KEYS else v for k, v in body.items()}


class RequestLog:
    """ASGI middleware: every request's method, path, status and duration go to the
    manager's request log; secrets, query strings and bodies are never kept, except
    with `--request-log-bodies` (tests), which adds the query string and the JSON body
    of requests that change something, the values of secrets masked."""

    def __init__(self, app: Any, services: Services) -> None:
        self.app = app
        self.services = services

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status_holder = {"status": 500}
        keep_body = self.services.request_log_bodies and scope["method"] in MUTATING_METHODS
        chunks: list[bytes] = []

        async def receive_wrapper() -> Any:
            message = await receive()
            if keep_body and message["type"] == "http.request":
                chunks.append(message.get("body", b""))
            return message

        async def send_wrapper(message: Any) -> None:
            if message["type"] == "http.response.start":
                status_holder["status"] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive_wrapper, send_wrapper)
        finally:
            entry: dict[str, Any] = {
                "method": scope["method"],
                "path": scope["path"],
                "status": status_holder["status"],
                "ms": round((time.perf_counter() - started) * 1000, 2),
            }
            if keep_body:
                entry["query"] = scope.get("query_string", b"").decode("latin-1")
                raw = b"".join(chunks)
                body: Any
                try:
                    body = json.loads(raw) if raw else None
                except ValueError:
                    body = raw.decode("utf-8", "replace")
                entry["body"] = redacted(scope["path"], body)
            self.services.request_log.append(entry)
            if self.services.request_log_file is not None:
                self.services.request_log_file.write(json.dumps(entry) + "\n")
                self.services.request_log_file.flush()
            access_log.debug("%(method)s %(path)s %(status)s %(ms)sms", entry)


def create_app(services: Services, *, recover: bool = True) -> Starlette:
    """The ASGI app over `services`, with its engine; runs stop with the app's lifespan."""
    engine = Engine(services)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if recover:
            recover_interrupted(services, engine)
        try:
            yield
        finally:
            await engine.shutdown()

    app = Starlette(
        routes=routes(),
        lifespan=lifespan,
        exception_handlers={HTTPException: http_error},
        middleware=[Middleware(RequestLog, services=services)],
    )
    app.state.services = services
    app.state.engine = engine
    app.state.auth = Authenticator(services.store, services.clock, services.lock)
    return app
