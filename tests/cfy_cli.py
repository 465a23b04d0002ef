"""The real `cfy` CLI (PyPI `cloudify` 7.0.5) in its own virtual environment, for tests.

`ensure_cfy_cli()` returns the path of a working `bin/cfy`: it reuses the cached
virtual environment (`$CFY_TUI_CFY_VENV`, else `~/.cache/cfy-tui/cfy-cli-7.0.5`) when
`bin/cfy --version` works there, and otherwise builds it from PyPI. The build happens
in a temporary sibling directory that is renamed into place only once complete, so an
interrupted build is never reused.

`Cfy` runs the CLI as a subprocess with its own `CFY_WORKDIR`/`HOME`/`TMPDIR`, without
the `CLOUDIFY_*` variables that would override or clash with the profile, and with a
timeout.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

CFY_VERSION = "7.0.5"
# click 8.2 breaks `--help` of commands with a timestamp option; requests are identical.
REQUIREMENTS = (f"cloudify=={CFY_VERSION}", "click<8.2")
VENV_ENV = "CFY_TUI_CFY_VENV"
# Variables through which the CLI takes credentials or TLS settings, or that change
# how its Python starts: none of them may leak from the developer's shell.
SCRUBBED_ENV = (
    "CLOUDIFY_USERNAME",
    "CLOUDIFY_PASSWORD",
    "CLOUDIFY_TENANT",
    "CLOUDIFY_TOKEN",
    "CLOUDIFY_SSL_TRUST_ALL",
    "PYTHONPATH",
    "PYTHONHOME",
    "PYTHONSTARTUP",
)
EVENT_LINE = re.compile(
    r"^(?P<stamp>\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3})  (?P<kind>CFY|LOG) "
    r"<(?P<deployment>[^>]+)> (?:\[(?P<where>[^\]]+)\] )?(?P<message>.*)$"
)

T = TypeVar("T")


class CliInstallError(Exception):
    """The CLI's virtual environment could not be built; the message holds pip's output."""


def default_venv_path() -> Path:
    configured = os.environ.get(VENV_ENV)
    if configured:
        return Path(configured).expanduser().absolute()
    return Path.home() / ".cache" / "cfy-tui" / f"cfy-cli-{CFY_VERSION}"


def cli_env(workdir: Path) -> dict[str, str]:
    """The environment for one isolated CLI run: all CLI state lives under `workdir`."""
    env = {k: v for k, v in os.environ.items() if k not in SCRUBBED_ENV}
    tmp = workdir / "tmp"
    tmp.mkdir(parents=True, exist_ok=True)
    env.update(
        CFY_WORKDIR=str(workdir),
        HOME=str(workdir),
        TMPDIR=str(tmp),
        # requests honours proxy variables, even for loopback, unless told otherwise.
        NO_PROXY="127.0.0.1,localhost",
        no_proxy="127.0.0.1,localhost",
    )
    return env


def _version_output(cfy: Path) -> tuple[bool, str]:
    if not cfy.is_file():
        return False, f"{cfy} does not exist"
    with tempfile.TemporaryDirectory(prefix="cfy-version-") as workdir:
        try:
            proc = subprocess.run(
                [str(cfy), "--version"],
                env=cli_env(Path(workdir)),
                capture_output=True,
                text=True,
                timeout=120,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            return False, f"{cfy} --version: {exc}"
    output = proc.stdout + proc.stderr
    return proc.returncode == 0 and f"Cloudify CLI {CFY_VERSION}" in proc.stdout, output


@contextlib.contextmanager
def _build_lock(venv: Path) -> Iterator[None]:
    """One build at a time per cache path (parallel test workers share the cache)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX: the rename is still atomic
        yield
        return
    with open(venv.parent / f".{venv.name}.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _run_step(cmd: list[str], what: str, timeout: float) -> None:
    try:
        proc = subprocess.run(
            cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=timeout
        )
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout.decode(errors="replace") if isinstance(exc.stdout, bytes) else ""
        raise CliInstallError(f"{what} timed out after {timeout} s: {cmd}\n{out}") from None
    except OSError as exc:
        raise CliInstallError(f"{what} could not run: {cmd}: {exc}") from None
    if proc.returncode != 0:
        raise CliInstallError(
            f"{what} failed with exit code {proc.returncode}: {' '.join(cmd)}\n{proc.stdout}"
        )


def _relocate(build: Path, final: Path) -> None:
    """Point the build's scripts (shebangs, activate) at the path it is renamed to."""
    old, new = str(build).encode(), str(final).encode()
    for script in (build / "bin").iterdir():
        if script.is_symlink() or not script.is_file():
            continue
        data = script.read_bytes()
        if old in data:
            script.write_bytes(data.replace(old, new))


def ensure_cfy_cli(venv: Path | None = None) -> Path:
    """The path of a working `cfy` 7.0.5; builds its virtual environment if needed."""
    venv = venv or default_venv_path()
    cfy = venv / "bin" / "cfy"
    if _version_output(cfy)[0]:
        return cfy
    venv.parent.mkdir(parents=True, exist_ok=True)
    with _build_lock(venv):
        if _version_output(cfy)[0]:  # another process built it meanwhile
            return cfy
        # Builds interrupted earlier (we hold the lock, so none is running): never reused.
        for stale in venv.parent.glob(f".{venv.name}.build-*"):
            shutil.rmtree(stale, ignore_errors=True)
        build = Path(tempfile.mkdtemp(prefix=f".{venv.name}.build-", dir=venv.parent))
        try:
            _run_step([sys.executable, "-m", "venv", str(build)], "python -m venv", 600)
            _run_step(
                [
                    str(build / "bin" / "python"),
                    "-m",
                    "pip",
                    "install",
                    "--disable-pip-version-check",
                    "--no-input",
                    *REQUIREMENTS,
                ],
                "pip install " + " ".join(REQUIREMENTS),
                1800,
            )
            _relocate(build, venv)
            if venv.exists() or venv.is_symlink():
                # A broken or partial environment: move it aside, then delete it.
                trash = Path(tempfile.mkdtemp(prefix=f".{venv.name}.old-", dir=venv.parent))
                os.rename(venv, trash / "venv")
                shutil.rmtree(trash, ignore_errors=True)
            os.rename(build, venv)
        except BaseException:
            shutil.rmtree(build, ignore_errors=True)
            raise
    works, output = _version_output(cfy)
    if not works:
        raise CliInstallError(f"{cfy} was installed but `cfy --version` fails:\n{output}")
    return cfy


@dataclass(repr=False)
class CfyResult:
    args: list[str]
    returncode: int
    stdout: str
    stderr: str

    @property
    def lines(self) -> list[str]:
        return self.stdout.splitlines()

    def __str__(self) -> str:
        return (
            f"$ cfy {' '.join(self.args)}\n[exit code {self.returncode}]\n"
            f"--- stdout ---\n{self.stdout}--- stderr ---\n{self.stderr}"
        )

    __repr__ = __str__


class Cfy:
    """Runs the real CLI with all of its state in `workdir`."""

    def __init__(self, executable: Path, workdir: Path) -> None:
        self.executable = executable
        self.workdir = workdir
        workdir.mkdir(parents=True, exist_ok=True)
        self.env = cli_env(workdir)

    def __call__(self, *args: str, timeout: float = 120.0) -> CfyResult:
        cmd = [str(self.executable), *args]
        try:
            proc = subprocess.run(
                cmd, env=self.env, capture_output=True, text=True, timeout=timeout, cwd=self.workdir
            )
        except subprocess.TimeoutExpired as exc:
            out = exc.stdout if isinstance(exc.stdout, str) else (exc.stdout or b"").decode()
            raise AssertionError(
                f"cfy {' '.join(args)} did not end within {timeout} s; output so far:\n{out}"
            ) from None
        return CfyResult(list(args), proc.returncode, proc.stdout, proc.stderr)

    @property
    def profiles_dir(self) -> Path:
        return self.workdir / ".cloudify" / "profiles"


def parse_table(lines: list[str]) -> list[dict[str, str]]:
    """The rows of the one `+---+` table in a CLI output, as dicts keyed by column title.

    A cell that wraps over several lines (a long error) comes back with its pieces
    joined by newlines; a continuation line is one whose first cell is empty.
    """
    rows = [line.strip() for line in lines if line.startswith("|")]
    if not rows:
        return []
    cells = [[c.strip() for c in row[1:-1].split("|")] for row in rows]
    header = cells[0]
    merged: list[list[str]] = []
    for row in cells[1:]:
        if merged and not row[0]:
            merged[-1] = [f"{a}\n{b}" if b else a for a, b in zip(merged[-1], row, strict=True)]
        else:
            merged.append(row)
    return [dict(zip(header, row, strict=True)) for row in merged]


def event_lines(lines: list[str]) -> list[str]:
    return [line for line in lines if EVENT_LINE.match(line)]


def wait_until(
    probe: Callable[[], T | None], what: str, timeout: float = 30.0, interval: float = 0.1
) -> T:
    """Poll `probe` until it returns something truthy; fail with `what` at the deadline."""
    deadline = time.monotonic() + timeout
    last: T | None = None
    while True:
        last = probe()
        if last:
            return last
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}; last: {last!r}")
        time.sleep(interval)
