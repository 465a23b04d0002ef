"""What every part of the manager is handed: the store, the clock, the id source, the
settings given on the command line and the request log."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import IO, Any

from tui.manager.clock import Clock
from tui.manager.lockout import LockPolicy
from tui.manager.store import Store

MANAGER_EDITION = "community"
MANAGER_NAME = "cfy-tui-embedded"


@dataclass
class Services:
    """The manager's parts and settings, shared by every request and the engine."""

    store: Store
    clock: Clock
    new_id: Callable[[], str]
    speed: float = 1.0
    max_body_bytes: int = 1024 * 1024
    # Queued executions start while fewer than this many run (the real default).
    max_concurrent_workflows: int = 20
    # `--lock-after` / `--lock-period`: failed logins lock an account (off by default).
    lock: LockPolicy = field(default_factory=LockPolicy)
    # method, path, status and duration of recent requests (never headers or bodies)
    request_log: deque[dict[str, Any]] = field(default_factory=lambda: deque(maxlen=20000))
    # `--request-log FILE`: the same entries, one JSON line each, for other processes.
    request_log_file: IO[str] | None = None
    # `--request-log-bodies` (tests): also the query string and the JSON body of each
    # request that changes something, so a test can check what a client really sent.
    request_log_bodies: bool = False
    # `--emulate`: the manager version whose answers this one gives (`versions.py`).
    emulate: str = "7.0"
