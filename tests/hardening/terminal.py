"""Running the real `cfy-tui` under a pseudo-terminal and keeping every byte it writes."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import signal
import struct
import sys
import termios
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

# CSI and OSC sequences, and single-character escapes, to read the visible text.
_SEQUENCES = re.compile(
    rb"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[()][0-9A-Za-z]|\x1b[=>78NOM]"
)
_OSC = re.compile(rb"(?:\x1b\]|\xc2\x9d)(.*?)(?:\x07|\x1b\\|\xc2\x9c)", re.S)


@dataclass
class Capture:
    output: bytes
    returncode: int | None
    unsent: list[bytes] = field(default_factory=list)  # keys whose trigger never held

    @property
    def text(self) -> str:
        """The output without escape sequences: what a reader of the screen sees, in
        the order it was drawn (lines run together)."""
        return _SEQUENCES.sub(b"", self.output).decode("utf-8", "replace")

    def osc_payloads(self) -> list[bytes]:
        return _OSC.findall(self.output)


def clean_env(home: Path, **extra: str) -> dict[str, str]:
    """A terminal environment that reads no user configuration (HOME is a temp dir)."""
    keep = {k: v for k, v in os.environ.items() if k in ("PATH", "LANG", "LC_ALL", "TZ")}
    env = {
        **keep,
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "TERM": "xterm-256color",
        "COLORTERM": "truecolor",
        "PYTHONUNBUFFERED": "1",
        "LANG": os.environ.get("LANG", "C.UTF-8"),
    }
    env.update(extra)
    return env


@dataclass(frozen=True)
class After:
    """A key's trigger: `text` has been drawn since the previous key was sent (escape
    sequences removed), then `settle` seconds more. A test that waits for the screen it
    types into does not depend on how fast the machine is."""

    text: str
    settle: float = 0.2


Trigger = float | After


def run_in_pty(
    args: Sequence[str],
    env: dict[str, str],
    keys: Sequence[tuple[Trigger, bytes]],
    *,
    duration: float,
    linger: float = 1.0,
    rows: int = 50,
    cols: int = 200,
) -> Capture:
    """Start `python -m tui.cli *args` on a pty of `rows` x `cols` and write each key
    when its trigger holds: a number is seconds after start, an `After` waits for text
    on the screen. Read everything; quit with `q` `linger` seconds after the last key,
    or at `duration` seconds at the latest (ctrl+c, then SIGKILL, if it does not go).
    Keys whose trigger never held are listed in `Capture.unsent`."""
    argv = [sys.executable, "-m", "tui.cli", *args]
    size = struct.pack("HHHH", rows, cols, 0, 0)
    pid, fd = pty.fork()
    if pid == 0:  # the child: the pty is its terminal; set its size, then exec
        try:
            fcntl.ioctl(1, termios.TIOCSWINSZ, size)
            os.execve(sys.executable, argv, env)
        finally:
            os._exit(127)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, size)
    output = bytearray()
    started = time.monotonic()
    pending = list(keys)
    since = 0  # where the output after the previous key starts
    seen_at: float | None = None  # when the pending key's text was first seen
    last_sent = started
    returncode: int | None = None
    deadline = started + duration + 8
    quit_sent_at: float | None = None
    escalated = 0

    def due(trigger: Trigger, now: float) -> bool:
        nonlocal seen_at
        if not isinstance(trigger, After):
            return trigger <= now - started
        if seen_at is None and trigger.text in Capture(bytes(output[since:]), None).text:
            seen_at = now
        return seen_at is not None and now - seen_at >= trigger.settle

    try:
        while time.monotonic() < deadline:
            now = time.monotonic()
            while pending and quit_sent_at is None and due(pending[0][0], now):
                _, key = pending.pop(0)
                os.write(fd, key)
                since, seen_at, last_sent = len(output), None, now
            out_of_time = now - started >= duration
            if quit_sent_at is None and (
                out_of_time or (not pending and now - last_sent >= linger)
            ):
                os.write(fd, b"q")
                quit_sent_at = now
            if quit_sent_at is not None and time.monotonic() - quit_sent_at > 4 and escalated < 1:
                os.write(fd, b"\x03")
                escalated = 1
            ready, _, _ = select.select([fd], [], [], 0.05)
            if ready:
                try:
                    chunk = os.read(fd, 65536)
                except OSError:  # EIO: the child has gone
                    chunk = b""
                if not chunk:
                    break
                output += chunk
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                returncode = os.waitstatus_to_exitcode(status)
                pid = 0
                # drain what is left
                while True:
                    r, _, _ = select.select([fd], [], [], 0.1)
                    if not r:
                        break
                    try:
                        chunk = os.read(fd, 65536)
                    except OSError:
                        break
                    if not chunk:
                        break
                    output += chunk
                break
    finally:
        if pid:
            os.kill(pid, signal.SIGKILL)
            _, status = os.waitpid(pid, 0)
            returncode = os.waitstatus_to_exitcode(status)
        os.close(fd)
    return Capture(bytes(output), returncode, [key for _, key in pending])
