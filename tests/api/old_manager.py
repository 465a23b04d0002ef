"""A manager older than the embedded one, as a client sees it: the embedded manager
behind an httpx transport that refuses `_include` fields the older version lacks,
with the real `no_such_include_field_error` answer, and counts the refusals.

Until the embedded manager can emulate other versions itself, this is how the client
is tried against 6.x answers; everything else is the real embedded manager's."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable

import httpx


class OldManager(httpx.AsyncBaseTransport):
    def __init__(
        self,
        lacks: dict[str, Iterable[str]],
        *,
        version: str = "6.2.0",
        wording: str = "7",
        refuse: Callable[[httpx.Request], int | None] | None = None,
    ) -> None:
        self.lacks = {resource: set(fields) for resource, fields in lacks.items()}
        self.version = version
        self.wording = wording
        self.refuse = refuse  # another refusal to inject: the status code, or None
        self.refused: list[str] = []
        self.requests: list[str] = []
        self._inner = httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request.url.path)
        resource = request.url.path.removeprefix("/api/v3.1/").split("/", 1)[0]
        include = request.url.params.get("_include")
        if include and resource in self.lacks:
            asked = include.split(",")
            bad = [name for name in asked if name in self.lacks[resource]]
            if bad:
                self.refused.append(f"{resource}:{','.join(bad)}")
                return self._error(400, "no_such_include_field_error", self._message(bad))
        if self.refuse is not None:
            status = self.refuse(request)
            if status is not None:
                self.refused.append(f"{request.url.path}:{status}")
                return self._error(status, "internal_server_error", "injected failure")
        response = await self._inner.handle_async_request(request)
        if request.url.path == "/api/version" and response.status_code == 200:
            await response.aread()
            body = json.loads(response.content)
            body["version"] = self.version
            return httpx.Response(200, json=body, request=request)
        return response

    def _message(self, bad: list[str]) -> str:
        if self.wording == "opaque":
            return "Include fields are not valid"
        if self.wording == "7":
            return f"Include keys '{bad}' do not exist. Allowed keys are: ['id', 'created_at']"
        return f"Illegal include fields: {bad} - choose from: ['id', 'created_at']"

    @staticmethod
    def _error(status: int, code: str, message: str) -> httpx.Response:
        body = {"message": message, "error_code": code, "server_traceback": None}
        return httpx.Response(status, json=body)

    async def aclose(self) -> None:
        await self._inner.aclose()
