"""Fixtures of the hardening tests: a manager that writes its request log to a file,
and a hostile server."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.hardening.figures import FIGURES
from tests.hardening.hostile import HostileServer
from tests.manager_process import ManagerProcess


@pytest.fixture(autouse=True)
def utc(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    time.tzset()


class LoggedManager(ManagerProcess):
    """A manager started with `--request-log FILE`."""

    @property
    def log_path(self) -> Path:
        return self.data.parent / (self.data.name + "-requests.jsonl")

    def requests(self) -> list[dict[str, Any]]:
        if not self.log_path.exists():
            return []
        lines = self.log_path.read_text().splitlines()
        return [json.loads(line) for line in lines if line.strip()]

    def mark(self) -> int:
        """A position in the log: `requests_since(mark)` reads what came after."""
        return len(self.requests())

    def requests_since(self, mark: int) -> list[dict[str, Any]]:
        return self.requests()[mark:]

    def sent_since(self, mark: int) -> list[dict[str, Any]]:
        """The requests that changed something since `mark`: method, path, query and
        JSON body (with `--request-log-bodies`), as the manager received them."""
        return [
            {key: entry.get(key) for key in ("method", "path", "query", "body")}
            for entry in self.requests_since(mark)
            if entry["method"] != "GET"
        ]


def logged_manager(data: Path, speed: float = 50.0) -> LoggedManager:
    proc = LoggedManager(data=data, speed=speed)
    proc.extra_args = ["--request-log", str(proc.log_path)]
    return proc


@contextmanager
def wire_manager(data: Path) -> Iterator[LoggedManager]:
    """A manager at real-life speed whose request log keeps bodies and queries: what
    a key sent is read from it. Real-life speed, so that `started` and `cancelling`
    last long enough (seconds) for keys pressed on them."""
    proc = LoggedManager(data=data, speed=1.0)
    proc.extra_args = ["--request-log", str(proc.log_path), "--request-log-bodies"]
    proc.start()
    try:
        yield proc
    finally:
        proc.stop()


@pytest.fixture
def manager_factory(tmp_path: Path) -> Iterator[Callable[..., LoggedManager]]:
    started: list[LoggedManager] = []

    def make(speed: float = 50.0, name: str = "manager") -> LoggedManager:
        proc = logged_manager(tmp_path / name, speed).start()
        started.append(proc)
        return proc

    yield make
    for proc in started:
        proc.stop()


@pytest.fixture
def logged(manager_factory: Callable[..., LoggedManager]) -> LoggedManager:
    """A manager at 50x speed with its request log in a file."""
    return manager_factory()


@pytest.fixture
def hostile() -> Iterator[HostileServer]:
    with HostileServer() as server:
        yield server


MUTATING = {"POST", "PUT", "PATCH", "DELETE"}


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if FIGURES:
        terminalreporter.section("hardening figures")
        for name, value in sorted(FIGURES.items()):
            terminalreporter.write_line(f"{name}: {value}")
