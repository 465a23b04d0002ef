"""UI test fixtures: the app wired to a real embedded manager.

Snapshot tests freeze everything a picture depends on: the manager's clock and ids
(`--frozen-time`, `--sequential-ids`), the app's clock, the time zone, and the
address shown in the status line.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.manager_process import PASSWORDS, ManagerProcess
from tui.api.client import ManagerClient
from tui.app import CfyTuiApp
from tui.identity import Identity
from tui.manager.clock import parse_timestamp

FROZEN_ISO = "2026-11-26T12:00:00.000Z"
FROZEN = parse_timestamp(FROZEN_ISO)
SHOWN_URL = "http://127.0.0.1:8100"


@pytest.fixture(autouse=True)
def utc(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    time.tzset()


@pytest.fixture
def frozen_manager(tmp_path: Path) -> Iterator[ManagerProcess]:
    """A manager whose clock and ids never vary, at real-life speed so that nothing
    moves while a picture is taken."""
    proc = ManagerProcess(
        data=tmp_path / "frozen",
        speed=1.0,
        extra_args=["--frozen-time", FROZEN_ISO, "--sequential-ids"],
    ).start()
    try:
        yield proc
    finally:
        proc.stop()


def make_app(
    manager: ManagerProcess,
    *,
    user: str = "admin",
    frozen: bool = False,
    read_only: bool = False,
    password: str | None = None,
    tenant: str = "default_tenant",
    transport: httpx.AsyncBaseTransport | None = None,
    hosts: Sequence[str] | None = None,
    **kw: Any,
) -> CfyTuiApp:
    """The app on `manager` as `user` (its test password unless `password` is given);
    `transport` puts something between them (tests/api/old_manager.py); `hosts` are
    the URLs of a cluster to connect to instead of `manager`'s alone."""
    client = ManagerClient(
        list(hosts) if hosts else manager.url,
        username=user,
        password=PASSWORDS[user] if password is None else password,
        tenant=tenant,
        transport=transport,
    )
    identity = Identity(
        url=SHOWN_URL if frozen else (hosts[0] if hosts else manager.url),
        tenant=tenant,
        user=user,
        read_only=read_only,
    )
    clock: Callable[[], float] = (lambda: FROZEN) if frozen else time.time
    options = {"fast_interval": 0.2, "slow_interval": 0.5, **kw}
    return CfyTuiApp(client, identity, read_only=read_only, clock=clock, **options)


async def wait_until(
    pilot: Any, condition: Callable[[], Any], timeout: float = 20.0, what: str = "condition"
) -> Any:
    """Let the app run until `condition()` is truthy."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        await pilot.pause(0.05)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def snap(snap_compare: Callable[..., bool]) -> Callable[..., bool]:
    """`snap_compare` that also fails when the app raised: a crashing app can still
    produce a picture that matches."""

    def compare(app: CfyTuiApp, **kw: Any) -> bool:
        result = snap_compare(app, **kw)
        assert getattr(app, "_exception", None) is None, app._exception
        return result

    return compare


def no_color(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
