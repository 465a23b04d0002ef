"""Starting the embedded manager as a real process on a loopback port, for tests.

Tests talk to the manager over real HTTP, as the official client, the `cfy` CLI
and the TUI do.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from tui.manager.auth import add_membership, set_user
from tui.manager.clock import Clock
from tui.manager.store import Store

PASSWORDS = {"admin": "admin-pw", "viewer": "viewer-pw", "operator": "operator-pw"}
URL_RE = re.compile(r"listening on (http://\S+)")


# The demo seed's deployments in `default_tenant` (tui/manager/seed.py), in the order
# they were created (a list's default order), and by id.
DEMO_CREATION_ORDER = [
    "web-prod",
    "web-staging",
    "db-main",
    "db-replica",
    "analytics",
    "web-canary",
]
DEMO_DEPLOYMENTS = sorted(DEMO_CREATION_ORDER)


def add_user(
    data: Path, username: str, password: str, tenant_role: str, tenant: str = "default_tenant"
) -> None:
    """One more user in a manager's data directory, before the manager starts.

    The manager has no `/users` endpoint (user management is premium-only on a real
    community manager too), and its demo users stay as they are; a test that needs
    another role puts the user where the manager keeps them.
    """
    data.mkdir(parents=True, exist_ok=True)
    store = Store(data / "manager.sqlite3")
    try:
        with store.tx():
            set_user(store, Clock(), username, password, "default")
            add_membership(store, username, tenant, tenant_role)
    finally:
        store.close()


@dataclass
class ManagerProcess:
    """A manager subprocess; `restart()` keeps the data directory and the port."""

    data: Path
    speed: float = 50.0
    seed: str = "demo"
    port: int = 0
    extra_args: list[str] = field(default_factory=list)
    # `--emulate`: the manager version to answer as (None: the manager's default).
    emulate: str | None = None
    proc: subprocess.Popen[str] | None = None
    url: str = ""
    output: list[str] = field(default_factory=list)

    def start(self, timeout: float = 60.0) -> ManagerProcess:
        cmd = [
            sys.executable,
            "-m",
            "tui.manager",
            "--data",
            str(self.data),
            "--port",
            str(self.port),
            "--speed",
            str(self.speed),
            "--seed",
            self.seed,
            "--admin-password",
            PASSWORDS["admin"],
            "--viewer-password",
            PASSWORDS["viewer"],
            "--operator-password",
            PASSWORDS["operator"],
            *(["--emulate", self.emulate] if self.emulate else []),
            *self.extra_args,
        ]
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        self.proc = subprocess.Popen(
            cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env
        )
        deadline = time.monotonic() + timeout
        assert self.proc.stdout is not None
        while True:
            line = self.proc.stdout.readline()
            if not line:
                raise RuntimeError(
                    f"manager exited before listening: rc={self.proc.wait()}\n"
                    + "".join(self.output)
                )
            self.output.append(line)
            match = URL_RE.search(line)
            if match:
                self.url = match.group(1)
                self.port = int(self.url.rsplit(":", 1)[1])
                break
            if time.monotonic() > deadline:
                raise RuntimeError("manager did not start in time\n" + "".join(self.output))
        threading.Thread(target=self._drain, args=(self.proc,), daemon=True).start()
        return self

    def _drain(self, proc: subprocess.Popen[str]) -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            self.output.append(line)

    @property
    def api(self) -> str:
        return self.url + "/api/v3.1"

    def stop(self, kill: bool = False, timeout: float = 10.0) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc.stdout is not None:
            self.proc.stdout.close()

    def restart(self, kill: bool = False) -> ManagerProcess:
        self.stop(kill=kill)
        return self.start()
