"""A hostile manager: a raw asyncio HTTP/1.1 server on 127.0.0.1 that answers whatever a
test tells it to, byte for byte: non-JSON, truncated bodies, wrong lengths, stalls,
dropped connections, escape sequences. It runs in a thread with its own event loop, so
a client in the test's loop, or in another process (the pty test), can talk to it.
"""

from __future__ import annotations

import asyncio
import json
import re
import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, unquote

V = "/api/v3.1"
FROZEN = "2026-11-26T12:00:00.000Z"


@dataclass(frozen=True)
class Reply:
    """What to answer. `body` is sent as is; `length` overrides Content-Length (a
    truncated body); `stall` never answers; `drop` closes without a byte."""

    status: int = 200
    body: bytes = b""
    content_type: str = "application/json"
    delay: float = 0.0
    stall: bool = False
    drop: bool = False
    length: int | None = None

    @classmethod
    def json(cls, data: Any, status: int = 200, **kw: Any) -> Reply:
        return cls(status=status, body=dumps(data), **kw)


def dumps(data: Any) -> bytes:
    """JSON as a server might send it, lone surrogates included (as `\\ud800` escapes)."""
    return json.dumps(data, allow_nan=True).encode()


@dataclass(frozen=True)
class Request:
    method: str
    path: str  # decoded, without the query string
    query: tuple[tuple[str, str], ...]
    headers: dict[str, str]
    body: bytes

    @property
    def endpoint(self) -> str:
        return classify(self.method, self.path)


def classify(method: str, path: str) -> str:
    """Which endpoint the app reads (or writes) a request is for."""
    if path == "/api/version" or path == f"{V}/version":
        return "version"
    if path == f"{V}/deployments":
        return "deployments"
    if path.startswith(f"{V}/deployments/"):
        return "deployment"
    if path == f"{V}/executions":
        return "start" if method == "POST" else "executions"
    if path.startswith(f"{V}/executions/"):
        return "action" if method == "POST" else "execution"
    if path == f"{V}/events":
        return "events"
    return "other"


Responder = Callable[[Request], Reply]


@dataclass
class HostileServer:
    """`replies[endpoint]` is a Reply or a function of the Request; `default` otherwise."""

    replies: dict[str, Reply | Responder] = field(default_factory=dict)
    default: Responder | None = None
    ssl_context: ssl.SSLContext | None = None
    requests: list[Request] = field(default_factory=list)
    served: int = 0
    url: str = ""

    def __post_init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: asyncio.AbstractServer | None = None
        self._ready = threading.Event()
        self._lock = threading.Lock()

    # -- lifecycle --------------------------------------------------------------------
    def start(self) -> HostileServer:
        self._thread = threading.Thread(target=self._run, name="hostile-server", daemon=True)
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("the hostile server did not start")
        return self

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        asyncio.set_event_loop(loop)

        async def main() -> None:
            self._server = await asyncio.start_server(
                self._handle, "127.0.0.1", 0, limit=1 << 26, ssl=self.ssl_context
            )
            port = self._server.sockets[0].getsockname()[1]
            scheme = "https" if self.ssl_context else "http"
            self.url = f"{scheme}://127.0.0.1:{port}"
            self._ready.set()
            async with self._server:
                await self._server.serve_forever()

        try:
            loop.run_until_complete(main())
        except asyncio.CancelledError:
            pass
        finally:
            for task in asyncio.all_tasks(loop):
                task.cancel()
            loop.run_until_complete(asyncio.sleep(0))
            loop.close()

    def stop(self) -> None:
        if self._loop is None or self._server is None:
            return

        def close() -> None:
            assert self._server is not None
            self._server.close()
            for task in asyncio.all_tasks():
                task.cancel()

        self._loop.call_soon_threadsafe(close)
        if self._thread is not None:
            self._thread.join(10)

    def __enter__(self) -> HostileServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- answering --------------------------------------------------------------------
    def set(self, **replies: Reply | Responder) -> None:
        with self._lock:
            self.replies.update(replies)

    def reply_for(self, request: Request) -> Reply:
        with self._lock:
            chosen = self.replies.get(request.endpoint)
        if chosen is None:
            if self.default is not None:
                return self.default(request)
            return Reply.json({"message": "not here", "error_code": "not_found_error"}, status=404)
        return chosen(request) if callable(chosen) else chosen

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                request = await _read_request(reader)
                if request is None:
                    return
                with self._lock:
                    self.requests.append(request)
                    self.served += 1
                reply = self.reply_for(request)
                if reply.delay:
                    await asyncio.sleep(reply.delay)
                if reply.stall:
                    await asyncio.sleep(3600)
                if reply.drop:
                    return
                length = len(reply.body) if reply.length is None else reply.length
                head = (
                    f"HTTP/1.1 {reply.status} Whatever\r\n"
                    f"Content-Type: {reply.content_type}\r\n"
                    f"Content-Length: {length}\r\n\r\n"
                ).encode()
                writer.write(head + reply.body[:length])
                await writer.drain()
                if reply.length is not None and reply.length != len(reply.body):
                    return  # the rest never comes
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            return
        except asyncio.CancelledError:
            return
        finally:
            writer.close()


async def _read_request(reader: asyncio.StreamReader) -> Request | None:
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError:
        return None
    lines = head.decode("latin-1").split("\r\n")
    method, target, _ = lines[0].split(" ", 2)
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
    body = b""
    if "content-length" in headers:
        body = await reader.readexactly(int(headers["content-length"]))
    raw_path, _, raw_query = target.partition("?")
    return Request(
        method=method,
        path=unquote(raw_path, errors="replace"),
        query=tuple(parse_qsl(raw_query, keep_blank_values=True)),
        headers=headers,
        body=body,
    )


# -- documents the app expects, to be spoiled ------------------------------------------


def page(items: list[Any], total: int | None = None) -> dict[str, Any]:
    return {
        "items": items,
        "metadata": {
            "pagination": {
                "total": len(items) if total is None else total,
                "size": 1000,
                "offset": 0,
            },
            "filtered": None,
        },
    }


def version_doc(version: str = "7.0.5") -> dict[str, Any]:
    return {"version": version, "edition": "community", "distribution": "x"}


def workflow_doc(name: str, **params: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": name,
        "plugin": "p",
        "operation": "o",
        "parameters": params,
        "is_available": True,
        "availability_rules": None,
    }


def deployment_doc(dep_id: str, **fields: Any) -> dict[str, Any]:
    return {
        "id": dep_id,
        "display_name": dep_id,
        "blueprint_id": "bp",
        "tenant_name": "default_tenant",
        "created_at": FROZEN,
        "latest_execution": None,
        "latest_execution_status": "completed",
        "latest_execution_workflow_id": "install",
        "deployment_status": "good",
        "installation_status": "active",
        "workflows": [workflow_doc("install"), workflow_doc("uninstall")],
        **fields,
    }


def execution_doc(exec_id: str, dep_id: str = "dep", **fields: Any) -> dict[str, Any]:
    return {
        "id": exec_id,
        "workflow_id": "install",
        "deployment_id": dep_id,
        "status": "started",
        "error": "",
        "created_at": FROZEN,
        "started_at": FROZEN,
        "ended_at": None,
        "created_by": "admin",
        "total_operations": 9,
        "finished_operations": 4,
        "is_dry_run": False,
        "parameters": {},
        "blueprint_id": "bp",
        **fields,
    }


def event_doc(n: int, message: str = "hello", **fields: Any) -> dict[str, Any]:
    return {
        "_storage_id": n,
        "type": "cloudify_log",
        "reported_timestamp": FROZEN,
        "timestamp": FROZEN,
        "message": message,
        "event_type": None,
        "level": "info",
        "node_instance_id": "vm_1",
        "operation": "create",
        "execution_id": "e",
        "error_causes": None,
        **fields,
    }


def benign(dep_ids: tuple[str, ...] = ("dep",)) -> dict[str, Reply | Responder]:
    """A well-formed little world: the baseline a test spoils one endpoint of."""
    executions = [execution_doc(f"exec-{d}", d) for d in dep_ids]

    def executions_reply(request: Request) -> Reply:
        wanted = dict(request.query).get("deployment_id")
        items = [e for e in executions if wanted in (None, e["deployment_id"])]
        return Reply.json(page(items))

    def deployment_reply(request: Request) -> Reply:
        dep_id = request.path.rsplit("/", 1)[1]
        return Reply.json(deployment_doc(dep_id))

    def execution_reply(request: Request) -> Reply:
        exec_id = request.path.rsplit("/", 1)[1]
        return Reply.json(execution_doc(exec_id))

    return {
        "version": Reply.json(version_doc()),
        "deployments": Reply.json(page([deployment_doc(d) for d in dep_ids])),
        "deployment": deployment_reply,
        "executions": executions_reply,
        "execution": execution_reply,
        "start": Reply.json(execution_doc("new-exec", status="pending"), status=201),
        "action": Reply.json(execution_doc("exec-dep", status="cancelling")),
        "events": Reply.json(page([event_doc(1), event_doc(2, "bye")])),
    }


CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
