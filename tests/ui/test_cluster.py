"""The app on the hosts of a cluster: the status line names the host in use, the
settings view lists them all, and a host that stops is replaced by the next one.

Each host is a distinct embedded manager (two processes cannot share one SQLite data
directory); a host that is down is a closed loopback port.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.hardening.screen import screen_text
from tests.local_server import closed_port
from tests.manager_process import ManagerProcess
from tests.ui.conftest import make_app, wait_until
from tests.ui.helpers import main, ready, screen_name, table
from tui.api.models import Execution
from tui.app import CfyTuiApp
from tui.identity import Identity
from tui.live.snapshot import ConnectionState, Snapshot
from tui.widgets.status_line import status_line_text

# Generous for a loaded machine; the poller's next tick (0.5 s at most in these
# tests) plus one refused connection is what it takes.
FAILOVER_BOUND = 5.0


@pytest.fixture
def second(tmp_path: Path) -> Iterator[ManagerProcess]:
    proc = ManagerProcess(data=tmp_path / "second").start()
    try:
        yield proc
    finally:
        proc.stop()


@pytest.fixture
def empty(tmp_path: Path) -> Iterator[ManagerProcess]:
    proc = ManagerProcess(data=tmp_path / "empty", seed="none").start()
    try:
        yield proc
    finally:
        proc.stop()


def status(app: CfyTuiApp) -> str:
    return str(main(app).query_one("#status-line").render())


def hostport(url: str) -> str:
    return url.split("://", 1)[1]


async def test_first_host_down_the_app_uses_the_second_and_says_so(
    second: ManagerProcess, empty: ManagerProcess
) -> None:
    with closed_port() as port:
        down = f"http://127.0.0.1:{port}"
        hosts = [down, second.url, empty.url]
        rows = [("manager", ", ".join(hosts), "flag --manager"), ("tenant", "default_tenant", "")]
        app = make_app(second, hosts=hosts, settings_rows=rows)
        async with app.run_test(size=(80, 24)) as pilot:
            await ready(pilot, app)  # the demo deployments: the second host's data
            assert "web-prod" in table(app, "deployments").keys
            line = await wait_until(
                pilot, lambda: (text := status(app)) and "2/3" in text and text, what="host 2/3"
            )
            assert hostport(second.url) in line and f":{port}" not in line
            assert "connected" in line

            # The settings view: every host, the one in use marked (wide enough that
            # the URLs are not folded).
            await pilot.resize_terminal(120, 36)
            await pilot.press("comma")
            await wait_until(pilot, lambda: screen_name(app) == "SettingsScreen", what="settings")
            await pilot.pause(0.2)
            text = screen_text(app)
            for number, url in enumerate(hosts, start=1):
                assert f"manager {number}/3" in text
                assert hostport(url) in text
            assert "manager 2/3 (in use)" in text
            assert "manager 1/3 (in use)" not in text and "manager 3/3 (in use)" not in text


async def test_stopping_the_host_in_use_moves_to_the_next_within_seconds(
    tmp_path: Path, second: ManagerProcess
) -> None:
    first = ManagerProcess(data=tmp_path / "first").start()
    try:
        app = make_app(first, hosts=[first.url, second.url])
        async with app.run_test(size=(120, 36), notifications=True) as pilot:
            await ready(pilot, app)
            await wait_until(pilot, lambda: "(host 1/2)" in status(app), what="host 1/2")
            assert hostport(first.url) in status(app)

            first.stop()
            started = time.monotonic()
            await wait_until(
                pilot,
                lambda: "(host 2/2)" in status(app) and hostport(second.url) in status(app),
                timeout=FAILOVER_BOUND * 3,
                what="the status line to name the second host",
            )
            elapsed = time.monotonic() - started
            assert elapsed < FAILOVER_BOUND, f"failover took {elapsed:.2f}s"
            # The data stays live, not stale; the user is told which host went away.
            assert main(app).snapshot.connection.connected
            assert "web-prod" in table(app, "deployments").keys
            assert [n for n in app._notifications if "now using" in n.message]
    finally:
        first.stop()


def cluster_identity(in_use: int) -> Identity:
    hosts = tuple(f"https://cfy-manager-{n}.example.com" for n in (1, 2, 3))
    return Identity(url=hosts[0], tenant="default_tenant", user="admin", hosts=hosts, in_use=in_use)


@pytest.mark.parametrize("width", [80, 100, 120, None])
def test_status_line_names_the_host_in_use_at_any_width(width: int | None) -> None:
    now = 1_000_000.0
    snapshot = Snapshot(connection=ConnectionState(connected=True), updated_at=now - 3)
    line = status_line_text(snapshot, cluster_identity(1), "7.0.4", now, width=width)
    text = line.plain
    assert width is None or line.cell_len <= width
    assert "cfy-manager-2.example.com" in text
    assert "cfy-manager-1" not in text and "cfy-manager-3" not in text
    assert "2/3" in text and "default_tenant" in text and "admin" in text


@pytest.mark.parametrize("width", [80, 100, 120, None])
def test_a_running_system_workflow_leaves_tenant_and_user_visible(width: int | None) -> None:
    now = 1_000_000.0
    snapshot = Snapshot(
        connection=ConnectionState(connected=True),
        updated_at=now - 3,
        active=(
            Execution(
                id="3f2c6e44-aaaa", workflow_id="create_snapshot", status="started",
                is_system_workflow=True,
            ),
        ),
    )  # fmt: skip
    one = Identity(url="http://127.0.0.1:18500", tenant="default_tenant", user="admin")
    line = status_line_text(snapshot, one, "7.0.4", now, width=width)
    text = line.plain
    assert width is None or line.cell_len <= width
    assert "create_snapshot" in text and "default_tenant" in text and "admin" in text
    if width is None:
        assert "system create_snapshot started" in text


def test_status_line_of_one_host_is_unchanged() -> None:
    now = 1_000_000.0
    snapshot = Snapshot(connection=ConnectionState(connected=True), updated_at=now - 3)
    one = Identity(url="https://cfy.example.com", tenant="default_tenant", user="admin")
    text = status_line_text(snapshot, one, "7.0.4", now).plain
    assert "https://cfy.example.com · manager 7.0.4" in text and "/" not in text.split("com")[1]
