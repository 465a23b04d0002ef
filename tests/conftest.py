"""Fixtures shared by every test: a real embedded manager on a loopback port."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from tests.manager_process import PASSWORDS, ManagerProcess
from tests.wire import RecordingTransport, recording_client
from tui.api.client import ManagerClient
from tui.config import ENVIRONMENT


@pytest.fixture
def manager(tmp_path: Path) -> Iterator[ManagerProcess]:
    """A fresh manager with the demo seed, running 50 times faster than real life."""
    proc = ManagerProcess(data=tmp_path / "manager").start()
    try:
        yield proc
    finally:
        proc.stop()


@pytest.fixture(scope="module")
def module_manager(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ManagerProcess]:
    """One manager for a whole module, for tests that only read or that clean up after."""
    proc = ManagerProcess(data=tmp_path_factory.mktemp("manager")).start()
    try:
        yield proc
    finally:
        proc.stop()


@pytest.fixture
async def recorded(
    module_manager: ManagerProcess,
) -> AsyncIterator[tuple[ManagerClient, RecordingTransport]]:
    """An admin client of the module's manager, and what it sent (tests/wire.py)."""
    async with recording_client(module_manager.url) as pair:
        yield pair


def admin_client(manager: ManagerProcess, tenant: str = "default_tenant") -> httpx.Client:
    """A plain HTTP client with the headers the official client sends."""
    return httpx.Client(
        base_url=manager.api,
        auth=("admin", PASSWORDS["admin"]),
        headers={"Tenant": tenant, "Content-Type": "application/json"},
        timeout=30,
    )


@pytest.fixture(autouse=True)
def isolated_user_config(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Tests never read the developer's own cfy-tui config, `cfy` profiles or
    credentials from the environment."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("CFY_WORKDIR", str(home))
    for name in ENVIRONMENT:  # every variable a setting is read from
        monkeypatch.delenv(name, raising=False)
