"""The ASGI application: every domain's routes, the request log, the answers to unknown
routes and methods, and the engine's lifespan."""

from __future__ import annotations

import contextlib
import json
import logging
import time
from collections.abc import AsyncIterator
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tui.manager.auth import Authenticator
from tui.manager.engine import Engine
from tui.manager.recovery import recover_interrupted
from tui.manager.routes import (
    blueprints,
    deployment_groups,
    deployments,
    events,
    execution_groups,
    executions,
    filters,
    labels,
    manager,
    nodes,
    searches,
    secrets,
    snapshots,
    tenants,
    tokens,
)
from tui.manager.services import Services

access_log = logging.getLogger("tui.manager.access")


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
    """Every route of every domain, in the order Starlette tries them."""
    return [
        *manager.ROUTES,
        *tokens.ROUTES,
        *tenants.ROUTES,
        *blueprints.ROUTES,
        *searches.ROUTES,
        *deployments.ROUTES,
        *deployment_groups.ROUTES,
        *labels.ROUTES,
        *filters.ROUTES,
        *nodes.ROUTES,
        *executions.ROUTES,
        *execution_groups.ROUTES,
        *snapshots.ROUTES,
        *events.ROUTES,
        *secrets.ROUTES,
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
    with `--request-log-bodies` (tests), which adds the query string of every request
    and the JSON body of those that change something, the values of secrets masked."""

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
            if self.services.request_log_bodies:
                entry["query"] = scope.get("query_string", b"").decode("latin-1")
            if keep_body:
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
