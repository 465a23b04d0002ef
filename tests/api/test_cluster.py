"""`ManagerClient` on the hosts of a cluster: real embedded managers on loopback ports,
closed ports for hosts that are down, and tiny local servers for hosts that take a
request and then fail.

The embedded managers of a test are distinct managers (SQLite has one writer, so two
processes cannot share a data directory); their seeds differ, so the data says which
one answered.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import admin_client
from tests.local_server import LocalServer, closed_port, http_answer
from tests.manager_process import DEMO_DEPLOYMENTS, PASSWORDS, ManagerProcess
from tui.api import (
    ConnectionRefused,
    ManagerClient,
    RequestTimeout,
    Timeouts,
    TransportError,
    Unauthorized,
    Unavailable,
)
from tui.api.hosts import Hosts

# A deliberately short bound for "moves to the next host": a refused connection is
# noticed at once; 5 s leaves room for a loaded CI machine.
FAILOVER_BOUND = 5.0
RESTART = {"batch_size": 2}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ManagerProcess]:
    """A manager with the demo deployments."""
    proc = ManagerProcess(data=tmp_path_factory.mktemp("demo")).start()
    try:
        yield proc
    finally:
        proc.stop()


@pytest.fixture(scope="module")
def empty(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ManagerProcess]:
    """A manager without deployments."""
    proc = ManagerProcess(data=tmp_path_factory.mktemp("empty"), seed="none").start()
    try:
        yield proc
    finally:
        proc.stop()


def cluster(*urls: str, **options: object) -> ManagerClient:
    return ManagerClient(list(urls), username="admin", password=PASSWORDS["admin"], **options)


async def deployment_ids(client: ManagerClient) -> list[str]:
    return [d.id for d in (await client.list_deployments()).items]


def execution_count(manager: ManagerProcess) -> int:
    with admin_client(manager) as http:
        return http.get("/executions", params={"_size": 1}).json()["metadata"]["pagination"][
            "total"
        ]


# -- choosing the host -----------------------------------------------------------------------


def test_hosts_are_tried_from_the_one_in_use_wrapping_around() -> None:
    hosts = Hosts(["a", "b", "c"])
    assert hosts.attempts() == [0, 1, 2] and hosts.current == "a"
    hosts.answered(2)
    assert hosts.attempts() == [2, 0, 1] and hosts.current == "c"
    assert hosts.is_cluster and not Hosts(["a"]).is_cluster
    with pytest.raises(ValueError, match=r"^at least one manager URL is needed$"):
        Hosts([])


async def test_first_of_three_down_the_data_comes_from_the_second(
    demo: ManagerProcess, empty: ManagerProcess
) -> None:
    with closed_port() as port:
        down = f"http://127.0.0.1:{port}"
        async with cluster(down, demo.url, empty.url) as client:
            assert await deployment_ids(client) == DEMO_DEPLOYMENTS
            assert client.url == demo.url and client.hosts.index == 1
            # The working host stays in use: the next request goes there first.
            assert (await client.version()).version
            assert client.url == demo.url


async def test_the_host_in_use_stops_and_the_next_one_answers(
    tmp_path: Path, empty: ManagerProcess
) -> None:
    first = ManagerProcess(data=tmp_path / "first").start()
    try:
        async with cluster(first.url, empty.url) as client:
            assert await deployment_ids(client) == DEMO_DEPLOYMENTS
            assert client.url == first.url
            first.stop()
            started = time.monotonic()
            assert await deployment_ids(client) == []
            elapsed = time.monotonic() - started
            assert client.url == empty.url
    finally:
        first.stop()
    assert elapsed < FAILOVER_BOUND, f"failover took {elapsed:.2f}s"


async def test_a_read_whose_connection_broke_goes_to_the_next_host_once(
    demo: ManagerProcess,
) -> None:
    cut = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{"
    async with LocalServer(cut) as broken, cluster(broken.url, demo.url) as client:
        assert await deployment_ids(client) == DEMO_DEPLOYMENTS
        assert await deployment_ids(client) == DEMO_DEPLOYMENTS
        # The broken host got the first request only: the second went to the one in use.
        assert len(broken.requests) == 1
        assert client.url == demo.url


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        pytest.param(
            http_answer("500 INTERNAL SERVER ERROR", b'{"message": "boom"}'), Unavailable, id="500"
        ),
        pytest.param(
            http_answer(
                "401 UNAUTHORIZED", b'{"message": "no", "error_code": "unauthorized_error"}'
            ),
            Unauthorized,
            id="401",
        ),
    ],
)
async def test_an_error_answer_is_the_answer(
    demo: ManagerProcess, answer: bytes, error: type[Exception]
) -> None:
    async with LocalServer(answer) as server, cluster(server.url, demo.url) as client:
        with pytest.raises(error):
            await client.list_deployments()
        assert client.url == server.url
        assert len(server.requests) == 1


async def test_every_host_down_names_them_all() -> None:
    with closed_port() as one, closed_port() as two:
        urls = [f"http://127.0.0.1:{one}", f"http://127.0.0.1:{two}"]
        async with cluster(*urls) as client:
            with pytest.raises(ConnectionRefused) as info:
                await client.list_deployments()
    assert all(url in info.value.message for url in urls)


# -- requests that change things ----------------------------------------------------------------


async def test_a_start_goes_to_the_next_host_when_nothing_was_sent(tmp_path: Path) -> None:
    target = ManagerProcess(data=tmp_path / "target").start()
    try:
        before = execution_count(target)
        with closed_port() as port:
            async with cluster(f"http://127.0.0.1:{port}", target.url) as client:
                execution = await client.start_execution("web-prod", "rolling_restart", RESTART)
        assert execution.status in ("pending", "started", "queued")
        assert execution_count(target) == before + 1
    finally:
        target.stop()


async def test_a_start_that_may_have_arrived_is_never_sent_again(tmp_path: Path) -> None:
    target = ManagerProcess(data=tmp_path / "target").start()
    try:
        before = execution_count(target)
        async with (
            LocalServer(answer=None) as silent,
            cluster(silent.url, target.url, timeouts=Timeouts(read=0.3)) as client,
        ):
            with pytest.raises(RequestTimeout) as info:
                await client.start_execution("web-prod", "rolling_restart", RESTART)
            assert len(silent.requests) == 1
            assert silent.requests[0].startswith(b"POST /api/v3.1/executions ")
        assert isinstance(info.value, TransportError)
        assert execution_count(target) == before
    finally:
        target.stop()


async def test_a_cancel_whose_connection_broke_is_not_sent_again(demo: ManagerProcess) -> None:
    cut = b"HTTP/1.1 200 OK\r\nContent-Length: 500\r\n\r\n{"
    async with LocalServer(cut) as broken, cluster(broken.url, demo.url) as client:
        with pytest.raises(ConnectionRefused) as info:
            await client.cancel_execution("no-such-execution")
        assert broken.url in info.value.message
        assert len(broken.requests) == 1
