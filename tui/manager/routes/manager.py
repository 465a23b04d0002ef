"""The manager itself: version, status, its nodes and maintenance mode."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tui.manager.endpoint import API, Ctx, endpoint
from tui.manager.listing import (
    query_bool,
)
from tui.manager.services import MANAGER_EDITION, Services
from tui.manager.versions import emulation


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


ROUTES = [
    Route("/api/version", version, methods=["GET"]),
    Route(f"{API}/version", version, methods=["GET"]),
    Route(f"{API}/ok", ok, methods=["GET"]),
    Route(f"{API}/status", status, methods=["GET"]),
    Route(f"{API}/provider/context", provider_context, methods=["GET"]),
    Route(f"{API}/managers", managers, methods=["GET"]),
    Route(f"{API}/brokers", brokers, methods=["GET"]),
    Route(f"{API}/db-nodes", db_nodes, methods=["GET"]),
    Route(f"{API}/maintenance", maintenance, methods=["GET"]),
]
