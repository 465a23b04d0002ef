"""`cfy-tui --demo`: the embedded manager in a child process, stopped with the app.

The manager runs in its own process (never on the UI's event loop). It watches its
stdin: when this process ends for any reason, even a kill -9, the pipe closes and
the manager shuts down, so no orphan is left behind.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ADMIN_PASSWORD_ENV = "CFY_TUI_MANAGER_ADMIN_PASSWORD"


@dataclass
class DemoManager:
    url: str
    password: str
    process: subprocess.Popen[bytes]
    data_dir: Path

    def stop(self, timeout: float = 5.0) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process.stdin is not None:
            self.process.stdin.close()
        shutil.rmtree(self.data_dir, ignore_errors=True)


@dataclass
class PendingDemo:
    """A manager started and not yet listening: the app's own start-up (its imports,
    about 0.4 s) runs meanwhile, instead of after the manager's (about 0.6 s)."""

    process: subprocess.Popen[bytes]
    password: str
    data_dir: Path

    def ready(self) -> DemoManager:
        """Wait for the manager to listen; its URL, or RuntimeError with its log."""
        process = self.process
        assert process.stdout is not None
        line = process.stdout.readline().decode(errors="replace")
        if "listening on " not in line:
            process.kill()
            process.wait()
            details = (self.data_dir / "manager.log").read_text(errors="replace")[-2000:]
            shutil.rmtree(self.data_dir, ignore_errors=True)
            raise RuntimeError(f"the embedded manager did not start: {line.strip()} {details}")
        url = line.split("listening on ", 1)[1].split()[0]
        process.stdout.close()
        return DemoManager(url=url, password=self.password, process=process, data_dir=self.data_dir)


def launch_demo_manager(speed: float = 2.0) -> PendingDemo:
    """Start the manager with the demo seed on a free loopback port, without waiting."""
    data_dir = Path(tempfile.mkdtemp(prefix="cfy-tui-demo-"))
    password = secrets.token_urlsafe(16)
    env = dict(os.environ, **{ADMIN_PASSWORD_ENV: password}, PYTHONUNBUFFERED="1")
    log = open(data_dir / "manager.log", "wb")  # noqa: SIM115 - lives as long as the child
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tui.manager",
            "--seed",
            "demo",
            "--speed",
            str(speed),
            "--port",
            "0",
            "--data",
            str(data_dir / "state"),
            "--watch-stdin",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=log,
        env=env,
    )
    log.close()
    return PendingDemo(process=process, password=password, data_dir=data_dir)


def start_demo_manager(speed: float = 2.0) -> DemoManager:
    """Start the manager with the demo seed on a free loopback port; return its URL."""
    return launch_demo_manager(speed).ready()
