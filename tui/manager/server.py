"""Serving the manager: build its state, seed it, bind a socket, run uvicorn."""

from __future__ import annotations

import contextlib
import ipaddress
import secrets
import shutil
import signal
import socket
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import uvicorn

from tui.manager.app import create_app
from tui.manager.clock import Clock, FrozenClock, sequential_ids, uuid_ids
from tui.manager.lockout import LockPolicy
from tui.manager.seed import apply_seed, init_identity, load_blueprint_dir
from tui.manager.services import Services
from tui.manager.store import Store
from tui.manager.versions import emulation

USERS = ("admin", "viewer", "operator")


@dataclass
class ServerOptions:
    host: str = "127.0.0.1"
    port: int = 0
    data: Path | None = None
    speed: float = 1.0
    seed: str = "demo"
    passwords: dict[str, str | None] = field(default_factory=dict)
    blueprints: Path | None = None
    log_level: str = "warning"
    # For reproducible tests and screenshots: a clock that never moves, and
    # sequential ids.
    frozen_time: float | None = None
    sequential_ids: bool = False
    # Append one JSON line per request (method, path, status, ms) to this file.
    request_log: Path | None = None
    # For tests: the log also keeps query strings and bodies of mutating requests.
    request_log_bodies: bool = False
    max_concurrent_workflows: int = 20
    # Failed-login lock-out; the default never locks, like a real manager's default.
    lock: LockPolicy = field(default_factory=LockPolicy)
    # `--emulate`: answer as this manager version does (a key of versions.VERSIONS).
    emulate: str = "7.0"


class QuietExitServer(uvicorn.Server):
    """uvicorn re-raises SIGINT/SIGTERM after a graceful shutdown, which kills the
    process before `serve()` can close the store and remove a temporary data
    directory. This one handles the signals the same way and then returns."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        previous = {sig: signal.signal(sig, self.handle_exit) for sig in HANDLED_SIGNALS}
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)


HANDLED_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def _exit_now(signum: int, frame: object) -> None:
    raise SystemExit(0)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def build_services(
    data_dir: Path, speed: float, frozen_time: float | None = None, sequential: bool = False
) -> Services:
    data_dir.mkdir(parents=True, exist_ok=True)
    store = Store(data_dir / "manager.sqlite3")
    clock = Clock() if frozen_time is None else FrozenClock(frozen_time)
    ids = sequential_ids() if sequential else uuid_ids()
    return Services(store=store, clock=clock, new_id=ids, speed=speed)


def prepare(options: ServerOptions, services: Services) -> dict[str, str]:
    """Identity, blueprints and seed; returns the passwords that were generated."""
    generated = {}
    passwords = {}
    for user in USERS:
        given = options.passwords.get(user)
        if given:
            passwords[user] = given
        else:
            passwords[user] = generated[user] = secrets.token_urlsafe(12)
    init_identity(services, passwords)
    apply_seed(services, options.seed)
    if options.blueprints is not None:
        load_blueprint_dir(services, options.blueprints)
    return generated


def bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP explicitly: asyncio sets TCP_NODELAY on accepted connections only when
    # the socket's proto says TCP; without it Nagle + delayed ACK add ~40 ms to every
    # request after the first on a keep-alive connection.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def url_of(host: str, sock: socket.socket) -> str:
    port = sock.getsockname()[1]
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}"


def serve(options: ServerOptions, announce: callable = print) -> int:  # type: ignore[valid-type]
    temp_dir = None
    data_dir = options.data
    if data_dir is None:
        temp_dir = tempfile.mkdtemp(prefix="cfy-tui-manager-")
        data_dir = Path(temp_dir)
    # A stop request before uvicorn takes over the signals (while seeding, say) must
    # still run the clean-up below.
    for sig in HANDLED_SIGNALS:
        signal.signal(sig, _exit_now)
    services = build_services(data_dir, options.speed, options.frozen_time, options.sequential_ids)
    services.lock = options.lock
    try:
        if options.request_log is not None:
            services.request_log_file = open(options.request_log, "a", encoding="utf-8")  # noqa: SIM115
        services.request_log_bodies = options.request_log_bodies
        services.max_concurrent_workflows = options.max_concurrent_workflows
        services.emulate = options.emulate
        generated = prepare(options, services)
        sock = bind(options.host, options.port)
        creds = ", ".join(f"{user} password: {pw}" for user, pw in generated.items())
        where = f"data: {data_dir}" + (" (temporary)" if temp_dir else "")
        announce(
            f"cfy-tui manager listening on {url_of(options.host, sock)} "
            f"(as Cloudify {emulation(options.emulate).version}; "
            f"tenants: default_tenant, team-eu; {creds + '; ' if creds else ''}{where})"
        )
        config = uvicorn.Config(
            create_app(services),
            log_level=options.log_level,
            access_log=False,
            lifespan="on",
            timeout_graceful_shutdown=3,
        )
        QuietExitServer(config).run(sockets=[sock])
    finally:
        services.store.close()
        if services.request_log_file is not None:
            services.request_log_file.close()
        if temp_dir is not None:
            shutil.rmtree(temp_dir, ignore_errors=True)
    return 0
