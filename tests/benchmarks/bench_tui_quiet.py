"""Benchmark: what the TUI writes to its terminal while nothing happens (not a pytest
test). Over SSH every byte is traffic; a screen whose only change is the data's age
should write next to nothing.

Run from the repository root with the project's interpreter:

    python tests/benchmarks/bench_tui_quiet.py [--window 30] [--windows 3]

`cfy-tui --manager URL` runs in a pseudo-terminal (real terminal driver, 120x36)
against a demo manager at speed 1. After the first paint and `--settle` seconds, the
bytes the app writes are counted over `--windows` windows of `--window` seconds:

* idle: nothing runs, the cursor on the first deployment (analytics);
* one execution running on screen: `reindex` on analytics (long at speed 1) started
  over HTTP, shown running in the deployments and executions panes.

Figures are bytes per minute, median of the windows, with min and max. Targets
(issue 14): idle <= 6 KB/min, one execution running <= 40 KB/min.
"""

from __future__ import annotations

import argparse
import fcntl
import os
import pty
import select
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.manager_process import PASSWORDS, ManagerProcess  # noqa: E402

COLUMNS, LINES = 120, 36
MARKER = b"web-staging"
TARGETS = {"idle": 6 * 1024, "one execution running": 40 * 1024}


class Terminal:
    """The app in a pseudo-terminal; `read_for` drains and counts what it writes."""

    def __init__(self, cmd: list[str], env: dict[str, str]) -> None:
        self.master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", LINES, COLUMNS, 0, 0))
        env = dict(env, TERM="xterm-256color", COLUMNS=str(COLUMNS), LINES=str(LINES))
        self.proc = subprocess.Popen(
            cmd, stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True
        )
        os.close(slave)

    def read_for(self, seconds: float, until: bytes | None = None) -> int:
        """Bytes written in `seconds` (or until `until` was seen)."""
        total, tail = 0, b""
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            ready, _, _ = select.select([self.master], [], [], min(left, 0.5))
            if not ready:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"the app exited: rc={self.proc.returncode}")
                continue
            chunk = os.read(self.master, 65536)
            total += len(chunk)
            seen = tail + chunk
            if until is not None and until in seen:
                return total
            tail = seen[-256:]
        if until is not None:
            raise RuntimeError(f"{until!r} never shown")
        return total

    def close(self) -> None:
        os.write(self.master, b"\x03")
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(10)
        os.close(self.master)


def per_minute(terminal: Terminal, window: float, windows: int) -> list[float]:
    return [terminal.read_for(window) * 60 / window for _ in range(windows)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--window", type=float, default=30.0)
    parser.add_argument("--windows", type=int, default=3)
    parser.add_argument("--settle", type=float, default=5.0)
    args = parser.parse_args()
    script = Path(sys.executable).with_name("cfy-tui")
    with tempfile.TemporaryDirectory(prefix="bench-tui-quiet-") as tmp:
        manager = ManagerProcess(data=Path(tmp) / "demo", seed="demo", speed=1.0).start()
        cmd = [str(script), "--manager", manager.url, "--username", "admin"]
        env = dict(os.environ, CLOUDIFY_PASSWORD=PASSWORDS["admin"], HOME=tmp)
        terminal = Terminal(cmd, env)
        figures: dict[str, list[float]] = {}
        try:
            terminal.read_for(60, until=MARKER)
            terminal.read_for(args.settle)
            figures["idle"] = per_minute(terminal, args.window, args.windows)
            with httpx.Client(
                base_url=manager.api,
                auth=("admin", PASSWORDS["admin"]),
                headers={"Tenant": "default_tenant"},
            ) as client:
                started = client.post(
                    "/executions", json={"deployment_id": "analytics", "workflow_id": "reindex"}
                )
                started.raise_for_status()
            terminal.read_for(args.settle)
            figures["one execution running"] = per_minute(terminal, args.window, args.windows)
        finally:
            terminal.close()
            manager.stop()
    print(f"bytes written to a {COLUMNS}x{LINES} pty, per minute ({args.windows} windows):")
    for name, values in figures.items():
        target = TARGETS[name]
        median = statistics.median(values)
        verdict = "ok" if median <= target else "OVER"
        print(
            f"  {name:<22} median {median / 1024:6.1f} KB/min"
            f" (min {min(values) / 1024:.1f}, max {max(values) / 1024:.1f});"
            f" target {target / 1024:.0f} KB/min: {verdict}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
