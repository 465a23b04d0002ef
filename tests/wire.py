"""What a client really sends: the real httpx transport, keeping every request.

Tests that must see a request's query or body (not only its method and path, which the
client's `on_request` hook reports) connect through `RecordingTransport`; the requests
still reach the embedded manager unchanged.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import httpx

from tests.manager_process import PASSWORDS
from tui.api.client import ManagerClient

R = TypeVar("R", bound="RecordingTransport")


class RecordingTransport(httpx.AsyncBaseTransport):
    """The real transport, keeping every request exactly as it goes on the wire."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.requests: list[httpx.Request] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()

    def sent(self, mark: int = 0) -> list[tuple[str, str, list[tuple[str, str]]]]:
        """(method, path, query pairs in order) of each request from `mark` on."""
        return [
            (r.method, r.url.path, list(r.url.params.multi_items())) for r in self.requests[mark:]
        ]

    def body(self, index: int) -> Any:
        """The JSON body of request `index`."""
        return json.loads(self.requests[index].content)


@asynccontextmanager
async def recording_client(
    url: str, transport: R | None = None
) -> AsyncIterator[tuple[ManagerClient, R]]:
    """An admin client of the manager at `url`, and the transport that records what it
    sends (a new `RecordingTransport` unless one of its kinds is given)."""
    used = transport if transport is not None else RecordingTransport()
    async with ManagerClient(
        url, username="admin", password=PASSWORDS["admin"], transport=used
    ) as client:
        yield client, used  # type: ignore[misc]
