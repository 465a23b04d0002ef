"""What every handler shares: authentication, the tenant and its permission check, the
JSON body and the mapping of errors to the real manager's error bodies (`endpoint`),
and the request context a handler receives (`Ctx`)."""

from __future__ import annotations

import functools
import json
import logging
import traceback
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from tui.manager.auth import Authenticator, Identity
from tui.manager.engine import Engine
from tui.manager.errors import (
    CRASH_MESSAGE,
    BadParameters,
    InternalError,
    ManagerError,
    PayloadTooLarge,
    UnsupportedContentType,
)
from tui.manager.listing import query_bool
from tui.manager.services import Services

API = "/api/v3.1"
BODY_METHODS = ("POST", "PUT", "PATCH")


@dataclass
class Ctx:
    """What a handler gets besides the request: the manager's services and engine, the
    authenticator, who asks, the `Tenant` header and the JSON body (when it takes one)."""

    services: Services
    engine: Engine
    auth: Authenticator
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


async def read_body(request: Request, limit: int) -> dict[str, Any]:
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
                    await read_body(request, services.max_body_bytes)
                    if body and request.method in (*BODY_METHODS, "DELETE")
                    else {}
                )
                ctx = Ctx(services, engine, auth, identity, tenant_name, parsed)
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
