"""A fault-injecting HTTP proxy in front of the real manager, in a thread.

It reads each request from the app, and for the requests a test targets (by method and
path prefix) applies a fault: `drop_before` closes without forwarding (the request is
lost), `drop_after` forwards it, waits for the manager's answer, then closes without
passing it on (the answer is lost), `delay` forwards it and holds the answer past the
client's read timeout. Everything else passes through.
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass, field

import httpx

from tests.hardening.hostile import Request, _read_request

FAULTS = ("drop_before", "drop_after", "delay")


@dataclass
class FaultProxy:
    upstream: str
    fault: str | None = None
    method: str = "POST"
    prefix: str = "/api/v3.1/executions"
    exact: bool = True  # only `prefix` itself, not `prefix/<id>`
    delay: float = 1.5
    seen: list[tuple[str, str, str]] = field(default_factory=list)  # (method, path, fault)
    url: str = ""

    def __post_init__(self) -> None:
        self._ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.AbstractServer | None = None
        self._thread = threading.Thread(target=self._run, name="fault-proxy", daemon=True)

    def start(self) -> FaultProxy:
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("the proxy did not start")
        return self

    def stop(self) -> None:
        if self._loop is not None and self._server is not None:

            def close() -> None:
                assert self._server is not None
                self._server.close()
                for task in asyncio.all_tasks():
                    task.cancel()

            self._loop.call_soon_threadsafe(close)
        self._thread.join(10)

    def targeted(self, request: Request) -> bool:
        if request.method != self.method:
            return False
        if self.exact:
            return request.path == self.prefix
        return request.path.startswith(self.prefix + "/")

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop

        async def main() -> None:
            self._http = httpx.AsyncClient(base_url=self.upstream, timeout=30)
            self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
            self.url = f"http://127.0.0.1:{self._server.sockets[0].getsockname()[1]}"
            self._ready.set()
            try:
                async with self._server:
                    await self._server.serve_forever()
            finally:
                await self._http.aclose()

        try:
            loop.run_until_complete(main())
        except asyncio.CancelledError:
            pass
        finally:
            loop.close()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                request = await _read_request(reader)
                if request is None:
                    return
                fault = self.fault if self.targeted(request) else None
                self.seen.append((request.method, request.path, fault or ""))
                if fault == "drop_before":
                    return
                headers = {
                    k: v
                    for k, v in request.headers.items()
                    if k not in ("host", "content-length", "connection", "accept-encoding")
                }
                target = request.path
                response = await self._http.request(
                    request.method,
                    target,
                    params=list(request.query),
                    headers=headers,
                    content=request.body,
                )
                if fault == "drop_after":
                    return
                if fault == "delay":
                    await asyncio.sleep(self.delay)
                head = f"HTTP/1.1 {response.status_code} X\r\n"
                head += f"Content-Type: {response.headers.get('content-type', '')}\r\n"
                head += f"Content-Length: {len(response.content)}\r\n\r\n"
                writer.write(head.encode() + response.content)
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
            return
        finally:
            writer.close()
