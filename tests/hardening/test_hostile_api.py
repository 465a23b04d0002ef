"""The client against a hostile manager: whatever comes back, a call returns a model or
raises an `ApiError` subclass, and every string of a model is inert after `clean`."""

from __future__ import annotations

import asyncio
import dataclasses
import re
import time
from collections.abc import Awaitable, Callable, Iterator, Mapping
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.hardening.figures import count, scaled
from tests.hardening.hostile import HostileServer, Reply, execution_doc, page
from tests.hardening.strategies import hostile_text, huge_text, reply
from tui.api import (
    ApiError,
    BadResponse,
    ConnectionRefused,
    InvalidRequest,
    ManagerClient,
    RequestTimeout,
    RunningExecutionConflict,
    Timeouts,
)
from tui.widgets.safe import clean, safe

# What must never survive `clean`: C0 but tab and newline, DEL, C1, lone surrogates,
# bidi controls and zero-width characters.
FORBIDDEN = re.compile(
    r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\u061c\u200b-\u200f\u202a-\u202e"
    r"\u2060-\u2064\u2066-\u2069\ufeff]"
)

Call = Callable[[ManagerClient, str], Awaitable[Any]]
CALLS: dict[str, Call] = {
    "version": lambda c, _: c.version(),
    "deployments": lambda c, _: c.list_deployments(search="x"),
    "deployment": lambda c, ident: c.get_deployment(ident),
    "executions": lambda c, ident: c.list_executions(deployment_id=ident, statuses=["started"]),
    "execution": lambda c, ident: c.get_execution(ident),
    "start": lambda c, ident: c.start_execution(ident, "install", {"a": 1}),
    "action": lambda c, ident: c.cancel_execution(ident, "kill"),
    "events": lambda c, ident: c.list_events(ident),
}
ids = st.one_of(st.just("dep"), hostile_text.filter(bool), huge_text)


@pytest.fixture(scope="module")
def server() -> Iterator[HostileServer]:
    with HostileServer() as hostile:
        yield hostile


@pytest.fixture(scope="module")
def runner() -> Iterator[asyncio.Runner]:
    """One event loop and one client for every example (a client costs ~20 ms)."""
    with asyncio.Runner() as loop:
        yield loop


CLIENTS: dict[str, ManagerClient] = {}


def strings(value: Any) -> Iterator[str]:
    """Every string inside a model (fields, raw mappings, keys), without recursion:
    hostile documents nest deeper than Python's recursion limit allows walking."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            yield item
        elif dataclasses.is_dataclass(item) and not isinstance(item, type):
            stack.extend(getattr(item, f.name) for f in dataclasses.fields(item))
        elif isinstance(item, Mapping):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, (list, tuple)):
            stack.extend(item)


def assert_inert(text: str) -> None:
    one_line = clean(text)
    assert not FORBIDDEN.search(one_line), repr(one_line[:200])
    assert "\n" not in one_line and "\t" not in one_line
    assert len(one_line) <= 2001
    many = clean(text, limit=None, single_line=False)
    assert not FORBIDDEN.search(many), repr(many[:200])
    shown = safe(text)
    assert shown.plain == one_line and not shown.spans  # never parsed as markup


def call(
    server: HostileServer, endpoint: str, ident: str, runner: asyncio.Runner | None = None
) -> Any:
    async def fresh() -> Any:
        async with ManagerClient(
            server.url, username="u", password="p", timeouts=TIMEOUTS
        ) as client:
            return await CALLS[endpoint](client, ident)

    async def shared() -> Any:
        client = CLIENTS.get(server.url)
        if client is None:
            client = CLIENTS[server.url] = ManagerClient(
                server.url, username="u", password="p", timeouts=TIMEOUTS
            )
        return await CALLS[endpoint](client, ident)

    if runner is None:
        return asyncio.run(fresh())
    return runner.run(shared())


TIMEOUTS = Timeouts(connect=2, read=2, write=2, pool=2)


@pytest.mark.parametrize("endpoint", sorted(CALLS))
@settings(
    max_examples=scaled(50),
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(data=st.data())
def test_any_answer_is_a_model_or_an_api_error(
    server: HostileServer, runner: asyncio.Runner, endpoint: str, data: st.DataObject
) -> None:
    answer = data.draw(reply(endpoint), label="reply")
    ident = data.draw(ids, label="id")
    server.set(**{endpoint: answer})
    count("hostile cases generated (client level)")
    try:
        result = call(server, endpoint, ident, runner)
    except ApiError as error:
        for text in strings(error.__dict__):
            assert_inert(text)
        return
    for text in strings(result):
        assert_inert(text)


def test_stalled_and_slow_answers(server: HostileServer) -> None:
    server.set(version=Reply.json({"version": "7"}, delay=0.3))
    assert call(server, "version", "").version == "7"  # slow, within the read timeout
    server.set(version=Reply(stall=True))
    started = time.monotonic()
    with pytest.raises(RequestTimeout):
        call(server, "version", "")
    assert time.monotonic() - started < 10
    server.set(version=Reply(drop=True))
    with pytest.raises(ConnectionRefused):
        call(server, "version", "")
    server.set(version=Reply.json({"version": "7"}, length=10_000))
    with pytest.raises(ConnectionRefused):
        call(server, "version", "")  # announced 10 kB, sent a few bytes, closed
    count("hostile cases generated (client level)", 4)


def test_deep_nesting_is_a_bad_response_not_a_recursion_error(server: HostileServer) -> None:
    # json.loads raises RecursionError, not ValueError, on 100 000 nested arrays.
    server.set(deployments=Reply(body=b"[" * 100_000 + b"]" * 100_000))
    with pytest.raises(BadResponse):
        call(server, "deployments", "")
    count("hostile cases generated (client level)")


def test_ids_that_cannot_be_sent_are_refused_before_sending(server: HostileServer) -> None:
    before = len(server.requests)
    with pytest.raises(InvalidRequest):  # longer than any URL
        call(server, "deployment", "x" * 100_000)
    assert len(server.requests) == before
    server.set(deployment=Reply.json({"message": "no", "error_code": "not_found_error"}, 404))
    with pytest.raises(ApiError):  # a lone surrogate is sent replaced, not a crash
        call(server, "deployment", "a\ud800b")
    assert server.requests[-1].path.endswith("/a\ufffd\ufffd\ufffdb")
    count("hostile cases generated (client level)", 2)


def test_repeated_ids_keep_one_row(server: HostileServer) -> None:
    items = [execution_doc("e1"), execution_doc("e2"), execution_doc("e1", status="failed")]
    server.set(executions=Reply.json(page(items)))
    result = call(server, "executions", "dep")
    assert [e.id for e in result.items] == ["e1", "e2"]
    assert result.items[0].status == "started"
    count("hostile cases generated (client level)")


def test_a_conflict_message_cannot_stall_the_app(server: HostileServer) -> None:
    """`blocking_ids` parses the server's message; a quadratic regex on a long run of
    `[` took seconds for 20 kB, and forever for 1 MB."""
    message = "[" * (1 << 20)
    server.set(
        start=Reply.json(
            {"message": message, "error_code": "existing_running_execution_error"}, 400
        )
    )
    with pytest.raises(RunningExecutionConflict) as caught:
        call(server, "start", "dep")
    started = time.monotonic()
    assert caught.value.blocking_ids == []
    assert time.monotonic() - started < 0.5
    count("hostile cases generated (client level)")
